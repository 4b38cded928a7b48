#!/bin/sh
# pyodide_run_tests.sh PYODIDE_RUN CASE — one behaviour test of pyodide-run.
# Prints what differs and exits 1 on failure, 0 on success.
# The interactive case needs a native python3 (env PYTHON3, else python3 on PATH)
# to drive a pseudo-terminal.
set -u

RUN=$1
CASE=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON3=${PYTHON3:-python3}

if [ ! -x "$RUN" ]; then
  echo "pyodide-run not found at $RUN" >&2
  exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pyodide-run-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

show() {
  echo "--- exit status: $status" >&2
  echo "--- stdout:" >&2
  cat "$TMP/out" >&2
  echo "--- stderr:" >&2
  cat "$TMP/err" >&2
  echo "---" >&2
}

# run ARGS...: runs pyodide-run with stdin from /dev/null; sets $status,
# $TMP/out and $TMP/err.
run() {
  "$RUN" "$@" </dev/null >"$TMP/out" 2>"$TMP/err"
  status=$?
}

# run_stdin FILE ARGS...: the same with stdin from FILE.
run_stdin() {
  input=$1
  shift
  "$RUN" "$@" <"$input" >"$TMP/out" 2>"$TMP/err"
  status=$?
}

expect_status() {
  [ "$status" -eq "$1" ] || fail "exit status $status, expected $1"
}

# expect_stdout TEXT: stdout is exactly TEXT followed by a newline ('' = empty).
expect_stdout() {
  if [ -z "$1" ]; then
    : >"$TMP/want"
  else
    printf '%s\n' "$1" >"$TMP/want"
  fi
  cmp -s "$TMP/want" "$TMP/out" || fail "stdout differs from: $(cat "$TMP/want")"
}

expect_stderr_empty() {
  [ ! -s "$TMP/err" ] || fail "stderr is not empty"
}

# expect_contains FILE TEXT: FILE has a line containing TEXT (fixed string).
expect_contains() {
  grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks: $2"
}

expect_not_contains() {
  if grep -qF -- "$2" "$1"; then fail "$(basename "$1") contains: $2"; fi
}

case $CASE in
  c_expression_prints_nothing)
    run -c "1+1"
    expect_status 0
    expect_stdout ""
    expect_stderr_empty
    ;;
  c_print)
    run -c "print(1+1)"
    expect_status 0
    expect_stdout "2"
    expect_stderr_empty
    ;;
  c_sys_version)
    run -c "import sys; print(sys.version)"
    expect_status 0
    case $(head -n 1 "$TMP/out") in
      3.11.2*) ;;
      *) fail "sys.version does not start with 3.11.2" ;;
    esac
    ;;
  c_argv)
    run -c "import sys; print(sys.argv)" x "y z" 'é'
    expect_status 0
    expect_stdout "['-c', 'x', 'y z', 'é']"
    run -c "import sys; print(sys.argv)"
    expect_status 0
    expect_stdout "['-c']"
    ;;
  version_flag)
    run -V
    expect_status 0
    expect_stdout "Python 3.11.2"
    run --version
    expect_status 0
    expect_stdout "Python 3.11.2"
    ;;
  help_flag)
    run -h
    expect_status 0
    expect_contains "$TMP/out" "usage:"
    run --help
    expect_status 0
    expect_contains "$TMP/out" "-c cmd"
    ;;
  script_argv)
    printf 'import sys\nprint(sys.argv)\nprint(len(sys.argv))\n' >"$TMP/args.py"
    run "$TMP/args.py" a "b c" --flag -c
    expect_status 0
    expect_stdout "['$TMP/args.py', 'a', 'b c', '--flag', '-c']
5"
    ;;
  script_main_and_file)
    printf 'print(__name__)\nprint(__file__)\nx = 3\nx * 2\n' >"$TMP/main.py"
    run "$TMP/main.py"
    expect_status 0
    # The value of a final expression is not printed (a script, not the REPL).
    expect_stdout "__main__
$TMP/main.py"
    ;;
  script_utf8)
    printf '\357\273\277s = "h\303\251llo \342\202\254 \360\235\204\236"\nprint(s, len(s))\n' >"$TMP/utf8.py"
    run "$TMP/utf8.py"
    expect_status 0
    expect_stdout "héllo € 𝄞 9"
    ;;
  uncaught_exception)
    printf 'print("before")\ndef f():\n    raise ValueError("x")\nf()\nprint("after")\n' >"$TMP/raise.py"
    run "$TMP/raise.py"
    expect_status 1
    expect_stdout "before"
    expect_contains "$TMP/err" "Traceback (most recent call last):"
    expect_contains "$TMP/err" "in f"
    expect_contains "$TMP/err" "line 3"
    [ "$(tail -n 1 "$TMP/err")" = "ValueError: x" ] || fail "last stderr line is not 'ValueError: x'"
    expect_not_contains "$TMP/err" "/lib/python3.11/pyodide/"
    expect_not_contains "$TMP/err" "pyodide-run:"
    run -c "raise ValueError('x')"
    expect_status 1
    expect_stdout ""
    [ "$(head -n 1 "$TMP/err")" = "Traceback (most recent call last):" ] || fail "stderr does not start with the traceback"
    [ "$(tail -n 1 "$TMP/err")" = "ValueError: x" ] || fail "last stderr line is not 'ValueError: x'"
    ;;
  syntax_error)
    run -c "1 +"
    expect_status 1
    expect_stdout ""
    expect_contains "$TMP/err" "SyntaxError: invalid syntax"
    ;;
  sys_exit_code)
    run -c "import sys; sys.exit(3)"
    expect_status 3
    expect_stdout ""
    expect_stderr_empty
    run -c "raise SystemExit(42)"
    expect_status 42
    expect_stderr_empty
    run -c "print('out'); import sys; sys.exit(0)"
    expect_status 0
    expect_stdout "out"
    expect_stderr_empty
    run -c "import sys; sys.exit(True)"
    expect_status 1
    expect_stderr_empty
    run -c "import sys; sys.exit(-1)"
    expect_status 255
    run -c "import sys; sys.exit(2**70)"
    expect_status 255
    expect_stderr_empty
    ;;
  sys_exit_none)
    run -c "import sys; sys.exit()"
    expect_status 0
    expect_stderr_empty
    run -c "import sys; sys.exit(None)"
    expect_status 0
    expect_stderr_empty
    ;;
  sys_exit_message)
    run -c "import sys; sys.exit('goodbye é')"
    expect_status 1
    expect_stdout ""
    printf 'goodbye é\n' >"$TMP/want"
    cmp -s "$TMP/want" "$TMP/err" || fail "stderr is not exactly 'goodbye é'"
    run -c "import sys; sys.exit([1, 'a'])"
    expect_status 1
    printf "[1, 'a']\n" >"$TMP/want"
    cmp -s "$TMP/want" "$TMP/err" || fail "stderr is not exactly [1, 'a']"
    run -c "import sys; sys.exit('lone \udcff')"
    expect_status 1
    printf 'lone \\udcff\n' >"$TMP/want"
    cmp -s "$TMP/want" "$TMP/err" || fail "stderr is not exactly 'lone \\udcff'"
    ;;
  stdin_script)
    printf 'import sys\nprint("from stdin", sys.argv)\nfor i in range(3):\n    print(i)\n' >"$TMP/stdin.py"
    run_stdin "$TMP/stdin.py"
    expect_status 0
    expect_stdout "from stdin ['']
0
1
2"
    expect_stderr_empty
    printf 'raise KeyError("k")\n' >"$TMP/stdin_err.py"
    run_stdin "$TMP/stdin_err.py"
    expect_status 1
    expect_contains "$TMP/err" "KeyError: 'k'"
    ;;
  stdin_dash_args)
    printf 'import sys\nprint(sys.argv)\n' >"$TMP/stdin.py"
    run_stdin "$TMP/stdin.py" - a b
    expect_status 0
    expect_stdout "['-', 'a', 'b']"
    ;;
  missing_file)
    run "$TMP/does-not-exist.py"
    expect_status 2
    expect_stdout ""
    expect_contains "$TMP/err" "pyodide-run: "
    expect_contains "$TMP/err" "does-not-exist.py"
    ;;
  bad_option)
    # python3's messages (the parity suite compares them exactly).
    run --no-such-option
    expect_status 2
    expect_contains "$TMP/err" "unknown option --no-such-option"
    expect_contains "$TMP/err" "pyodide-run [option] ..."
    run -z
    expect_status 2
    expect_contains "$TMP/err" "Unknown option: -z"
    ;;
  c_without_argument)
    run -c
    expect_status 2
    expect_contains "$TMP/err" "Argument expected for the -c option"
    ;;
  interactive_prompt)
    printf '1+1\nx = 5\nx\nNone\nif x:\n    print("yes")\n\n1/0\nprint("after")\n)\n"\\u00e9"\n' >"$TMP/session"
    "$PYTHON3" "$HERE/repl_driver.py" "$RUN" "$TMP/session" >"$TMP/out" 2>"$TMP/err"
    status=$?
    expect_status 0
    for want in ">>> " "... " "2" "5" "yes" "ZeroDivisionError: division by zero" "after" \
        "SyntaxError: unmatched ')'" "'é'"; do
      expect_contains "$TMP/out" "$want"
    done
    expect_not_contains "$TMP/out" "None"
    # Lines that are exactly a value (the REPL prints repr, one per line).
    for line in 2 5 yes after "'é'"; do
      grep -qEx -- "((>>>|\\.\\.\\.) )*$line" "$TMP/out" || fail "no output line '$line'"
    done
    printf 'import sys\nsys.exit(4)\nprint("not reached")\n' >"$TMP/session2"
    "$PYTHON3" "$HERE/repl_driver.py" "$RUN" "$TMP/session2" >"$TMP/out" 2>"$TMP/err"
    status=$?
    expect_status 4
    expect_not_contains "$TMP/out" "not reached"
    ;;
  assets_from_its_own_path)
    # build.sh links the library into pyodide-run (PYODIDE_CLI_LINK): no
    # libpyodide.so to load, and the assets found at ../lib/pyodide from the
    # executable's real path, wherever it is started from.
    if env -u LD_LIBRARY_PATH ldd "$RUN" | grep -q 'libpyodide\.so'; then
      fail "pyodide-run loads libpyodide.so: it was not linked with the library's inputs"
    fi
    lib=$(cd "$(dirname "$RUN")/../lib" && pwd)
    mkdir -p "$TMP/prefix/bin" "$TMP/elsewhere"
    cp "$RUN" "$TMP/prefix/bin/pyodide-run"
    ln -s "$lib" "$TMP/prefix/lib"
    ln -s "$TMP/prefix/bin/pyodide-run" "$TMP/elsewhere/python"
    for exe in "$TMP/prefix/bin/pyodide-run" "$TMP/elsewhere/python"; do
      env -u PYODIDE_ASSET_DIR -u LD_LIBRARY_PATH "$exe" -c "print(6*7)" </dev/null >"$TMP/out" 2>"$TMP/err"
      status=$?
      expect_status 0
      expect_stdout "42"
    done
    # $PYODIDE_ASSET_DIR, when set, is still the one used.
    PYODIDE_ASSET_DIR="$TMP/no-assets" "$RUN" -c "print(1)" </dev/null >"$TMP/out" 2>"$TMP/err"
    status=$?
    [ "$status" -ne 0 ] || fail "ran with PYODIDE_ASSET_DIR naming a missing folder"
    expect_contains "$TMP/err" "$TMP/no-assets"
    ;;
  libedit_only_for_the_prompt)
    # repl.c loads libedit when the prompt starts on a terminal (cli.terminal
    # edits with it); a program given by -c, a file or a pipe never loads it.
    for args in "-c pass" "-"; do
      # shellcheck disable=SC2086
      echo 'print(1)' | LD_DEBUG=libs "$RUN" $args >"$TMP/out" 2>"$TMP/err"
      status=$?
      expect_status 0
      if grep -q 'libedit' "$TMP/err"; then fail "pyodide-run $args loaded libedit"; fi
    done
    ;;
  *)
    echo "unknown case: $CASE" >&2
    exit 2
    ;;
esac

if [ "$failures" -ne 0 ]; then
  show
  exit 1
fi
exit 0
