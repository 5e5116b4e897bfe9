"""The world a prediction reads: the filesystem value, the kernel's path resolution, the
account, the invocation, and the interpreter build with its per-version behaviour table.
"""
