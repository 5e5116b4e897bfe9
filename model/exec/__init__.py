"""From "execute this program" to the interpreter that runs: the kernel's ``#!`` line, GNU
``env -S``, bash words, nixpkgs' makeWrapper and makeBinaryWrapper, and pyenv shims.
"""
