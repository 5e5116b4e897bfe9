"""prefixlab.impl: everything that touches the real world (disk, processes, the CLI)."""

if __name__ != "prefixlab.impl":  # pragma: no cover - guards a packaging mistake
    raise ImportError(f"import prefixlab.impl, not {__name__!r}")
