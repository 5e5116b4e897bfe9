"""README's in-process example runs as written, and prints what its comment says.

The expected prefix comes from getpath's documented rule, not from the model: the stdlib
landmark lib/python3.12/os.py lies under /opt/py, the directory above the executable's, so
the search from /opt/py/bin stops there (Modules/getpath.py, search_up).
"""

from __future__ import annotations

import contextlib
import io
import re

from conftest import REPO


def _python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_in_process_example_runs() -> None:
    blocks = _python_blocks()
    assert len(blocks) == 1
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0] == "/opt/py /opt/py"
    assert lines[1].startswith("exec.interpreter ")
