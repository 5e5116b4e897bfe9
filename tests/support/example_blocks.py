"""prefixlab-example blocks that more than one test module reads (model/notes.py's format)."""

from __future__ import annotations

FLAGS = '''```prefixlab-example
versions = "3.11+"
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
[run]
program = "{ROOT}/opt/py/bin/python{X.Y}"
args = ["-I", "-c", "pass"]
[expect]
flags = { isolated = 1, ignore_environment = 1, no_user_site = 1, no_site = 0, safe_path = 1 }
```

```prefixlab-example
versions = "3.8+"
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
"bin/py" = "exec:#!/bin/bash -e\\nexport PYTHONNOUSERSITE=true\\nexec \\"{ROOT}/opt/py/bin/python{X.Y}\\" -S \\"$@\\"\\n"
[run]
program = "{ROOT}/bin/py"
args = ["-c", "pass"]
env = { PATH = "/usr/bin:/bin" }
[expect]
flags = { isolated = 0, ignore_environment = 0, no_user_site = 1, no_site = 1 }
```

```prefixlab-example
versions = "3.11+"
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
"opt/py/bin/python{X.Y}._pth" = "text:../lib/python{X.Y}\\n../lib/python{X.Y}/lib-dynload\\n"
[run]
program = "{ROOT}/opt/py/bin/python{X.Y}"
args = ["-c", "pass"]
env = { PATH = "/usr/bin:/bin" }
[expect]
flags = { isolated = 1, ignore_environment = 1, no_site = 1, safe_path = 1, no_user_site = 0 }
```
'''
"""[expect] flags three ways: -I (3.11+: safe_path too), a wrapper's -S and
PYTHONNOUSERSITE, and a ._pth file (3.11+: isolated, no site, the user site flag left)."""
