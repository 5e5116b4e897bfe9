"""The model held against reality: sweeps of real interpreters, CPython's frozen getpath,
``which`` against importlib, the environment spec, a venv's promises, unwrappers under
fuzzing, and the known-divergences file.
"""
