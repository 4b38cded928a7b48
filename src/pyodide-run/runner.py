"""The Python half of pyodide-run, run inside the sandbox.

pyodide-run compiles this file into its binary and runs it in a namespace of
its own (nothing is importable by the user's code). The C side calls these
functions; each reports the end of the user's code the way python3 does
(sys.excepthook, SystemExit's status), so that the traceback shows the user's
frames only, never ours.
"""
import sys

import _pyodide_core
# The C partial: functools would import collections, operator and more at every start.
from _functools import partial as _partial

# Statuses beyond python3's own (0-255), for what the C side ends in its own
# way: by SIGINT as python3 does, or with the memory limit's exit status.
KEYBOARD_INTERRUPT = -1
MEMORY_ERROR = -2


def _exit_status(code):
    """python3's exit status for SystemExit(code); a message goes to stderr."""
    if code is None:
        return 0
    if isinstance(code, int):
        # As C's exit(): a value outside C's long is -1; the OS keeps 8 bits.
        return (code if -2**63 <= code < 2**63 else -1) & 0xFF
    try:
        sys.stderr.write(f"{code}\n")
        sys.stderr.flush()
    except Exception:  # python3 too gives up silently here
        pass
    return 1


# -i: the prompt follows the program, which SystemExit then does not end.
_inspect = False


def _uncaught(exc):
    """Reports an exception that ended the user's code, as python3 does, and
    returns the status for it."""
    if isinstance(exc, SystemExit) and not _inspect:
        return _exit_status(exc.code)
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_globals is globals():
        tb = tb.tb_next  # our own frames
    # The hook prints the exception's own traceback, not its argument.
    exc.with_traceback(tb)
    sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, tb
    try:
        sys.excepthook(type(exc), exc, tb)
    except BaseException as hook_error:
        sys.__excepthook__(type(hook_error), hook_error, hook_error.__traceback__)
    if isinstance(exc, KeyboardInterrupt):
        return KEYBOARD_INTERRUPT
    if isinstance(exc, MemoryError):
        return MEMORY_ERROR
    return 1


def setup(argv, path0, file, cwd, warnoptions, xoptions, dev_mode, inspect, flags, orig_argv, time_zone):
    """Makes the interpreter look as python3's does when it starts the program.

    argv: bytes (decoded as python3 decodes its command line); path0: the
    directory to put first on sys.path, or None; file: __main__.__file__ or
    None; cwd: the working directory, or None for the private home;
    warnoptions and xoptions: the -W and -X arguments; dev_mode: -X dev;
    inspect: -i; flags: sys.flags' fields the command line sets (-d, -O, -s,
    -v, -b counted), by name; orig_argv: the whole command line (bytes), for
    sys.orig_argv; time_zone: the zone local time is in (as TZ names one)
    while the program sets no TZ, or None for UTC.
    """
    global _inspect
    import os

    if flags["no_site"]:
        # -S: as python3's, no site and no site-packages on sys.path.
        from pyodide._bridge import SITE_PACKAGES

        sys.path[:] = [p for p in sys.path if p != SITE_PACKAGES]
    else:
        prepare()
    sys.argv = [a.decode("utf-8", "surrogateescape") for a in argv]
    sys.orig_argv = [a.decode("utf-8", "surrogateescape") for a in orig_argv]
    # -X utf8 is always on.
    _pyodide_core.set_flags(**flags, dev_mode=dev_mode, warn_default_encoding=int("warn_default_encoding" in xoptions))
    bytes_warning = flags["bytes_warning"]
    if _pyodide_core.set_time_zone(time_zone):
        import time

        time.tzset()
    if flags["no_user_site"] and not flags["no_site"]:
        import site

        site.ENABLE_USER_SITE = False
    if cwd is not None:
        os.chdir(cwd)
    # In a runtime restored from a snapshot pyodide-run saved, the saving
    # run's sys.path[0] is replaced rather than kept beside this one's.
    if getattr(sys, "_pyodide_run_path0", None) is not None and sys.path[:1] == [sys._pyodide_run_path0]:
        del sys.path[0]
    sys._pyodide_run_path0 = path0
    if path0 is not None:
        sys.path.insert(0, path0)
    _inspect = inspect
    main = sys.modules["__main__"]
    if file is not None:
        main.__file__ = file
        main.__cached__ = None
    for option in xoptions:
        name, eq, value = option.partition("=")
        sys._xoptions[name] = value if eq else True
    _apply_xoptions(dev_mode)
    # As python3: -X dev shows the warnings hidden by default, -W options
    # given later take precedence over earlier ones, and -b's over them all.
    options = (["default"] if dev_mode else []) + list(warnoptions)
    options += [["default::BytesWarning"], ["error::BytesWarning"]][bytes_warning - 1] if bytes_warning else []
    if options:
        import warnings

        sys.warnoptions.extend(options)
        warnings._processoptions(options)


def _apply_xoptions(dev_mode):
    """What python3 does at its start for -X dev, faulthandler, tracemalloc
    and int_max_str_digits (args.c has checked their values)."""
    if dev_mode or "faulthandler" in sys._xoptions:
        import faulthandler

        faulthandler.enable()
    frames = _xoption_number("tracemalloc")
    if frames:
        import tracemalloc

        tracemalloc.start(frames)
    digits = _xoption_number("int_max_str_digits")
    if digits is not None:
        _pyodide_core.set_flags(int_max_str_digits=digits)


def _xoption_number(name):
    """-X name=N's N as python3 reads it (args.c has refused what it refuses;
    "" is 0), 1 for a bare -X name, None without it."""
    value = sys._xoptions.get(name)
    if value is None or value is True:
        return value and 1
    return int(value or 0)


def prepare():
    """What setup() does that no run's arguments change; a resident
    pyodide-run does it ahead, in the runtime it makes for the next run."""
    import site

    # The builtins python3's site module adds: exit, quit, copyright,
    # credits, license and help (pydoc prints plainly: there is no pager).
    site.setquit()
    site.setcopyright()
    site.sethelper()


def script_requirements(source):
    """The dependencies a script declares in its inline metadata (PEP 723: a
    "# /// script" block of TOML in comments) as requirement strings: a list,
    empty without a block; or, when the block is malformed or its
    requires-python excludes this interpreter, a message saying so (str)."""
    try:
        block = _metadata_block(source.decode("utf-8", "surrogateescape").splitlines(), "script")
    except ValueError as e:  # two blocks
        return str(e)
    if block is None:
        return []
    import tomllib
    try:
        metadata = tomllib.loads(block)
    except tomllib.TOMLDecodeError as e:
        return f"the script's '# /// script' block is not valid TOML: {e}"
    dependencies = metadata.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        return "the script's 'dependencies' must be a list of requirement strings"
    wanted = metadata.get("requires-python")
    if wanted is not None:
        import platform
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        try:
            fits = isinstance(wanted, str) and SpecifierSet(wanted).contains(platform.python_version(), prereleases=True)
        except InvalidSpecifier:
            return f"the script's requires-python is not a version specifier: {wanted!r}"
        if not fits:
            return f"the script requires Python {wanted}; the sandbox runs {platform.python_version()}"
    return dependencies


def _metadata_block(lines, kind):
    """The content of the one "# /// kind" block among ``lines`` (PEP 723): the
    comment lines after it, each without its "# " (or "#"), up to the last
    "# ///" before the comment lines end; None if there is none (a block never
    closed is none). A second block of the kind is a ValueError."""
    content = None
    at = 0
    while at < len(lines):
        if lines[at] != f"# /// {kind}":
            at += 1
            continue
        end = None
        following = at + 1
        while following < len(lines) and (lines[following] == "#" or lines[following].startswith("# ")):
            if lines[following] == "# ///":
                end = following
            following += 1
        if end is None:
            at += 1
            continue
        if content is not None:
            raise ValueError(f"the script has more than one '# /// {kind}' block")
        content = "".join(line[2:] + "\n" for line in lines[at + 1:end])
        at = end + 1
    return content


def _compile_program(source, filename):
    """A program (bytes, decoded as python3 decodes a source file, with its
    coding cookie) compiled, or the exit status after reporting its error."""
    try:
        return compile(source, filename, "exec")
    except BaseException as exc:
        return _uncaught(exc)


# run_source(source, filename): runs a program in __main__; its exit status
# (None: 0). From C, as python3 runs it, so no frame of ours is beneath the
# program's (traceback.print_stack, warnings' stacklevel).
run_source = _partial(_pyodide_core.run_top_level, _compile_program, _uncaught)


def run_module(name, program):
    """python3 -m NAME: runs the module as __main__; returns its exit status.
    `program` names us in the message for a module that cannot be found."""
    import runpy

    try:
        try:
            mod_name, spec, code = runpy._get_module_details(name, runpy._Error)
        except runpy._Error as exc:
            sys.stderr.write(f"{program}: {exc}\n")
            return 1
        main_globals = sys.modules["__main__"].__dict__
        # A stdlib module's file, as python3 names it (argparse's prog, __file__):
        # its source beside the zip its code comes from.
        from pyodide._zipreads import STDLIB

        zipped = STDLIB + "/"
        if spec.origin and spec.origin.startswith(zipped) and spec.origin.endswith(".pyc"):
            import os

            source = "/lib/python3.11/" + spec.origin[len(zipped):-1]
            if os.path.isfile(source):
                spec.origin = source
        sys.argv[0] = spec.origin
        runpy._run_code(code, main_globals, None, "__main__", spec)
    except BaseException as exc:
        return _uncaught(exc)
    return 0


def banner(library_version):
    """The first lines of the interactive prompt."""
    return (f"Python {sys.version} on {sys.platform}\n"
            f"Pyodide.Native {library_version}: a sandbox that sees only its"
            " private home and the directories mounted into it.\n"
            'Type "help", "copyright", "credits" or "license" for more information.')


_compile_command = None


def repl_compile(source):
    """Compiles one input of the interactive prompt (UTF-8 bytes, as typed;
    a decoding error is reported as a syntax error is): a code object, None when
    more lines are needed, or False after reporting a syntax error."""
    global _compile_command
    if _compile_command is None:
        import codeop

        # One compiler for the session: `from __future__` imports persist.
        _compile_command = codeop.CommandCompiler()
    try:
        return _compile_command(source.decode(), "<stdin>", "single")
    except (OverflowError, SyntaxError, ValueError) as exc:
        # As python3's prompt: the compiler's frames are not the user's.
        _uncaught(exc.with_traceback(None))
        return False


def _prompt_statement(code):
    global _inspect
    _inspect = False  # at the prompt, SystemExit ends the session
    return code


def _prompt_uncaught(exc):
    status = _uncaught(exc)
    return status if isinstance(exc, SystemExit) else None


# repl_run(code): runs one statement of the interactive prompt, as run_source
# runs a program: None to carry on, or the exit status after SystemExit.
# Expression values go to sys.displayhook, which sets `_`.
repl_run = _partial(_pyodide_core.run_top_level, _prompt_statement, _prompt_uncaught)


def complete(text):
    """Every completion of `text` (a name, keyword or dotted attribute) in
    __main__, as python3's rlcompleter computes them."""
    import rlcompleter

    completer = rlcompleter.Completer()
    matches = []
    try:
        while True:
            match = completer.complete(text, len(matches))
            if match is None:
                return matches
            matches.append(match)
    except Exception:  # e.g. a property that raises: no completions
        return matches


def version():
    """What python3 -V prints."""
    return f"Python {sys.version.split()[0]}"
