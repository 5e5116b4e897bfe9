"""Python scripts as packagers handle them: physical lines and the ``#!`` line,
wrapPythonPrograms' preamble, module headers, and prefixlab's own wrap and unwrap.
"""
