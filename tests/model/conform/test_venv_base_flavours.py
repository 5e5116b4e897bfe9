"""from-env draws, by default, exactly the environments a venv can be made of: those without
a known inert-venv failure in the environment spec's table of historical nixpkgs failures
(envspec.KNOWN_FAILURES, prefixlab's ids F-a2 and F-b7: nixpkgs #88711, and #297628's
``--argv0``)."""

from __future__ import annotations

from prefixlab.model.builders import envspec
from prefixlab.model.conform.placement import ENV_FLAVOURS, VENV_BASE_FLAVOURS

# build env's flavour names against the spec's: nix-297628 builds with its merged code, whose
# wrappers set argv[0] to $out/bin/NAME ('fixed').
SPEC_NAME = {"nix-297628": "nix-297628/fixed"}


def test_the_default_from_env_flavours_are_those_whose_venvs_work() -> None:
    inert = {known.flavour for known in envspec.KNOWN_FAILURES
             if any(envspec.BY_ID[p].group != "env" for p in known.properties)}
    assert inert  # the table names some
    expected = tuple(f for f in ENV_FLAVOURS if SPEC_NAME.get(f, f) not in inert)
    assert VENV_BASE_FLAVOURS == expected
