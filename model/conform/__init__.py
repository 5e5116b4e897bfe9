"""Builder conformance as values: placements of a base interpreter (how a user names the
interpreter a venv is made from), the cases ``prefixlab conform`` runs, their portable JSON
form and the shell reproducer of a case.  Pure: the impl side makes them on disk and runs the
builders and the interpreters."""
