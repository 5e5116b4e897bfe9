"""This machine as the model sees it: snapshots of real directories, layouts written to
disk, the interpreters found here and their build constants, and probes of real runs.
"""
