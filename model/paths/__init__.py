"""Path arithmetic, once per dialect: getpath's C helpers (``getpath``), posixpath's
(``posix``) and importlib's (``importlib``); each spelled as its CPython original behaves.
"""
