"""Builders as pure planners: the operations a venv or a composed environment is made of,
the buildEnv merge, the reference and historical nixpkgs flavours, the spec a composed
environment promises, and what any venv promises.
"""
