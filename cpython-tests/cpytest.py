"""Runs one module of CPython's Lib/test and records each test's outcome.

The same file runs in the sandbox (through driver.c) and under Debian's
/usr/bin/python3.11 (run.py), so both sides load, order and judge the tests
the same way:

    cpytest.use_tests_from(lib)
    cpytest.main(module, results_path, start=0, timeout=0)

Tests are loaded as regrtest loads them (TestLoader.loadTestsFromModule, or the
module's test_main with support.run_unittest caught), flattened in order, and
tests[start:] run as one suite, so class and module fixtures behave as
usual. results_path gets one line per event, written through at once so that
whoever watches the file sees progress and, after a hang or a crash, knows
which test was running:

    N <count>                  tests loaded
    S <index> <id>             test <index> started
    R <index> <status> <id> <why>  it ended: pass, fail, error, skip, xfail,
                               upass; why: the skip reason or the exception
    F <status> <id> <why>      a fixture (setUpClass, setUpModule...) failed
    E <message>                the module could not be loaded or run
    D                          done

Resources (network, cpu, largefile, ...) are disabled, as by a plain
`python -m test`. timeout > 0 (native runs only) makes faulthandler end the
process when one test runs longer; in the sandbox, driver.c watches the file.
"""

import importlib
import os
import sys
import traceback
import unittest

STATUS_ORDER = ("error", "fail", "upass", "xfail", "skip", "pass")


class _Recorder(unittest.TestResult):
    def __init__(self, out, start, timeout):
        super().__init__()
        self._out = out
        self._index = start - 1
        self._timeout = timeout
        self._status = None
        self._why = ""

    def _write(self, *fields):
        self._out.write("\t".join(str(f).replace("\t", " ").replace("\n", " ") for f in fields) + "\n")
        self._out.flush()

    def _worst(self, status, why=""):
        # A test with several outcomes (subtests, then cleanups) keeps the worst.
        if self._status is None or STATUS_ORDER.index(status) < STATUS_ORDER.index(self._status):
            self._status = status
            self._why = why[:200]

    @staticmethod
    def _exception(err):
        lines = str(err[1]).strip().splitlines()
        return f"{err[0].__name__}: {lines[0] if lines else ''}"

    def startTest(self, test):
        super().startTest(test)
        self._index += 1
        self._status = None
        self._why = ""
        self._write("S", self._index, test.id())
        if self._timeout:
            import faulthandler
            faulthandler.dump_traceback_later(self._timeout, exit=True)

    def stopTest(self, test):
        super().stopTest(test)
        if self._timeout:
            import faulthandler
            faulthandler.cancel_dump_traceback_later()
        self._write("R", self._index, self._status or "pass", test.id(), self._why)

    def _fixture_or(self, test, status, why):
        if isinstance(test, unittest.TestCase):
            self._worst(status, why)
        else:  # setUpClass/setUpModule failures come as an _ErrorHolder
            self._write("F", status, test.id(), why)

    def addError(self, test, err):
        super().addError(test, err)
        self._fixture_or(test, "error", self._exception(err))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fixture_or(test, "fail", self._exception(err))

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._worst("fail" if issubclass(err[0], test.failureException) else "error", self._exception(err))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._fixture_or(test, "skip", str(reason))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._worst("xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._worst("upass")


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        elif _skipped_package(item):
            yield from _package_tests(item._testMethodName)
        else:
            yield item


def _skipped_package(test):
    """A package whose load_tests imports all of its test modules at once was
    skipped whole because one of them skips itself at import (e.g.
    unittest.test.testmock, whose testasync needs sockets in the sandbox)."""
    if type(test).__name__ != "_FailedTest" or not isinstance(getattr(test, "_exception", None), unittest.SkipTest):
        return False
    package = sys.modules.get(test._testMethodName)
    return package is not None and hasattr(package, "__path__")


def _package_tests(name):
    """The tests of each of package name's test modules, loaded one by one as
    its load_tests would: a module that skips itself is one skipped test."""
    import pkgutil
    loader = unittest.TestLoader()
    for info in sorted(pkgutil.iter_modules(sys.modules[name].__path__), key=lambda m: m.name):
        if info.ispkg or not info.name.startswith("test"):
            continue
        module = f"{name}.{info.name}"
        try:
            tests = loader.loadTestsFromModule(importlib.import_module(module))
        except unittest.SkipTest as e:
            tests = unittest.loader._make_skipped_test(module, e, unittest.TestSuite)
        yield from _flatten(tests)


def _run(tests, out, start, timeout):
    out.write(f"N\t{len(tests)}\n")
    out.flush()
    result = _Recorder(out, start, timeout)
    unittest.TestSuite(tests[start:]).run(result)
    # Errors and failures also reach stderr, which the caller keeps as the log.
    for test, text in result.errors + result.failures:
        print(f"=== {test.id()}\n{text}", file=sys.stderr)


def _setup():
    from test import support
    support.use_resources = []
    support.verbose = 0
    support.record_original_stdout(sys.stdout)
    # test.support decides by platform name that WASI has no gethostname (the
    # WASI SDK's stub fails); the sandbox's socket module has a working one.
    # Ask the module instead, so that the tests needing it run.
    import socket
    from test.support import socket_helper
    socket_helper.has_gethostname = hasattr(socket, "gethostname")
    return support


def use_tests_from(lib):
    """Imports the test package from lib (CPython's Lib/), and the test
    subpackages of unittest, distutils and ctypes, which installed standard
    libraries (Debian's, the sandbox's zip) leave out. lib goes to the end of
    sys.path, so that everything else still comes from the stdlib under test."""
    sys.path.append(lib)
    import test
    test.__path__[:] = [os.path.join(lib, "test")]
    for name in ("unittest", "distutils", "ctypes"):
        try:
            pkg = importlib.import_module(name)
        except ImportError:
            continue  # then it comes from lib, if it can be imported at all
        extra = os.path.join(lib, name)
        if extra not in pkg.__path__:
            pkg.__path__.append(extra)


def main(module, results_path, start=0, timeout=0):
    # As under regrtest, sys.path[0] is the (writable) working directory, not
    # this runner's directory: some tests write modules there and import them.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [os.getcwd() if p == here else p for p in sys.path]
    with open(results_path, "a", encoding="utf-8") as out:
        try:
            support = _setup()
            name = "test." + module
            sys.modules.pop(name, None)
            mod = importlib.import_module(name)
            test_main = getattr(mod, "test_main", None)
            if test_main is None:
                loader = unittest.TestLoader()
                tests = list(_flatten(loader.loadTestsFromModule(mod)))
                _run(tests, out, start, timeout)
            else:
                # Legacy modules set things up in test_main, then hand their
                # classes to support.run_unittest: run those here instead.
                ran = []

                def run_unittest(*classes):
                    loader = unittest.TestLoader()
                    suite = unittest.TestSuite()
                    for cls in classes:
                        if isinstance(cls, (unittest.TestSuite, unittest.TestCase)):
                            suite.addTest(cls)
                        elif isinstance(cls, str):
                            suite.addTest(loader.loadTestsFromModule(sys.modules[cls]))
                        else:
                            suite.addTest(loader.loadTestsFromTestCase(cls))
                    ran.append(True)
                    _run(list(_flatten(suite)), out, start, timeout)

                support.run_unittest = run_unittest
                test_main()
                if not ran:  # doctest-only test_main: one test, pass or not
                    out.write(f"N\t1\nS\t0\t{name}.test_main\nR\t0\tpass\t{name}.test_main\n")
            out.write("D\n")
        except BaseException as e:  # noqa: BLE001 - every failure is a result here
            traceback.print_exc()
            out.write("E\t" + f"{type(e).__name__}: {e}".replace("\n", " ")[:300] + "\n")
            out.flush()
            if isinstance(e, KeyboardInterrupt):
                raise


if __name__ == "__mp_main__":
    # A child of a native test that multiprocessing started by spawn or
    # forkserver imports this file as its main module, with the parent's
    # sys.argv, then the test module by name: from the same Lib as its parent
    # (else Debian's stub test package, and the child dies at once).
    use_tests_from(sys.argv[1])

if __name__ == "__main__":
    # Native runs: cpytest.py LIB MODULE RESULTS START TIMEOUT
    use_tests_from(sys.argv[1])
    main(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
