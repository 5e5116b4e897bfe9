"""Public Hypothesis strategies over model values, for testing builders, wrappers and
unwrappers against the model (or the model against real interpreters).

The surface is :data:`__all__`: the strategies and the values they draw.

* start-up cases (:mod:`.startup`): :func:`cases` for a :class:`Target` draws a
  :class:`Case` (a layout under a placeholder root and how it is run), bound to a real
  directory as a :class:`BoundCase` by :meth:`Case.at`;
* search-path entries for module resolution (:mod:`.imports`): :func:`search_path_sets`
  draws a :class:`SearchPathSet`;
* Python scripts and nixpkgs' wrapping of them (:mod:`.scripts`): :func:`python_scripts`
  (:class:`Script`), :func:`nix_wraps`, :func:`nix_wrappable_scripts`,
  :func:`nix_wrapped_scripts` (:class:`WrappedScript`, with its right answer);
* makeWrapper flags and exec chains (:mod:`.wrappers`): :func:`flag_lists`,
  :func:`exec_chains` (lists of :data:`Layer`);
* package sets for ``build env`` (:mod:`.packages`): :func:`package_sets`
  (:class:`PackageSet` of :class:`EnvPackage`, bound as a :class:`BoundSet`) and
  :func:`contested_sets` (:class:`ContestedSet`);
* hostile venvs for the adversarial tier (:mod:`.hostile`): :func:`hostile_cases`
  (:class:`HostileCase`: FIFOs, sockets, device links, huge files, deep trees, odd names).

Options are keyword-only and checked when the strategy is made: a wrong one raises
:class:`hypothesis.errors.InvalidArgument`, as Hypothesis' own strategies do.  The
placeholders and building blocks the impl side needs to materialise a draw (``ROOT``,
``BINARY_DATA``, ``stdlib_skeleton`` ...) stay in their modules.
"""

from prefixlab.model.strategies.startup import BoundCase, Case, Target, cases
from prefixlab.model.strategies.imports import SearchPathSet, search_path_sets
from prefixlab.model.strategies.scripts import (
    Script, WrappedScript, nix_wrappable_scripts, nix_wrapped_scripts, nix_wraps, python_scripts)
from prefixlab.model.strategies.wrappers import Layer, exec_chains, flag_lists
from prefixlab.model.strategies.packages import (
    BoundSet, ContestedSet, EnvPackage, PackageSet, contested_sets, package_sets)
from prefixlab.model.strategies.hostile import HostileCase, hostile_cases

__all__ = [
    "BoundCase", "BoundSet", "Case", "ContestedSet", "EnvPackage", "HostileCase", "Layer",
    "PackageSet", "Script", "SearchPathSet", "Target", "WrappedScript", "cases",
    "contested_sets", "exec_chains", "flag_lists", "hostile_cases", "nix_wrappable_scripts",
    "nix_wrapped_scripts", "nix_wraps", "package_sets", "python_scripts", "search_path_sets",
]
