"""Start-up itself: from an invocation to the Outcome (``predict``), through the command
line, the getpath stages, site, the import system and the install schemes.
"""
