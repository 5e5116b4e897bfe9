"""prefixlab.model: the executable specification of CPython's start-up path computation.

Pure and deterministic: every fact about the world (the filesystem, the environment, the
interpreter build) arrives as a value.  Nothing here reads the disk, the clock or os.environ.
"""

if __name__ != "prefixlab.model":  # pragma: no cover - guards a packaging mistake
    # The folder is model/, but its only import name is prefixlab.model; importing it as a
    # bare `model` (repo root on sys.path) would give a second, diverging copy of every class.
    raise ImportError(f"import prefixlab.model, not {__name__!r}")
