# The part of nixpkgs' wrapPythonPrograms that edits a script, as bash receives it, for
# tests/model/scripts/test_scripts_sed_oracle.py: GNU sed and grep running this text are the oracle that
# prefixlab.model.nixwrap is checked against.
#
# Reconstructed by hand (prefixlab, 2026) from:
#   NixOS/nixpkgs pkgs/development/interpreters/python/wrap.sh
#     @110f336ce122256aca1ec80ced9f19e4f4875f95, the loop body of wrapPythonProgramsIn and
#     patchPythonScript (the `echo` progress lines and the wrapProgram call are left out);
#   NixOS/nixpkgs pkgs/development/interpreters/python/wrap-python.nix
#     @273fa13872f93488f98a2ea5ebc5e24d8e0424dc, the magicalSedExpression substitution,
#     evaluated by hand: Nix indented strings, concatImapStrings over the four quote variants
#     (labels q1..q4), the preamble's newlines replaced by ';'.
# Substitutions: @executable@ -> $executable; @python@ and @pythonHost@ -> $executable (a
# native build, where the cross-compilation rewrite is a no-op).
#
# Usage: f=FILE executable=PATH program_PYTHONPATH=A:B nixpkgs_patch; prints "patched" when
# the preamble program ran (line 1 names a python), "skipped" otherwise.

nixpkgs_patch() {
    if head -n1 "$f" | grep -q '#!.*/env.*\(python\|pypy\)'; then
        sed -i "$f" -e "1 s^.*/env[ ]*\(python\|pypy\)[^ ]*^#!$executable^"
    fi

    if head -n1 "$f" | grep -q '#!.*'; then
        sed -i "$f" -e "1 s^#!$executable^#!$executable^"
    fi

    if head -n1 "$f" | grep -q '/\.\?\(python\|pypy\)'; then
        if echo "$f" | grep -qv EGG-INFO/scripts; then
            sed -i "$f" -re '1 {
  :r
  /\\$|,$/{N;br}
  /__future__|^ |^ *(#.*)?$/{n;br}
  /^[a-z]?'"'''"'/ {
  /'"'''"''"'''"'|'"'''"'.*'"'''"'/{n;br}
  :q1; n; /^'"'''"'/{n;br}; /'"'''"'/{n;br}; bq1
}
/^[a-z]?"""/ {
  /""""""|""".*"""/{n;br}
  :q2; n; /^"""/{n;br}; /"""/{n;br}; bq2
}
/^[a-z]?"/ {
  /""|".*[^\\]"/{n;br}
  :q3; n; /^"/{n;br}; /[^\\]"/{n;br}; bq3
}
/^[a-z]?'"'"'/ {
  /'"'"''"'"'|'"'"'.*[^\\]'"'"'/{n;br}
  :q4; n; /^'"'"'/{n;br}; /[^\\]'"'"'/{n;br}; bq4
}

  /^[^# ]/i import sys;import site;import functools;sys.argv[0] = '"'$(readlink -f "$f")'"';functools.reduce(lambda k, p: site.addsitedir(p, k), ['"$([ -n "$program_PYTHONPATH" ] && (echo "'$program_PYTHONPATH'" | sed "s|:|','|g") || true)"'], site._init_pathinfo());
}
'
            echo patched
            return
        fi
    fi
    echo skipped
}
