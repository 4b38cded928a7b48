namespace Pyodide.Tests;

/// <summary>The standard library from the stdlib zip, including the C extension
/// modules built into python.wasm.</summary>
public sealed class StdlibTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    [Fact]
    public void Version()
    {
        Expect.Str("3.11.2", _py.RunPython("import sys\n'.'.join(map(str, sys.version_info[:3]))"));
        Assert.StartsWith("3.11.2", Assert.IsType<string>(_py.RunPython("sys.version")));
        Expect.Str("wasi", _py.RunPython("sys.platform"));
    }

    [Theory]
    [InlineData("json", "import json\njson.dumps({'b': [1, 2.5, None, True], 'a': '\\xe9'}, sort_keys=True)", "{\"a\": \"\\u00e9\", \"b\": [1, 2.5, null, true]}")]
    [InlineData("json-loads", "import json\nrepr(json.loads('{\"x\": [1, {\"y\": null}]}'))", "{'x': [1, {'y': None}]}")]
    [InlineData("re", "import re\nre.sub(r'(\\d+)', lambda m: str(int(m.group(1)) * 2), 'a1b22c333')", "a2b44c666")]
    [InlineData("math", "import math\nrepr((math.factorial(20), math.sqrt(2), math.gcd(84, 36)))", "(2432902008176640000, 1.4142135623730951, 12)")]
    [InlineData("decimal", "from decimal import Decimal\nstr(Decimal(1) / Decimal(7))", "0.1428571428571428571428571429")]
    [InlineData("datetime", "import datetime\nf'{(datetime.date(2024, 3, 1) - datetime.date(2024, 2, 1)).days} {datetime.datetime(2020, 1, 2, 3, 4, 5).isoformat()}'", "29 2020-01-02T03:04:05")]
    [InlineData("zlib", "import zlib\ndata = b'hello world' * 100\nf'{zlib.crc32(b\"hello world\")} {zlib.decompress(zlib.compress(data)) == data} {len(zlib.compress(data)) < len(data)}'", "222957957 True True")]
    [InlineData("sqlite3", "import sqlite3\ndb = sqlite3.connect(':memory:')\ndb.execute('create table t (x integer, s text)')\ndb.executemany('insert into t values (?, ?)', [(i, str(i)) for i in range(10)])\nrepr(db.execute('select sum(x), group_concat(s, \"\") from t').fetchone())", "(45, '0123456789')")]
    [InlineData("hashlib", "import hashlib\nhashlib.sha256(b'abc').hexdigest() + ' ' + hashlib.md5(b'').hexdigest()", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("collections", "import collections\nrepr(collections.Counter('abracadabra').most_common(2))", "[('a', 5), ('b', 2)]")]
    [InlineData("itertools", "import itertools\n''.join(map(''.join, itertools.combinations('abcd', 2)))", "abacadbcbdcd")]
    [InlineData("time.sleep refuses what the native one refuses", "import time\nout = []\nfor t in (-1, float('nan'), 'x'):\n    try:\n        time.sleep(t)\n    except (ValueError, TypeError) as e:\n        out.append(type(e).__name__)\ntime.sleep(0)\ntime.sleep(0.001)\n' '.join(out)", "ValueError ValueError TypeError")]
    [InlineData("socket.gethostname", "import socket\nsocket.gethostname()", "localhost")]
    [InlineData("unicodedata", "import unicodedata\nunicodedata.name('\\xe9') + ' ' + str(len(unicodedata.normalize('NFD', '\\xe9')))", "LATIN SMALL LETTER E WITH ACUTE 2")]
    public void Module(string name, string code, string expected)
    {
        Assert.NotNull(name);
        Expect.Str(expected, _py.RunPython(code));
    }

    [Theory]
    // sum()'s int fast path keeps its total in a 64-bit long long (cpython-patches/sum-long-long.patch):
    // past 2**31 it stays exact, and past 2**63 either way it falls back to Python ints.
    [InlineData("sum(range(10**6))", "499999500000")]
    [InlineData("sum(range(-10**6, 0))", "-500000500000")]
    [InlineData("sum([2**31 - 1, 1, True, False])", "2147483649")]
    [InlineData("sum([2**62, 2**62, 2**62, -2**62])", "9223372036854775808")]
    [InlineData("sum([-2**62, -2**62, -1])", "-9223372036854775809")]
    [InlineData("sum([2**63 - 1, 1], -2**63)", "0")]
    [InlineData("sum([2**40, 2**40, 0.5])", "2199023255552.5")]
    [InlineData("sum([1, 2**100, -2**100], 10)", "11")]
    public void SumOfIntsPastA32BitLong(string expression, string expected)
    {
        Expect.Str(expected, _py.RunPython($"repr({expression})"));
    }

    [Fact]
    public void HashingIsSipHash13AsInNativeCPython()
    {
        // configure cannot test unaligned access when cross-compiling and assumed it
        // faults, which made CPython hash with FNV (build-cpython.sh, CONFIG_SITE_EXTRA).
        // The views below start at every offset of a word, so SipHash reads unaligned data.
        Expect.Str("siphash13 128 True", _py.RunPython("""
            import sys
            data = bytes(range(65, 91)) * 3
            view = memoryview(data).toreadonly()
            views_match = all(hash(view[i:i + n]) == hash(data[i:i + n])
                              for i in range(8) for n in (0, 1, 7, 8, 9, 31))
            f"{sys.hash_info.algorithm} {sys.hash_info.seed_bits} {views_match}"
            """));
    }

    [Fact]
    public void TracemallocSeesAllocationsAndFrees()
    {
        // pymalloc is called directly while it is the allocator
        // (cpython-patches/direct-allocator-calls.patch); tracemalloc replaces it, and
        // then every allocation and free must still reach tracemalloc's hooks.
        Expect.Str("True True <exec> 0", _py.RunPython("""
            import tracemalloc
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            x = [str(i) * 3 for i in range(10000)]
            after = tracemalloc.get_traced_memory()[0]
            where = tracemalloc.take_snapshot().statistics('lineno')[0].traceback[0].filename
            del x
            freed = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
            f"{after - before > 400_000} {freed < after - 300_000} {where} {tracemalloc.get_traced_memory()[0]}"
            """));
    }

    [Fact]
    public void WeakContainersLoseDeadReferents()
    {
        // A weakref caches its referent's hash, so a WeakSet or WeakKeyDictionary can
        // remove the entry of a referent that has died (CPython's own behaviour).
        Expect.Str("(1, 1, True, [])", _py.RunPython("""
            import sys, weakref
            errors = []
            sys.unraisablehook = lambda u: errors.append(repr(u.exc_value))
            class A: pass
            a, b = A(), A()
            s = weakref.WeakSet([a, b])
            d = weakref.WeakKeyDictionary({a: 1, b: 2})
            r = weakref.ref(a)
            h = hash(r)
            del a
            sys.unraisablehook = sys.__unraisablehook__
            repr((len(s), len(d), hash(r) == h, errors))
            """));
    }

    [Fact]
    public void AReleasedMemoryviewKeepsItsHash()
    {
        // CPython caches a read-only memoryview's hash, so it survives release().
        Assert.Equal(true, _py.RunPython("""
            m = memoryview(b"abcdef")
            h = hash(m)
            m.release()
            h == hash(m) == hash(b"abcdef")
            """));
    }

    [Fact]
    public void SqliteStoresNonAsciiAndBlobs()
    {
        Expect.Str("ünï🐍|b'\\x00\\x01'", _py.RunPython("""
            import sqlite3
            con = sqlite3.connect(':memory:')
            con.execute('create table t (s text, b blob)')
            con.execute('insert into t values (?, ?)', ('ünï🐍', b'\x00\x01'))
            s, b = con.execute('select s, b from t').fetchone()
            f'{s}|{b!r}'
            """));
    }

    [Fact]
    public void ImportErrorForMissingModule()
    {
        var e = Assert.Throws<PythonException>(() => _py.RunPython("import no_such_module_xyz"));
        Assert.Equal("ModuleNotFoundError", e.PythonType);
    }

    [Fact]
    public void HelperPackageIsImportable()
    {
        Expect.Long(3, _py.RunPython("import pyodide\npyodide.eval_code('1 + 2', {})"));
        using var names = Expect.Proxy(_py.RunPython("pyodide.find_imports('import a.b\\nfrom c import d\\nimport a')"));
        Assert.Equal(2, names.Length);
        Expect.Str("a", names[0]);
        Expect.Str("c", names[1]);
    }

    // An archive of the user's on sys.path (stored, as zipfile writes by default), with a
    // module larger than three WASI reads (64 KiB each).
    private const string UserArchive = """
        import sys, zipfile
        with zipfile.ZipFile("/home/pyodide/user.zip", "w") as archive:
            archive.writestr("umod_a.py", "A = 1\n")
            archive.writestr("umod_b.py", "B = 2\n")
            archive.writestr("umod_c.py", "C = 3\n")
            archive.writestr("umod_big.py", "BIG = " + repr("x" * 300_000) + "\n")
        sys.path.insert(0, "/home/pyodide/user.zip")
        """;

    [Fact]
    public void StdlibModulesAreReadByTheHostWithoutADescriptor()
    {
        // pyodide._zipreads: each stdlib module is one host read (no WASI call, nothing
        // kept open); one the host cannot read comes through zipimport's own reader.
        using var py = Runtimes.LoadQuiet();
        Expect.Str("True True False True", py.RunPython("""
            import sys, _pyodide_core, pyodide._zipreads as z
            assert "keyword" not in sys.modules and "token" not in sys.modules and "tabnanny" not in sys.modules
            import keyword
            import token
            read = _pyodide_core.read_stdlib
            try:
                _pyodide_core.read_stdlib = lambda offset, size: None
                import tabnanny
            finally:
                _pyodide_core.read_stdlib = read
            f"{keyword.iskeyword('def')} {token.tok_name[token.NAME] == 'NAME'} {z.STDLIB in z._open} {callable(tabnanny.check)}"
            """));
    }

    [Fact]
    public void TheHostsStdlibReadRefusesBadArguments()
    {
        using var py = Runtimes.LoadQuiet();
        Expect.Str("True 0 ValueError ValueError OverflowError TypeError TypeError", py.RunPython("""
            import os, _pyodide_core
            read = _pyodide_core.read_stdlib
            size = os.stat("/lib/python311.zip").st_size
            errors = []
            for args in [(-1, 4), (0, -4), (2**80, 4), (0,), ("0", 4)]:
                try:
                    read(*args)
                    errors.append("none")
                except Exception as e:
                    errors.append(type(e).__name__)
            magic = read(0, 4) == b"PK\x03\x04"
            f"{magic} {len(read(size + 100, 10))} {' '.join(errors)}"
            """));
    }

    [Fact]
    public void AModuleWrittenToTheWorkingDirectoryAfterAFailedImportIsFound()
    {
        // As with python3 -c, without importlib.invalidate_caches(): the working
        // directory's new modification time (here set apart from the old one, whatever the
        // clock's grain) makes FileFinder read it again.
        using var py = Runtimes.LoadQuiet();
        Expect.Str("False 42", py.RunPython("""
            import os, sys
            sys.path.insert(0, "")  # the working directory, as python3 -c has it
            try:
                import late_module
                found_early = True
            except ImportError:
                found_early = False
            before = os.stat("/home/pyodide").st_mtime_ns
            with open("/home/pyodide/late_module.py", "w") as f:
                f.write("VALUE = 42\n")
            os.utime("/home/pyodide", ns=(before + 5_000_000_000, before + 5_000_000_000))
            import late_module
            f"{found_early} {late_module.VALUE}"
            """));
    }

    [Fact]
    public void TheStdlibsSourcesAreTheFilesItsCodeNames()
    {
        // The stdlib's code says it comes from /lib/python3.11/<path>.py (make-stdlib-zip.py),
        // and the build installs its sources there: CPython's traceback printer and
        // linecache open that file, and inspect finds it. Every module in the zip has its
        // source, and the source compiles to the code the zip holds (the same lines).
        using var py = Runtimes.LoadQuiet();
        Expect.Str("True [] [] True", py.RunPython("""
            import marshal, os, zipimport
            stdlib = zipimport.zipimporter("/lib/python311.zip")
            modules = sorted(name[:-1] for name in zipimport._zip_directory_cache[stdlib.archive] if name.endswith(".pyc"))
            missing = [name for name in modules if not os.path.isfile("/lib/python3.11/" + name)]
            differing = []
            for name in ("json/decoder.py", "re/_parser.py", "collections/__init__.py", "os.py"):
                path = "/lib/python3.11/" + name
                stored = marshal.loads(stdlib.get_data(name + "c")[16:])
                with open(path, "rb") as f:
                    compiled = compile(f.read(), path, "exec", dont_inherit=True)
                if (stored.co_filename, stored.co_code, list(stored.co_positions())) != \
                        (path, compiled.co_code, list(compiled.co_positions())):
                    differing.append(name)
            stray = os.path.isfile("/lib/python3.11/os.pyc") or os.path.isdir("/lib/python3.11/json/__pycache__")
            f"{len(modules) > 500} {missing} {differing} {not stray}"
            """));
    }

    [Fact]
    public void TracebacksAndInspectShowTheStdlibsLines()
    {
        // As python3 shows them: the library's error text, CPython's own printer (what
        // pyodide-run and the prompt use) and inspect.
        using var py = Runtimes.LoadQuiet();
        var e = Assert.Throws<PythonException>(() => py.RunPython("import json\njson.loads('{')"));
        Assert.Contains("""
              File "/lib/python3.11/json/decoder.py", line 353, in raw_decode
                obj, end = self.scan_once(s, idx)
                           ^^^^^^^^^^^^^^^^^^^^^^
            """, e.Traceback);
        Expect.Str("True True True", py.RunPython("""
            import inspect, io, json, re, sys
            printed = io.StringIO()
            try:
                re.compile("(")
            except re.error as error:
                stderr, sys.stderr = sys.stderr, printed
                try:
                    sys.__excepthook__(type(error), error, error.__traceback__)
                finally:
                    sys.stderr = stderr
            text = printed.getvalue()
            shown = "raise source.error(\"missing ), unterminated subpattern\"," in text
            lines = text.splitlines()
            frames = [i for i, line in enumerate(lines) if line.startswith('  File "/lib/python3.11/')]
            each_shown = len(frames) >= 3 and all(lines[i + 1].startswith("    ") for i in frames)
            f"{shown} {each_shown} {inspect.getsource(json.dumps).startswith('def dumps(obj, *, skipkeys=False,')}"
            """));
    }

    [Fact]
    public void SetFlagsChangesWhatTheInterpreterDoesAndRefusesBadFlags()
    {
        // bridge/flags.c, which pyodide-run uses for python3's -O, -b, -v, ...: the flag in
        // sys.flags and what reads it as the interpreter runs (compile's optimisation level,
        // the bytes comparison warning, int's string limit); a bad flag changes nothing.
        using var py = Runtimes.LoadQuiet();
        Expect.Str("1 2 1 False BytesWarning 700 ValueError TypeError TypeError OverflowError 1", py.RunPython("""
            import sys, warnings, _pyodide_core
            _pyodide_core.set_flags(optimize=1, bytes_warning=2, no_user_site=1, int_max_str_digits=700)
            namespace = {}
            exec(compile("def f():\n    assert False\n    return __debug__", "<flags>", "exec"), namespace)
            shown = [sys.flags.optimize, sys.flags.bytes_warning, sys.flags.no_user_site, namespace["f"]()]
            with warnings.catch_warnings():
                warnings.simplefilter("error", BytesWarning)
                try:
                    b"" == ""
                except BytesWarning as e:
                    shown.append(type(e).__name__)
            try:
                int("1" * 701)
            except ValueError:
                shown.append(sys.get_int_max_str_digits())
            for bad in ({"optimize": -1}, {"no_such_flag": 1}, {"optimize": "1"}, {"verbose": 2**40}):
                try:
                    _pyodide_core.set_flags(**bad)
                except Exception as e:
                    shown.append(type(e).__name__)
            shown.append(sys.flags.optimize)
            " ".join(map(str, shown))
            """));
    }

    [Fact]
    public void TheStdlibZipStoresItsMembersUncompressed()
    {
        // make-stdlib-zip.py stores the .pyc files: inflating them in the sandbox at each
        // import was a fifth of a start that imports a few common modules.
        using var py = Runtimes.LoadQuiet();
        Expect.Str("0 [0]", py.RunPython("""
            import zipimport
            zipimport.zipimporter("/lib/python311.zip")  # the archive's directory, read if not yet
            toc = zipimport._zip_directory_cache["/lib/python311.zip"]
            members = [entry for name, entry in toc.items() if name.endswith(".pyc")]
            assert len(members) > 500, len(members)
            f"{sum(entry[1] != 0 for entry in members)} {sorted({entry[1] for entry in members})}"
            """));
    }

    [Fact]
    public void ZipMembersLargerThanOneReadAreReadWholeWithoutTheFallback()
    {
        // A WASI read returns at most 64 KiB: _zipreads reads a larger member of a user's
        // archive in parts (it gave up after two before, and zipimport's own reader, eight
        // WASI calls, took over); the host reads the stdlib's in one.
        using var py = Runtimes.LoadQuiet();
        py.RunPython(UserArchive);
        Expect.Str("True True True True", py.RunPython("""
            import zipimport, pyodide._zipreads as z

            def whole(archive, name):
                zipimport.zipimporter(archive)  # the archive's directory, read if not yet
                entry = zipimport._zip_directory_cache[archive][name]
                assert entry[2] > 3 * 65536, (name, entry[2])
                data = z._read(archive, entry)
                return data is not None and len(data) == entry[3] and data == z.read_member.zipimport_read(archive, entry)

            import umod_big, pydoc_data.topics
            f"{whole('/home/pyodide/user.zip', 'umod_big.py')} {whole(z.STDLIB, 'pydoc_data/topics.pyc')} {len(umod_big.BIG) == 300_000} {len(pydoc_data.topics.topics) > 10}"
            """));
    }

    [Fact]
    public void AUsersArchiveIsReadThroughOneKeptDescriptor()
    {
        using var py = Runtimes.LoadQuiet();
        py.RunPython(UserArchive);
        Expect.Str("1 2 1 True", py.RunPython("""
            import pyodide._zipreads as z
            import umod_a
            first = z._open["/home/pyodide/user.zip"]
            import umod_b
            f"{umod_a.A} {umod_b.B} {len(z._open)} {z._open['/home/pyodide/user.zip'] == first}"
            """));
    }

    [Fact]
    public void AZipDescriptorClosedOrReusedByUserCodeFallsBackToAFreshRead()
    {
        using var py = Runtimes.LoadQuiet();
        py.RunPython(UserArchive);
        Expect.Str("True True True True", py.RunPython("""
            import os, pyodide._zipreads as z
            import umod_a
            # Closed by user code: the next read fails, falls back, and reopens.
            os.close(z._open["/home/pyodide/user.zip"][0])
            import umod_b
            reopened = "/home/pyodide/user.zip" in z._open
            # Closed, and the number reused for another file: the check refuses what it
            # reads, and the user's file is left open.
            fd = z._open["/home/pyodide/user.zip"][0]
            os.close(fd)
            with open("/home/pyodide/other.bin", "wb") as f:
                f.write(b"PK" * 50_000)
            other = os.open("/home/pyodide/other.bin", os.O_RDONLY)
            assert other == fd, (other, fd)
            import umod_c
            still_open = os.fstat(other).st_size == 100_000
            os.close(other)
            f"{umod_b.B == 2} {reopened} {umod_c.C == 3} {still_open}"
            """));
    }

    [Fact]
    public void ListingsOfLargeDirectoriesAreWholeAndExact()
    {
        // bridge/readdir.c answers a listing from one host read (here larger than its
        // first buffer, so it grows): every way of listing sees each entry once, also
        // with two listings read in turns, and a new listing sees what changed.
        using var py = Runtimes.LoadQuiet();
        Expect.Str("True True True True True", py.RunPython("""
            import os
            d = "/home/pyodide/many"
            os.mkdir(d)
            names = {f"entry-{i:05d}-" + "x" * (i % 120) for i in range(4000)}
            for n in names:
                open(os.path.join(d, n), "w").close()
            listed = os.listdir(d)
            scanned = [e.name for e in os.scandir(d)]
            walked = next(os.walk(d))[2]
            a, b = os.scandir(d), os.scandir(d)
            pairs = [(x.name, y.name) for x, y in zip(a, b)]
            a.close()
            b.close()
            # A new listing reads the directory again: it sees a removal.
            gone = sorted(names)[1234]
            os.remove(os.path.join(d, gone))
            after = os.listdir(d)
            want = sorted(names)
            (f"{len(listed) == 4000 and sorted(listed) == want} {sorted(scanned) == want} {sorted(walked) == want} "
             f"{len(pairs) == 4000 and all(x == y for x, y in pairs)} {sorted(after) == [n for n in want if n != gone]}")
            """));
    }

    [Fact]
    public void ReadingAWholeFileSeesItAsItIsNotAsItWasOpened()
    {
        // cpython-patches/fileio-open-stat.patch: a file opened read-only sizes
        // readall()'s first buffer from the size its open saw, and open() answers
        // isatty() from the open's fstat. The size is only a hint: a file that grew or
        // shrank after the open is still read whole; one written through the same
        // object (opened writable) as well; a regular file is never line-buffered.
        using var py = Runtimes.LoadQuiet();
        Expect.Str("True True True True True True True", py.RunPython("""
            import os
            p = "/home/pyodide/sized.bin"
            with open(p, "wb") as f:
                f.write(b"a" * 100)
            grown = open(p, "rb")
            with open(p, "ab") as f:
                f.write(b"b" * 70000)
            grew = grown.read() == b"a" * 100 + b"b" * 70000
            grown.close()
            shrunk = open(p, "rb")
            os.truncate(p, 10)
            shrank = shrunk.read() == b"a" * 10
            shrunk.close()
            rest = open(p, "rb")
            rest.seek(4)
            tail = rest.read() == b"a" * 6 and rest.read() == b""
            rest.close()
            with open(p, "w+b") as f:
                f.write(b"c" * 50000)
                f.seek(0)
                written = f.read() == b"c" * 50000
            with open(p, "w") as f:
                f.write("line one\nline two\n")
            text = open(p).read() == "line one\nline two\n"
            with open(p) as f:
                not_tty = not f.line_buffering and not f.isatty()
            raw = open(p, "rb", buffering=0)
            raw_whole = raw.readall() == b"line one\nline two\n"
            raw.close()
            f"{grew} {shrank} {tail} {written} {text} {not_tty} {raw_whole}"
            """));
    }
}
