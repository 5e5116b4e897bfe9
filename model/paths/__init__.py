"""Path arithmetic, once per dialect, each function spelled as its CPython original behaves.

The dialects differ on purpose ('' or '.' for an empty result, what dirname('/usr') is,
whether trailing slashes survive a join); a caller imports the one its CPython code uses.

* ``getpath``: getpath's C helpers (Modules/getpath.c, Python/fileutils.c).  3.11+:
  ``normpath``, ``add_relfile``, ``joinpath``, ``dirname``, ``basename``, ``abspath``;
  3.8-3.10: ``reduce``, ``joinpath2``, ``copy_absolute``; and the queries getpath makes
  through the kernel: ``isfile``, ``isdir``, ``isxfile``, ``readlines``/``read_lines``,
  ``realpath_final``/``follow_final_links`` (3.11+),
  ``resolve_symlinks``/``follow_links_by_concatenation`` (3.8-3.10).
* ``posix``: Lib/posixpath.py as site.py, sysconfig and venv call it: ``join``,
  ``normpath``, ``abspath``, ``dirname``, ``basename``, ``expanduser``.
* ``importlib``: Lib/importlib/_bootstrap_external.py's own replacements, as the import
  system runs them: ``path_join`` (``path_join2`` for two parts), ``path_split``,
  ``path_abspath`` (3.12+).
"""
