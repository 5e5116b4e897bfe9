"""prefixlab.model's public surface: the names in ``__all__``, and what importing it costs.

The surface is what the README's in-process examples use; a warm ``build venv`` imports one
subpackage of the model and must not load the rest through the package's ``__init__``.
"""

from __future__ import annotations

import subprocess
import sys

import prefixlab.model


def test_every_public_name_resolves_to_its_definition() -> None:
    assert sorted(prefixlab.model.__all__) == sorted(
        ["predict", "World", "Invocation", "Outcome", "Trace", "Layout", "behaviour_for"])
    for name in prefixlab.model.__all__:
        value = getattr(prefixlab.model, name)
        assert value.__name__ == name
        assert value.__module__.startswith("prefixlab.model.")


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        prefixlab.model.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("an unknown name resolved")


def test_importing_the_package_loads_no_stage() -> None:
    code = ("import sys, prefixlab.model\n"
            "print(sorted(m for m in sys.modules if m.startswith('prefixlab.model.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
