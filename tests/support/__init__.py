"""Support code shared by tests in several folders (importable because conftest.py's
folder, tests/, is on sys.path)."""
