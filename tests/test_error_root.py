"""Every exception class prefixlab defines derives from PrefixlabError (model/errors.py), so
that a front end catches one class, as pypa/installer's InstallerError allows; private
control-flow exceptions (a leading underscore) are the only exceptions to the rule."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import prefixlab.impl
import prefixlab.model
from prefixlab.model.errors import BadInput, NotModelled, PrefixlabError


def _modules() -> list[str]:
    names = []
    for package in (prefixlab.model, prefixlab.impl):
        names.append(package.__name__)
        names.extend(m.name for m in pkgutil.walk_packages(package.__path__,
                                                            package.__name__ + "."))
    return names


def _exception_classes() -> list[type[BaseException]]:
    found = []
    for name in _modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == name:
                found.append(value)
    return found


def test_every_public_exception_derives_from_the_root() -> None:
    classes = _exception_classes()
    assert len(classes) > 30  # the walk found the package's exceptions at all
    stray = [f"{c.__module__}.{c.__qualname__}" for c in classes
             if not issubclass(c, PrefixlabError) and not c.__name__.startswith("_")]
    assert stray == []


def test_the_two_kinds_a_front_end_reports() -> None:
    assert issubclass(BadInput, PrefixlabError) and issubclass(NotModelled, PrefixlabError)
    assert not issubclass(BadInput, NotModelled) and not issubclass(NotModelled, BadInput)
