"""prefixlab's stand-in for nixpkgs' interpreter ``sitecustomize.py``.

The nix-classic builder flavour installs this text as the interpreter's sitecustomize.  It
behaves as nixpkgs' module does (NixOS/nixpkgs
pkgs/development/interpreters/python/sitecustomize.py, as of commit 08a3497b), in the same
order, and the site stage recognises it by its digest and models its effect.  It is our own
text: nixpkgs' file is not copied.
"""

from __future__ import annotations

import hashlib

from prefixlab.model.startup.sitecode import NIX_STAND_IN_TEXT

SITECUSTOMIZE_TEXT = NIX_STAND_IN_TEXT
"""The text itself lives with the model (model/startup/sitecode.py), which recognises it
and plans it into the notes' nix build steps."""


def digest() -> str:
    return hashlib.sha256(SITECUSTOMIZE_TEXT.encode("utf-8")).hexdigest()
