"""Wrapper texts as nixpkgs generates them, byte for byte, for any flag list.

``shell_wrapper`` writes what ``makeShellWrapper`` writes (pkgs/build-support/setup-hooks/
make-wrapper.sh, the echo/``${x@Q}`` format of 2022-2025, plus ``--add-flag``/``--append-flag``
from nixpkgs #400649); ``c_wrapper`` writes what ``makeDocumentedCWrapper`` writes
(pkgs/by-name/ma/makeBinaryWrapper/make-binary-wrapper.sh): the C source with the
``makeCWrapper`` record.  Both reproduce the generators' bash semantics (``${x@Q}`` in the C
locale, as in a Nix build; field splitting on the separator for --prefix/--suffix; ``read -ra``
for --add-flags).  The helper functions the C source defines (set_env_prefix, ...) are our own
code with nixpkgs' behaviour, so the C text is byte-exact everywhere but in those bodies.

Like nixpkgs', the C generator does not escape ``?``: a value holding a C trigraph (``??'``,
``??=``, ``??(`` ...) gives a source that gcc rejects under ``-Wall -Werror`` ("trigraph
ignored"), so such a wrapper cannot be built (found by tests/model/exec/test_wrappers.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prefixlab.model.errors import PrefixlabError
from prefixlab.model.exec.bashwords import quote as bash_quote

DEFAULT_SHELL = "@shell@"


class GeneratorError(PrefixlabError, ValueError):
    """A flag list the real generator rejects (makeWrapper's ``die``)."""


def ifs_split(text: str, ifs: str) -> list[str]:
    """bash field splitting of an unquoted expansion (no globbing: noglob is set)."""
    if not ifs:
        return [text] if text else []
    white = [c for c in ifs if c in " \t\n"]
    fields: list[str] = []
    current: list[str] = []
    i, n = 0, len(text)
    while i < n and text[i] in white:
        i += 1
    while i < n:
        c = text[i]
        if c not in ifs:
            current.append(c)
            i += 1
            continue
        fields.append("".join(current))
        current = []
        i += 1
        while i < n and text[i] in white:
            i += 1
        if c in white and i < n and text[i] in ifs:
            i += 1
            while i < n and text[i] in white:
                i += 1
    if current:
        fields.append("".join(current))
    return fields


# -- makeShellWrapper --------------------------------------------------------------------------
def _add_value(mode: str, name: str, sep: str, value: str) -> list[str]:
    if not value:
        return []
    if mode.startswith("--prefix"):
        tmp = ""
        for v in ifs_split(value, sep):
            tmp = v + (sep if tmp else "") + tmp
        value = tmp
    s = bash_quote(sep)
    lines: list[str] = []
    for v in ifs_split(value, sep):
        q = bash_quote(v)
        lines.append(f"{name}=${{{name}:+{s}${name}{s}}}")
        if mode.startswith("--prefix"):
            lines.append(f"{name}=${{{name}/{s}{q}{s}/{s}}}")
            lines.append(f"{name}={q}${name}")
        else:
            lines.append(f"if [[ ${name} != *{s}{q}{s}* ]]; then")
            lines.append(f"    {name}=${name}{q}")
            lines.append("fi")
        lines += [f"{name}=${{{name}#{s}}}", f"{name}=${{{name}%{s}}}", f"export {name}"]
    return lines


def shell_wrapper(original: str, flags: Sequence[str], *, shell: str = DEFAULT_SHELL,
                  contents: Mapping[str, str] | None = None) -> str:
    """The text ``makeShellWrapper ORIGINAL OUT FLAGS...`` writes to OUT.

    ``contents`` gives the files --prefix-contents/--suffix-contents read (by name).
    """
    params = list(flags)

    def at(i: int) -> str:
        return params[i] if i < len(params) else ""

    out = [f"#! {shell} -e"]
    argv0: str | None = None
    before: str | None = None
    after: str | None = None
    n = 0
    while n < len(params):
        p = params[n]
        if p == "--set":
            out.append(f"export {at(n + 1)}={bash_quote(at(n + 2))}")
            n += 2
        elif p == "--set-default":
            out.append(f"export {at(n + 1)}=${{{at(n + 1)}-{bash_quote(at(n + 2))}}}")
            n += 2
        elif p == "--unset":
            out.append(f"unset {at(n + 1)}")
            n += 1
        elif p == "--chdir":
            out.append(f"cd {bash_quote(at(n + 1))}")
            n += 1
        elif p == "--run":
            out.append(at(n + 1))
            n += 1
        elif p in ("--prefix", "--suffix"):
            out += _add_value(p, at(n + 1), at(n + 2), at(n + 3))
            n += 3
        elif p in ("--prefix-each", "--suffix-each", "--prefix-contents", "--suffix-contents"):
            out += _each(p, at(n + 1), at(n + 2), at(n + 3), contents or {})
            n += 3
        elif p in ("--add-flags", "--add-flag"):
            flag = at(n + 1) if p == "--add-flags" else bash_quote(at(n + 1))
            before = f"{before or ''} {flag}"
            n += 1
        elif p in ("--append-flags", "--append-flag"):
            flag = at(n + 1) if p == "--append-flags" else bash_quote(at(n + 1))
            after = f"{after or ''} {flag}"
            n += 1
        elif p == "--argv0":
            argv0 = at(n + 1)
            n += 1
        elif p == "--inherit-argv0":
            argv0 = "$0"
        elif p == "--resolve-argv0":
            pass  # "noop in shell wrappers, since bash will always resolve $0"
        else:
            raise GeneratorError(f"makeWrapper doesn't understand the arg {p}")
        n += 1
    words = ["exec"]
    if argv0:  # ${argv0:+-a \"$argv0\"} is unquoted: field-split by echo's caller
        words += ifs_split(f'-a "{argv0}"', " \t\n")
    words += [f'"{original}"', before or "", '"$@"', after or ""]
    return "\n".join([*out, " ".join(words)]) + "\n"


def _each(mode: str, name: str, sep: str, values: str, contents: Mapping[str, str]) -> list[str]:
    single = "--prefix" if mode.startswith("--prefix") else "--suffix"
    lines: list[str] = []
    for item in ifs_split(values, " \t\n"):
        if any(c in item for c in "*?["):
            raise GeneratorError(f"{mode}: {item!r} would be glob-expanded when generated")
        if mode.endswith("-contents"):
            if item not in contents:
                raise GeneratorError(f"{mode}: no contents given for {item!r}")
            item = contents[item].rstrip("\n")  # "$(cat FILE)" drops trailing newlines
        lines += _add_value(single, name, sep, item)
    return lines


def shell_wrapper_2021(original: str, flags: Sequence[str], *, shell: str = "/bin/bash",
                       contents: Mapping[str, str] | None = None) -> str:
    """The text the 2021 ``makeWrapper`` wrote (``#! $SHELL -eu``, extraFlagsArray, no
    de-duplication, no --chdir or --inherit-argv0; index copy of make-wrapper.sh)."""
    params = list(flags)

    def at(i: int) -> str:
        return params[i] if i < len(params) else ""

    out = [f"#! {shell} -eu", "declare -a extraFlagsArray=()"]
    before: list[str] = []
    argv0 = ""
    n = 0
    while n < len(params):
        p, name, sep, value = at(n), at(n + 1), at(n + 2), at(n + 3)
        if p == "--set":
            out.append(f"export {name}={bash_quote(sep)}")
            n += 3
        elif p == "--set-default":
            out.append(f"export {name}=${{{name}-{bash_quote(sep)}}}")
            n += 3
        elif p == "--unset":
            out.append(f"unset {name}")
            n += 2
        elif p == "--run":
            out += ["set +u", name, "set -u"]
            n += 2
        elif p in ("--prefix", "--suffix", "--suffix-each", "--prefix-contents",
                   "--suffix-contents"):
            if p.endswith("-contents"):
                values = [(contents or {})[f].rstrip("\n") for f in ifs_split(value, " \t\n")]
            elif p == "--suffix-each":
                values = ifs_split(value, " \t\n")
            else:
                values = [value] if value else []
            for v in values:
                if p.startswith("--suffix"):
                    out.append(f"export {name}+=${{{name}:+{bash_quote(sep)}}}{bash_quote(v)}")
                else:
                    out.append(f"export {name}={bash_quote(v)}${{{name}:+{bash_quote(sep)}${name}}}")
            n += 4
        elif p == "--add-flags":
            if any(c in name for c in "*?["):
                raise GeneratorError("--add-flags: glob characters are expanded when generated")
            before += ifs_split(name, " \t\n")
            n += 2
        elif p == "--argv0":
            argv0 = name
            n += 2
        else:
            raise GeneratorError(f"makeWrapper doesn't understand the arg {bash_quote(p)}")
    words = ["exec", *(["-a", bash_quote(argv0)] if argv0 else []), bash_quote(original),
             *before, '"${extraFlagsArray[@]}"', '"$@"']
    return "\n".join([*out, "set +u", " ".join(words)]) + "\n"


# -- makeCWrapper ------------------------------------------------------------------------------
def c_literal(value: str) -> str:
    """escapeStringLiteral: backslash, double quote, newline and carriage return escaped."""
    return (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r"))


def _env_name_error(name: str) -> str:
    if "=" in name:
        return f"\n\n#error Illegal environment variable name `{name}` (cannot contain `=`)"
    if name == "":
        return "\n\n#error Environment variable name can't be empty."
    return ""


_ARITY = {"--set": 2, "--set-default": 2, "--unset": 1, "--prefix": 3, "--suffix": 3,
          "--chdir": 1, "--add-flag": 1, "--append-flag": 1, "--add-flags": 1,
          "--append-flags": 1, "--argv0": 1, "--inherit-argv0": 0, "--resolve-argv0": 0}
_USES = {"--set-default": "stdio assert_success", "--unset": "stdio assert_success",
         "--prefix": "sep prefix asprintf stdio string assert_success assert",
         "--suffix": "sep suffix asprintf stdio string assert_success assert",
         "--chdir": "stdio assert_success", "--add-flag": "assert", "--append-flag": "assert",
         "--add-flags": "assert", "--append-flags": "assert", "--resolve-argv0": "stdio string"}


def _read_words(value: str) -> list[str]:
    """``read -ra words <<< VALUE``: the first line, split on blanks (backslashes kept)."""
    return ifs_split(value.split("\n", 1)[0], " \t\n")


def _statement(p: str, a: list[str]) -> str:
    q = [c_literal(x) for x in a]
    if p == "--set":
        return f'putenv("{q[0]}={q[1]}");' + _env_name_error(a[0])
    if p == "--set-default":
        return f'assert_success(setenv("{q[0]}", "{q[1]}", 0));' + _env_name_error(a[0])
    if p == "--unset":
        return f'assert_success(unsetenv("{q[0]}"));' + _env_name_error(a[0])
    if p in ("--prefix", "--suffix"):
        fn = "set_env_prefix" if p == "--prefix" else "set_env_suffix"
        return f'{fn}("{q[0]}", "{q[1]}", "{q[2]}");' + _env_name_error(a[0])
    return f'assert_success(chdir("{q[0]}"));'


def c_main(original: str, flags: Sequence[str]) -> tuple[str, set[str]]:
    """The body of main() and which helpers it uses."""
    params = list(flags)
    main = ""
    uses: set[str] = set()
    before: list[str] = []
    after: list[str] = []
    argv0: str | None = None
    inherit = resolve = False
    n = 0
    while n < len(params):
        p = params[n]
        arity = _ARITY.get(p)
        if arity is None:
            main += f"#error makeCWrapper: Unknown argument {p}\n"
            n += 1
            continue
        args = [params[i] if i < len(params) else "" for i in range(n + 1, n + 1 + arity)]
        uses |= set(_USES.get(p, "").split())
        if p in ("--set", "--set-default", "--unset", "--prefix", "--suffix", "--chdir"):
            main += _statement(p, args) + "\n"
        elif p in ("--add-flag", "--append-flag"):
            (before if p == "--add-flag" else after).append(args[0])
        elif p in ("--add-flags", "--append-flags"):
            (before if p == "--add-flags" else after).extend(_read_words(args[0]))
        elif p == "--argv0":
            argv0, inherit = c_literal(args[0]), False
        elif p == "--inherit-argv0":
            inherit = True
        else:
            resolve = True
        n += arity
        if arity and n >= len(params):
            plural = "argument" if arity == 1 else "arguments"
            main += f"#error makeCWrapper: {p} takes {arity} {plural}\n"
        n += 1
    if before or after:
        main += ("\n" if main else "") + _argv_tmp(before, after) + "\n\n"
    if not inherit:
        main += f'argv[0] = "{argv0 or c_literal(original)}";\n'
    if resolve:
        main += "argv[0] = resolve_argv0(argv[0]);\n"
    main += f'return execv("{c_literal(original)}", argv);\n'
    return main, uses


def _argv_tmp(before: list[str], after: list[str]) -> str:
    b, a = len(before), len(after)
    lines = [f"char **argv_tmp = calloc({b} + argc + {a} + 1, sizeof(*argv_tmp));",
             "assert(argv_tmp != NULL);", "argv_tmp[0] = argv[0];"]
    lines += [f'argv_tmp[{i + 1}] = "{c_literal(f)}";' for i, f in enumerate(before)]
    lines += ["for (int i = 1; i < argc; ++i) {", f"    argv_tmp[{b} + i] = argv[i];", "}"]
    lines += [f'argv_tmp[{b} + argc + {i}] = "{c_literal(f)}";' for i, f in enumerate(after)]
    lines += [f"argv_tmp[{b} + argc + {a}] = NULL;", "argv = argv_tmp;"]
    return "\n".join(lines)


def c_source(original: str, flags: Sequence[str]) -> str:
    """makeCWrapper's output (what $(makeCWrapper ...) captures: no final newline)."""
    main, uses = c_main(original, flags)
    resolve = "--resolve-argv0" in flags
    out: list[str] = []
    if "asprintf" in uses:
        out.append("#define _GNU_SOURCE         /* See feature_test_macros(7) */\n")
    out.append("#include <unistd.h>\n#include <stdlib.h>\n")
    for header in ("assert", "stdio", "string"):
        if header in uses:
            out.append(f"#include <{header}.h>\n")
    if "assert_success" in uses:
        out.append("\n#define assert_success(e) do { if ((e) < 0) { perror(#e); abort(); } } "
                   "while (0)\n")
    for key, helper in (("sep", _SURROUNDED), ("prefix", _PREFIX), ("suffix", _SUFFIX)):
        if key in uses:
            out.append("\n" + helper + "\n")
    if resolve:
        out.append("\n" + _RESOLVE + "\n")
    body = "\n".join(("    " + line) if line else line for line in main.rstrip("\n").split("\n"))
    out.append("\nint main(int argc, char **argv) {")
    out.append("\n" + body)
    out.append("\n}\n")
    return "".join(out).rstrip("\n")


_RULE = "# " + "-" * 84


def format_args(original: str, flags: Sequence[str]) -> str:
    """formatArgs: the command line recorded in the binary (drops --resolve-argv0)."""
    out = bash_quote(original)
    params = list(flags)
    n = 0
    while n < len(params):
        p = params[n]
        arity = _ARITY.get(p)
        if arity is not None and p != "--resolve-argv0":
            out += " \\\n    " + p
            out += "".join(" " + bash_quote(x) for x in params[n + 1:n + 1 + arity])
            n += arity
        n += 1
    return out


def docstring(original: str, flags: Sequence[str]) -> str:
    text = (f"\n\n\n{_RULE}\n# The C-code for this binary wrapper has been generated using the "
            f"following command:\n\n\nmakeCWrapper {format_args(original, flags)}\n\n\n"
            "# (Use `nix-shell -p makeBinaryWrapper` to get access to makeCWrapper in your "
            f"shell)\n{_RULE}\n\n\n")
    return f'const char * DOCSTRING = "{c_literal(text)}";'


def c_wrapper(original: str, flags: Sequence[str]) -> str:
    """makeDocumentedCWrapper's output: the source compiled into the wrapper binary."""
    return f"{c_source(original, flags)}\n\n{docstring(original, flags)}\n"


# Our own helper definitions, with nixpkgs' behaviour (see the module docstring).
_SURROUNDED = """\
int is_surrounded_by_sep(char *env, char *at, unsigned long len, char *sep) {
  unsigned long n = strlen(sep);
  if (at != env && ((unsigned long)(at - env) < n || strncmp(at - n, sep, n) != 0))
    return 0;
  return at[len] == '\\0' || strncmp(at + len, sep, n) == 0;
}"""
_PREFIX = """\
void set_env_prefix(char *env, char *sep, char *prefix) {
  char *old = getenv(env), *val;
  if (!old) { assert_success(setenv(env, prefix, 1)); return; }
  char *at = strstr(old, prefix);
  unsigned long len = strlen(prefix);
  if (at && is_surrounded_by_sep(old, at, len, sep)) {
    if (at == old) return;
    int before = at - old;
    assert(at[len] != '\\0');
    assert_success(asprintf(&val, "%s%s%.*s%s", prefix, sep, before, old,
                            at + len + strlen(sep)));
  } else {
    assert_success(asprintf(&val, "%s%s%s", prefix, sep, old));
  }
  assert_success(setenv(env, val, 1));
  free(val);
}"""
_SUFFIX = """\
void set_env_suffix(char *env, char *sep, char *suffix) {
  char *old = getenv(env), *val;
  if (!old) { assert_success(setenv(env, suffix, 1)); return; }
  char *at = strstr(old, suffix);
  unsigned long len = strlen(suffix);
  if (at && is_surrounded_by_sep(old, at, len, sep)) {
    if (at[len] == '\\0') return;
    int before = at - old;
    assert_success(asprintf(&val, "%.*s%s%s%s", before, old, at + len + strlen(sep), sep,
                            suffix));
  } else {
    assert_success(asprintf(&val, "%s%s%s", old, sep, suffix));
  }
  assert_success(setenv(env, val, 1));
  free(val);
}"""
_RESOLVE = """\
char *resolve_argv0(char *argv0) {
  char *path = getenv("PATH"), *copy, *dir;
  if (strchr(argv0, '/') != NULL || path == NULL || (copy = strdup(path)) == NULL)
    return argv0;
  for (dir = strtok(copy, ":"); dir != NULL; dir = strtok(NULL, ":")) {
    char *candidate = malloc(strlen(dir) + strlen(argv0) + 2);
    if (candidate == NULL)
      break;
    sprintf(candidate, "%s/%s", dir, argv0);
    if (access(candidate, X_OK) == 0)
      return candidate;
    free(candidate);
  }
  free(copy);
  return argv0;
}"""
