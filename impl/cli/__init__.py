"""The ``prefixlab`` command line: the click front end, the click-free start of
``build venv``, and the errors and exit codes they share.
"""
