"""Whether the caller's arguments reach the interpreter as its own command line.

Expected values are CPython's documented option parsing (Python/getopt.c _PyOS_GetOpt: -c and
-m end the options and take the next word, -W and -X take an argument attached or the next
word, '-' and the first non-option are the script, '--' ends the options) and the kernel's
``#!`` rule (the interpreter gets the script's path before the caller's arguments).
"""

from __future__ import annotations

import pytest

from prefixlab.model.exec.chain import options_only, passed_on


@pytest.mark.parametrize("words, expected", [
    ((), True),
    (("-S",), True),
    (("-s", "-E", "-Wdefault"), True),
    (("-W", "error", "-X", "utf8"), True),
    (("-SW", "error"), True),
    (("--check-hash-based-pycs", "always"), True),
    (("-X",), False),              # its argument is missing: the next word would be eaten
    (("-c", "pass"), False),
    (("-Sc", "pass"), False),
    (("-m", "json"), False),
    (("script.py",), False),
    (("-",), False),
    (("--", "-S"), False),
])
def test_options_only(words: tuple[str, ...], expected: bool) -> None:
    assert options_only(words) is expected


@pytest.mark.parametrize("args, received, expected", [
    ((), ("/py",), 0),                                       # the interpreter itself
    (("-S", "-c", "x"), ("/py", "-S", "-c", "x"), 0),
    (("-S",), ("/py", "-s", "-S"), 0),                       # a wrapper's --add-flags -s
    (("python3", "-S"), ("/py", "-S"), 1),                   # env python3 -S
    (("-i", "python3"), ("/py",), 2),                        # env -i python3
    ((), ("/py", "/env/bin/pip"), None),                     # a #! script
    (("-S",), ("/py", "/env/bin/tool", "-S"), None),
    (("-S",), ("/py", "-m", "tool", "-S"), None),            # a wrapper adding -m tool
    (("-S",), ("/py", "-S", "main.py"), None),               # flags added after the caller's
])
def test_passed_on(args: tuple[str, ...], received: tuple[str, ...],
                   expected: int | None) -> None:
    assert passed_on(args, received) == expected
