"""Builders on the real side: ``build venv``, ``build env`` and the nix flavours, the C and
shell wrappers they write, and the one writer that applies a plan atomically.
"""
