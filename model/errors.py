"""The root of prefixlab's exceptions, and the two kinds a front end reports as one line.

Every exception class prefixlab defines derives from :class:`PrefixlabError`, so that a caller
(the command line, a test, a program using the model) can tell prefixlab's own failures from
Python's.  Private control-flow exceptions (a leading underscore, never seen outside their
module) are the one exception to the rule.

Two kinds say that prefixlab cannot answer for an input, not that it is broken:
:class:`BadInput` (the input itself is wrong) and :class:`NotModelled` (a correct input the
model does not decide).  Both are reported as one line with exit status 2; any other
exception that reaches a front end is an internal error (exit status 3).
"""

from __future__ import annotations


class PrefixlabError(Exception):
    """All exceptions raised from prefixlab's own code."""


class BadInput(PrefixlabError):
    """Input prefixlab cannot act on: one line naming what is wrong (exit status 2)."""


class NotModelled(PrefixlabError):
    """Something the model does not decide (a construct, version or setting outside it):
    one line saying which (exit status 2)."""
