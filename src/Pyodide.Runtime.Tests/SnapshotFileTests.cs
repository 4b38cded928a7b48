using System.Buffers.Binary;
using Pyodide.Guest;

namespace Pyodide.Tests;

/// <summary>Snapshot files: <see cref="PyodideRuntime.SaveSnapshot"/> and
/// <see cref="PyodideOptions.Snapshot"/> (PyodideRuntime.Snapshots.cs, Guest/SnapshotFile.cs).</summary>
public sealed class SnapshotFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pyodide-snapshot-test-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string NewPath(string name = "state") => Path.Combine(_dir.FullName, $"{name}-{Guid.NewGuid():N}.snapshot");

    private static PyodideRuntime LoadFrom(string path, ulong memoryLimit = 0, IReadOnlyList<PyodideMount>? mounts = null) =>
        Runtimes.Load(new PyodideOptions
        {
            Stdout = _ => { }, Stderr = _ => { }, Snapshot = path, MemoryLimit = memoryLimit, Mounts = mounts ?? [],
        });

    /// <summary>A snapshot of a runtime that ran <paramref name="setup"/>.</summary>
    private string Save(string setup)
    {
        string path = NewPath();
        using var py = Runtimes.LoadQuiet();
        py.RunPython(setup);
        py.SaveSnapshot(path);
        return path;
    }

    private const string LibrariesAndBigDict = """
        import json, decimal, sqlite3, asyncio, email, email.message
        big = {f"key{i}": i for i in range(100_000)}
        db = sqlite3.connect(":memory:")
        db.execute("create table t (x)")
        db.execute("insert into t values (42)")
        """;

    [Fact]
    public void SavingAfterImportsFromAUsersZipClosesItsKeptDescriptor()
    {
        // pyodide._zipreads keeps an archive of the user's open between imports (the host
        // reads the stdlib's: nothing is kept for it); a copy may hold no descriptor but its
        // host's preopened directories, so the seal closes it.
        string path = NewPath();
        using (var py = Runtimes.LoadQuiet())
        {
            py.RunPython("""
                import sys, zipfile, keyword, pyodide._zipreads as z
                with zipfile.ZipFile("/home/pyodide/user.zip", "w") as archive:
                    archive.writestr("umod_a.py", "A = 1\n")
                    archive.writestr("umod_b.py", "B = 2\n")
                sys.path.insert(0, "/home/pyodide/user.zip")
                import umod_a
                assert list(z._open) == ["/home/pyodide/user.zip"], z._open
                """);
            py.SaveSnapshot(path);
            Expect.Str("True False", py.RunPython("import colorsys\nf\"{colorsys.rgb_to_hsv(1, 0, 0) == (0, 1, 1)} {bool(z._open)}\""));
        }
        using var restored = LoadFrom(path);
        // The copy opens the archive again for itself: whatever descriptor it keeps is the archive's.
        Assert.True(restored.RunPython<bool>("""
            import os, shlex, umod_b
            fd = z._open["/home/pyodide/user.zip"][0]
            (keyword.iskeyword("if") and shlex.split('a "b c"') == ["a", "b c"] and umod_b.B == 2
             and os.fstat(fd).st_size == os.stat("/home/pyodide/user.zip").st_size)
            """));
    }

    [Fact]
    public void ARestoredRuntimeHasEverythingTheSavedOneHad()
    {
        string path = Save(LibrariesAndBigDict);
        using var py = LoadFrom(path);
        Assert.True(py.StartedFromSnapshotFile);
        Assert.True(py.RunPython<bool>("""
            import sys
            all(m in sys.modules for m in ["json", "decimal", "sqlite3", "asyncio", "email"])
            """));
        Assert.Equal(100_000, py.RunPython<long>("len(big)"));
        // Keys made now find the entries of the dict made before the save.
        Assert.Equal(99_999, py.RunPython<long>("big['key' + str(99_999)]"));
        Assert.True(py.RunPython<bool>("all(big[f'key{i}'] == i for i in range(0, 100_000, 997))"));
        Assert.Equal(42, py.RunPython<long>("db.execute('select x from t').fetchone()[0]"));
        Assert.Equal("\"1.10\"", py.RunPython<string>("json.dumps(str(decimal.Decimal('1.1') + decimal.Decimal('0.00')))"));
        Assert.Equal("ok", py.RunPython<string>("asyncio.run(asyncio.sleep(0, 'ok'))"));
        Assert.Equal("x@y", py.RunPython<string>("m = email.message.EmailMessage(); m['To'] = 'x@y'; m['To']"));
    }

    [Fact]
    public void TwoRestoredRuntimesHaveTheirOwnHashesAndRandomState()
    {
        string path = Save("import random\nseen = hash('abc'), random.random()");
        using var a = LoadFrom(path);
        using var b = LoadFrom(path);
        long savedHash = a.RunPython<long>("seen[0]");
        // Each equality below holds by chance with a probability of at most 2^-32.
        Assert.NotEqual(a.RunPython<long>("hash('abc')"), b.RunPython<long>("hash('abc')"));
        Assert.NotEqual(savedHash, a.RunPython<long>("hash('abc')"));
        Assert.NotEqual(a.RunPython<double>("random.random()"), b.RunPython<double>("random.random()"));
        Assert.NotEqual(a.RunPython<long>("import os; int.from_bytes(os.urandom(7), 'little')"),
                        b.RunPython<long>("import os; int.from_bytes(os.urandom(7), 'little')"));
    }

    [Fact]
    public void UserStateThatKeepsHashesIsRehashed()
    {
        string path = Save("""
            import collections, datetime, functools, pathlib
            class Sub(dict): pass
            class Key:
                def __init__(self, name): self.name = name
                def __hash__(self): return hash(self.name)
                def __eq__(self, other): return isinstance(other, Key) and other.name == self.name
            od = collections.OrderedDict((f"k{i}", i) for i in range(50))
            sub = Sub({f"s{i}": i for i in range(50)})
            tuples = {("a", i) for i in range(50)}
            frozen = {frozenset({"x", str(i)}) for i in range(50)}
            nested = {frozenset({frozenset({"deep"})}): 1}
            objects = {Key(f"o{i}"): i for i in range(50)}
            dates = {datetime.date(2020, 1, 1 + i): i for i in range(20)}
            paths = {pathlib.PurePosixPath(f"/p/{i}"): i for i in range(20)}
            for p in paths: hash(p)
            @functools.lru_cache(maxsize=4)
            def square(s): return s * 2
            for w in ["a", "b", "c", "d"]: square(w)
            typed = functools.lru_cache(maxsize=None)(lambda s: s.upper())
            typed("q")
            import weakref
            keep = [Key(f"w{i}") for i in range(50)]
            weak_keys = weakref.WeakKeyDictionary((k, i) for i, k in enumerate(keep))
            weak_set = weakref.WeakSet(keep)
            gone = Key("gone")
            dead_ref = weakref.ref(gone)
            dead_refs = {dead_ref}
            del gone
            views = {memoryview(f"m{i}".encode()): i for i in range(20)}
            released = memoryview(b"released")
            released_hash = hash(released)
            released_set = {released}
            released.release()
            class Text(str): pass
            word = "sub" + "class"
            hash(word)
            texts = {Text(word): 1}  # a str subclass takes its base's cached hash
            """);
        using var py = LoadFrom(path);
        Assert.True(py.RunPython<bool>("""
            checks = [
                od["k" + "49"] == 49 and list(od)[:2] == ["k0", "k1"],
                sub["s" + "7"] == 7 and type(sub) is Sub,
                ("a", 7) in tuples and frozenset({"x", "7"}) in frozen,
                nested[frozenset({frozenset({"de" + "ep"})})] == 1,
                objects[Key("o" + "3")] == 3,
                dates[datetime.date(2020, 1, 5)] == 4,
                paths[pathlib.PurePosixPath("/p/" + "3")] == 3,
                texts["sub" + "class"] == 1 and hash(next(iter(texts))) == hash("sub" + "class"),
            ]
            # The OrderedDict resizes (its nodes' hashes are used then) and still works.
            for i in range(50, 500): od[f"k{i}"] = i
            od.move_to_end("k0")
            checks.append(list(od)[-1] == "k0" and od["k" + "250"] == 250 and len(od) == 500)
            # lru_cache evicts by its links' hashes: a fifth key evicts the oldest entry.
            square("e")
            checks.append(square.cache_info().currsize == 4)
            for w in "fghijk": square(w)
            checks.append(square.cache_info().currsize == 4 and typed("q") == "Q")
            # Live weakrefs hash as their referents now do; a dead one keeps the hash its set has.
            checks.append(weak_keys[Key("w" + "3")] == 3 and Key("w" + "4") in weak_set)
            checks.append(dead_ref in dead_refs)
            # Memoryviews hash as their bytes now do; a released one keeps its hash.
            checks.append(views[memoryview(b"m" + b"7")] == 7 and hash(memoryview(b"m3")) == hash(b"m3"))
            checks.append(hash(released) == released_hash and released in released_set)
            import sys
            errors = []
            sys.unraisablehook = lambda u: errors.append(u.exc_value)
            del keep[:10]
            sys.unraisablehook = sys.__unraisablehook__
            checks.append(len(weak_keys) == 40 and len(weak_set) == 40 and not errors)
            all(checks)
            """));
    }

    [Fact]
    public void AHashMethodThatFreesTablesDuringTheRehashLeavesTheRestIntact()
    {
        // A copy rehashes sets before the dicts whose keys are not strs. Each __hash__ below
        // (run for the set's elements, at the save and again in the copy's rehash) frees one
        // such dict, whose table leaves the registry in the middle of the rehash, and fills
        // memory of about its size with 0xff bytes: a rehash that still visited the freed
        // table would read those bytes as one.
        string path = Save("""
            victims = [{j: j + n for j in range(20)} for n in range(500)]
            filler = []
            class Churn:
                def __init__(self, n): self.n = n
                def __hash__(self):
                    if victims:
                        victims.pop()
                        filler.append([b"\xff" * size for size in range(200, 400, 4)])
                    return hash(("churn", self.n))
                def __eq__(self, other): return isinstance(other, Churn) and other.n == self.n
            churn = {Churn(n) for n in range(100)}
            """);
        using var py = LoadFrom(path);
        Assert.True(py.RunPython<bool>("""
            checks = [
                0 < len(victims) < 400,  # 100 freed at the save, more during the rehash
                all(v[j] == j + n for n, v in enumerate(victims) for j in range(20)),
                Churn(5) in churn and Churn(100) not in churn,
                {j: j for j in range(1000)}[999] == 999,
            ]
            all(checks)
            """));
    }

    [Fact]
    public void ARestoreThatNeverEndsIsStoppedAtTheStartDeadline()
    {
        // A copy's rehash runs the __hash__ of a set's elements: this one, once the flag is
        // set, never returns, so the start runs past its deadline (CallWatchdog.StartTimeout).
        string path = Save("""
            hang = False
            class Forever:
                def __hash__(self):
                    while hang: pass
                    return 1
            forever = {Forever()}
            hang = True
            """);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Throws<PyodideException>(() => LoadFrom(path));
        Assert.InRange(watch.Elapsed, CallWatchdog.StartTimeout, CallWatchdog.StartTimeout * 3);
        Assert.Equal(PyodideErrorKind.IO, error.Kind); // as any start that never ends
        Assert.Contains("was still starting", error.Message);
        // The process goes on: the next runtime starts.
        using var py = Runtimes.LoadQuiet();
        Assert.Equal(2, py.RunPython<long>("1 + 1"));
    }

    [Fact]
    public void HomeFilesAndPackagesComeAlong()
    {
        string path = Save("""
            import os, sys
            open("/home/pyodide/notes.txt", "w").write("kept")
            os.makedirs("/home/pyodide/site-packages/mypkg", exist_ok=True)
            open("/home/pyodide/site-packages/mypkg/__init__.py", "w").write("VALUE = 7\n")
            import mypkg
            """);
        using var py = LoadFrom(path);
        Assert.Equal("kept", py.RunPython<string>("open('/home/pyodide/notes.txt').read()"));
        Assert.Equal(7, py.RunPython<long>("mypkg.VALUE"));
        Assert.Equal(7, py.RunPython<long>("import importlib, sys; del sys.modules['mypkg']; importlib.import_module('mypkg').VALUE"));
    }

    [Fact]
    public void FilesWrittenAnywhereInTheSandboxComeAlong()
    {
        string path = Save("""
            import os
            os.makedirs("/tmp/work/deep")
            open("/tmp/work/deep/t.txt", "w").write("in tmp")
            open("/top.txt", "w").write("at the root")
            """);
        using var py = LoadFrom(path);
        Assert.Equal("in tmp|at the root|home,lib,tmp,top.txt", py.RunPython<string>(
            "open('/tmp/work/deep/t.txt').read() + '|' + open('/top.txt').read() + '|' + ','.join(sorted(os.listdir('/')))"));
        // Each runtime from the file gets its own copy.
        using var other = LoadFrom(path);
        py.RunPython("open('/tmp/work/deep/t.txt', 'w').write('changed')");
        Assert.Equal("in tmp", other.RunPython<string>("open('/tmp/work/deep/t.txt').read()"));
    }

    [Fact]
    public void ASymbolicLinkAnywhereInTheSandboxStopsTheSave()
    {
        using var py = Runtimes.LoadQuiet();
        py.RunPython("import os\nos.symlink('../home', '/tmp/to-home')");
        var e = Assert.Throws<InvalidOperationException>(() => py.SaveSnapshot(NewPath()));
        Assert.Contains("/tmp/to-home", e.Message);
    }

    [Fact]
    public void ARunningIntervalTimerStopsTheSave()
    {
        using var py = Runtimes.LoadQuiet();
        py.RunPython("import signal\nsignal.alarm(60)");
        var e = Assert.Throws<InvalidOperationException>(() => py.SaveSnapshot(NewPath()));
        Assert.Contains("signal.alarm", e.Message);
        // Stopped, the save goes on.
        py.RunPython("signal.alarm(0)");
        py.SaveSnapshot(NewPath());
    }

    [Fact]
    public void TheLoadingConfigsMountsApply()
    {
        string path = Save("import os\nx = 1");
        var dir = _dir.CreateSubdirectory("mount");
        File.WriteAllText(Path.Combine(dir.FullName, "in.txt"), "from the host");
        using var py = LoadFrom(path, mounts: [new PyodideMount(dir.FullName, "/data", ReadOnly: false)]);
        Assert.Equal("from the host", py.RunPython<string>("open('/data/in.txt').read()"));
        Assert.True(py.RunPython<bool>("import os\n'data' in os.listdir('/')"));
        py.RunPython("open('/data/out.txt', 'w').write('from python')");
        Assert.Equal("from python", File.ReadAllText(Path.Combine(dir.FullName, "out.txt")));
    }

    [Fact]
    public void TheSavingRuntimeGoesOnWithItsOwnHashes()
    {
        // Saving makes every str forget its hash and every str-keyed table rebuild its
        // index at first use; the saving runtime redoes them under its unchanged secret.
        using var py = Runtimes.LoadQuiet();
        py.RunPython("""
            class Point: pass
            p = Point(); p.x = 5
            big = {f"key{i}": i for i in range(10_000)}
            words = {f"w{i}" for i in range(100)}
            before = hash("abc")
            """);
        py.SaveSnapshot(NewPath());
        Assert.True(py.RunPython<bool>("""
            (hash("abc") == before and p.x == 5 and "w" + "7" in words
             and all(big["key" + str(i)] == i for i in range(10_000))
             and {k: v for k, v in big.items()} == big)
            """));
    }

    [Fact]
    public void ARestoredRuntimeCanBeSavedAgain()
    {
        string first = Save("generation = 1");
        string second = NewPath();
        using (var py = LoadFrom(first))
        {
            py.RunPython("generation += 1\nlate = {'k' + str(i): i for i in range(1000)}");
            py.SaveSnapshot(second);
        }
        using var again = LoadFrom(second);
        Assert.Equal(2, again.RunPython<long>("generation"));
        Assert.Equal(999, again.RunPython<long>("late['k999']"));
    }

    [Fact]
    public void RuntimesShareTheSnapshotPagesTheyOnlyRead()
    {
        // Guest/RestoreWrites.cs: the first restore copies every page, the second learns
        // which pages a restore writes, the later ones copy those and share the rest.
        string path = Save(LibrariesAndBigDict);
        using var first = LoadFrom(path);
        var (firstSize, firstCopied) = SnapshotPagesMapped(path);
        Assert.True(firstSize > 0, "the snapshot's pages are mapped from the file");
        Assert.Equal(firstSize, firstCopied);
        using var learning = LoadFrom(path);
        var (size, copied) = SnapshotPagesMapped(path);
        long learned = copied - firstCopied;
        Assert.Equal(2 * firstSize, size);
        // The strs and str-keyed tables a restore does not use (the big dict's 10^5 keys and
        // its index, most of the libraries') keep their pages: they rehash at first use.
        Assert.True(learned < firstSize / 4, $"the learning restore wrote {learned} of {firstSize} KiB");
        using var third = LoadFrom(path);
        using var fourth = LoadFrom(path);
        (size, copied) = SnapshotPagesMapped(path);
        long later = copied - firstCopied - learned;
        // Each copied what the learning restore wrote (it writes the same pages, with its
        // own hash secret), and shares the rest.
        Assert.InRange(later, learned, 2 * learned + 64);
        foreach (var py in new[] { first, learning, third, fourth })
            Assert.True(py.RunPython<bool>("len(big) == 100_000 and all(big[f'key{i}'] == i for i in range(0, 100_000, 499))"));
        Assert.NotEqual(third.RunPython<long>("hash('abc')"), fourth.RunPython<long>("hash('abc')"));
    }

    [Fact]
    public void AProcesssFirstRestoreCopiesWhatAnEarlierProcessWrote()
    {
        // Guest/RestoreWrites.cs: a process's first restore of a checked file, with no set
        // kept yet, copies nothing up front and, when its runtime ends, leaves the pages it
        // wrote in the file's stamp; the next process's first restore (here: the file
        // opened anew, once the process has let it go) copies those and shares the rest. A
        // stamp whose bytes are not pages of the file is not trusted, and is learned again.
        string path = NewPath("learned");
        File.Copy(Save("import json\nbig = {f'key{i}': i for i in range(20_000)}"), path);
        Thread.Sleep(SnapshotVerified.Settle + TimeSpan.FromMilliseconds(100));
        long learningCopied;
        using (var learning = LoadFrom(path))
        {
            var (size, copied) = SnapshotPagesMapped(path);
            Assert.True(copied < size / 2, $"the learning restore copied {copied} of {size} KiB up front");
            Assert.Equal(10, learning.RunPython<long>("big['key7'] + len(json.dumps([1]))"));
            learningCopied = SnapshotPagesMapped(path).Copied;
        }
        var written = KeptWrites(path);
        Assert.NotNull(written);
        long writtenKiB = written!.Sum(r => (long)r.Count) * 4;
        // What it had written by its last call, and what ending it wrote.
        Assert.InRange(writtenKiB, learningCopied, learningCopied + 64);

        LetGo(path);
        using (var first = LoadFrom(path))
        using (var second = LoadFrom(path))
        {
            var (size, copied) = SnapshotPagesMapped(path);
            // The first copied the kept set and little more; the second, this process's
            // learning restore, what its restore wrote.
            Assert.True(copied >= writtenKiB && copied < size, $"{copied} KiB copied of {size}, {writtenKiB} kept");
            foreach (var py in new[] { first, second })
                Assert.True(py.RunPython<bool>("len(big) == 20_000 and all(big[f'key{i}'] == i for i in range(0, 20_000, 99))"));
            Assert.NotEqual(first.RunPython<long>("hash('abc')"), second.RunPython<long>("hash('abc')"));
        }

        string stamp = StampPath(path);
        var fileRuns = FileRuns(path);
        uint end = fileRuns[^1].First + fileRuns[^1].Count;
        foreach (byte[] bad in new[] { new byte[12], Runs((end, 1)), Runs((uint.MaxValue - 1, 1)), Runs((written[0].First, 0)),
                                       Runs(written[^1], written[0]) })
        {
            File.WriteAllBytes(stamp, bad);
            LetGo(path);
            using (var py = LoadFrom(path))
            {
                Assert.True(SnapshotPagesMapped(path).Copied < SnapshotPagesMapped(path).Size / 2);
                Assert.Equal(19_999, py.RunPython<long>("big['key19999']"));
            }
            Assert.NotNull(KeptWrites(path)); // learned again
        }

        static byte[] Runs(params (uint First, uint Count)[] runs)
        {
            var bytes = new byte[SnapshotFile.PairSize * runs.Length];
            SnapshotFile.WritePairs(bytes, runs);
            return bytes;
        }
    }

    /// <summary>The stamp <see cref="SnapshotVerified"/> gives the snapshot file at
    /// <paramref name="path"/> as it is now (with the pages' checksum its header records).</summary>
    private static SnapshotVerified.Stamp? StampOf(string path)
    {
        using var handle = File.OpenHandle(path);
        uint checksum = BinaryPrimitives.ReadUInt32LittleEndian(File.ReadAllBytes(path).AsSpan(108));
        return SnapshotVerified.StampOf(handle, checksum);
    }

    /// <summary>The stamp file <see cref="SnapshotVerified"/> keeps for <paramref name="path"/>.</summary>
    private static string StampPath(string path) =>
        Path.Combine(GuestModule.CacheDirectory(), (StampOf(path) ?? throw new InvalidOperationException("no stamp")).Name);

    /// <summary>The pages kept in <paramref name="path"/>'s stamp, as the next process's
    /// first restore would take them (null: none, or not pages of the file).</summary>
    private static (uint First, uint Count)[]? KeptWrites(string path)
    {
        Assert.True(SnapshotVerified.IsChecked(StampOf(path), out var writes));
        var runs = FileRuns(path);
        bool pages = writes != null && writes.Length > 0
            && writes.Zip(writes.Skip(1)).All(p => p.First.First + p.First.Count <= p.Second.First)
            && writes.All(w => w.Count > 0 && runs.Any(r => w.First >= r.First && (ulong)w.First + w.Count <= (ulong)r.First + r.Count));
        return pages ? writes : null;
    }

    private static (uint First, uint Count)[] FileRuns(string path) =>
        [.. SnapshotFile.OpenCached(path, GuestModule.Sha256(Path.Combine(Runtimes.AssetDir, "python.wasm"))).Memory.Runs];

    /// <summary>Makes this process forget <paramref name="path"/> (and what it learned of
    /// it), as a new process would have: the files it keeps open are few, and the least
    /// recently used one goes.</summary>
    private void LetGo(string path)
    {
        byte[] wasm = GuestModule.Sha256(Path.Combine(Runtimes.AssetDir, "python.wasm"));
        string other = NewPath("other");
        File.Copy(path, other);
        for (int i = 0; i < 10; i++)
        {
            string copy = NewPath("other");
            File.Copy(other, copy);
            SnapshotFile.OpenCached(copy, wasm);
        }
    }

    [Fact]
    public void ACopysStandardFdsAreItsHosts()
    {
        // The saving runtime closed its fd 1; a copy's fds 1 and 2 are new, and its host's.
        string path = Save("import os\nos.close(1)");
        var stdout = new OutputCapture();
        using var py = Runtimes.Load(new PyodideOptions { Snapshot = path, Stdout = stdout.Write, Stderr = _ => { } });
        stdout.Clear();
        Expect.Long(5, py.RunPython("os.write(1, b'again')"));
        Assert.Equal("again", stdout.Text);
    }

    [Fact]
    public void AFileInUseStaysOpenWhileOthersComeAndGo()
    {
        // The process keeps a few files open; the least recently used one leaves, so a
        // file restored from again and again keeps its pages and what was learned of them.
        string used = Save("x = 1");
        byte[] wasm = GuestModule.Sha256(Path.Combine(Runtimes.AssetDir, "python.wasm"));
        SnapshotFile.Contents OpenOther()
        {
            string other = NewPath();
            File.Copy(used, other);
            return SnapshotFile.OpenCached(other, wasm);
        }
        for (int i = 0; i < 10; i++) OpenOther(); // a full cache, which has let files go
        var contents = SnapshotFile.OpenCached(used, wasm);
        for (int i = 0; i < 10; i++)
        {
            Assert.NotSame(contents, OpenOther());
            Assert.Same(contents, SnapshotFile.OpenCached(used, wasm));
        }
    }

    /// <summary>Over this process's mappings of <paramref name="path"/>: their size and how
    /// much of it has been copied into the process (smaps' "Anonymous"), in KiB.</summary>
    private static (long Size, long Copied) SnapshotPagesMapped(string path)
    {
        long size = 0, copied = 0;
        bool inFile = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            // A mapping's first line starts with its address range; its fields, with "Name:".
            if (!line.Split(' ', 2)[0].EndsWith(':'))
                inFile = line.EndsWith(path, StringComparison.Ordinal);
            else if (inFile && line.StartsWith("Size:", StringComparison.Ordinal))
                size += KiB(line);
            else if (inFile && line.StartsWith("Anonymous:", StringComparison.Ordinal))
                copied += KiB(line);
        }
        return (size, copied);

        static long KiB(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    [Fact]
    public void RestoreWithAMemoryLimit()
    {
        string path = Save("blob = bytearray(8 << 20)");
        using (var py = LoadFrom(path, memoryLimit: 256UL << 20))
        {
            Assert.Equal(8 << 20, py.RunPython<long>("len(blob)"));
            var error = Assert.Throws<PythonException>(() => py.RunPython("b'x' * (300 << 20)"));
            Assert.Equal("MemoryError", error.PythonType);
        }
        var tooSmall = Assert.Throws<PyodideException>(() => LoadFrom(path, memoryLimit: 4UL << 20));
        Assert.Equal(PyodideErrorKind.Limit, tooSmall.Kind);
    }

    [Fact]
    public void HostStateIsTheNewHosts()
    {
        string path = NewPath();
        using (var py = Runtimes.LoadQuiet())
        {
            py.RegisterModule("hostmod", new Dictionary<string, Func<long, long>> { ["f"] = x => x + 1 });
            py.RunPython("import hostmod\nf = hostmod.f");
            using var held = (PyProxy)py.RunPython("[1, 2, 3]")!;
            py.SaveSnapshot(path);
        }
        using var restored = LoadFrom(path);
        Assert.Equal(0u, restored.HostHeldObjects);
        var stale = Assert.Throws<PythonException>(() => restored.RunPython("f(1)"));
        Assert.Contains("register", stale.Message);
        restored.RegisterModule("hostmod", new Dictionary<string, Func<long, long>> { ["f"] = x => x * 10 });
        Assert.Equal(20, restored.RunPython<long>("hostmod.f(2)"));
    }

    [Theory]
    [InlineData("held = open('/home/pyodide/f.txt', 'w')", "open")]
    [InlineData("import asyncio\nasync def forever(): await asyncio.sleep(3600)\ntask = asyncio.get_event_loop().create_task(forever())", "asyncio task")]
    [InlineData("s = {1, 2, 3}\ndef gen():\n    for x in s: yield x\ng = gen(); next(g)", "set_iterator")]
    public void StateACopyCannotCarryFailsTheSave(string setup, string named)
    {
        using var py = Runtimes.LoadQuiet();
        py.RunPython(setup);
        string path = NewPath();
        var error = Assert.Throws<PythonException>(() => py.SaveSnapshot(path));
        Assert.Contains(named, error.Message);
        Assert.False(File.Exists(path));
        // The runtime goes on, and saves once the state is gone.
        py.RunPython("for name in ['held', 'task', 'g']:\n    obj = globals().pop(name, None)\n    getattr(obj, 'close', getattr(obj, 'cancel', lambda: None))()\nimport gc; gc.collect()");
        if (named == "asyncio task") py.RunPython("import asyncio\nasyncio.get_event_loop().run_until_complete(asyncio.sleep(0))");
        py.SaveSnapshot(path);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void MisuseIsReported()
    {
        using var py = Runtimes.LoadQuiet();
        Assert.Throws<ArgumentNullException>(() => py.SaveSnapshot(null!));
        Assert.Throws<ArgumentException>(() => py.SaveSnapshot(""));
        var mountDir = _dir.CreateSubdirectory("m");
        using var mounted = Runtimes.Load(new PyodideOptions { Stdout = _ => { }, Mounts = [new PyodideMount(mountDir.FullName, "/m")] });
        Assert.Throws<InvalidOperationException>(() => mounted.SaveSnapshot(NewPath()));
        var io = Assert.Throws<PyodideException>(() => py.SaveSnapshot(Path.Combine(_dir.FullName, "no", "such", "dir", "x.snapshot")));
        Assert.Equal(PyodideErrorKind.IO, io.Kind);
        var missing = Assert.Throws<PyodideException>(() => LoadFrom(NewPath("missing")));
        Assert.Equal(PyodideErrorKind.IO, missing.Kind);
        py.Dispose();
        Assert.Throws<ObjectDisposedException>(() => py.SaveSnapshot(NewPath()));
    }

    [Fact]
    public void HostObjectsMustBeDroppedBeforeSaving()
    {
        using var py = Runtimes.LoadQuiet();
        py.Globals["entity"] = new HostObjectTests.Entity();
        var e = Assert.Throws<InvalidOperationException>(() => py.SaveSnapshot(NewPath()));
        Assert.Contains("host object", e.Message);
        py.RunPython("del entity");
        string path = NewPath();
        py.SaveSnapshot(path);
        Assert.True(File.Exists(path));
    }

    // ---- the loader: every damaged file is a clear IO error ----------------------

    private static byte[]? s_saved;

    private static byte[] SavedBytes()
    {
        if (s_saved != null) return s_saved;
        string path = Path.Combine(Path.GetTempPath(), $"pyodide-fuzz-{Guid.NewGuid():N}.snapshot");
        using (var py = Runtimes.LoadQuiet())
        {
            py.RunPython("import json\nd = {str(i): i for i in range(100)}\nopen('/home/pyodide/x', 'w').write('x')");
            py.SaveSnapshot(path);
        }
        s_saved = File.ReadAllBytes(path);
        File.Delete(path);
        return s_saved;
    }

    private void AssertRefused(byte[] bytes, string? expected = null)
    {
        string path = NewPath("bad");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<PyodideException>(() => LoadFrom(path));
        Assert.Equal(PyodideErrorKind.IO, error.Kind);
        Assert.Contains(path, error.Message);
        if (expected != null) Assert.Contains(expected, error.Message);
        File.Delete(path);
    }

    [Fact]
    public void TruncatedFilesAreRefused()
    {
        byte[] good = SavedBytes();
        var random = new Random(1601);
        int[] lengths = [0, 1, 7, 8, 64, 119, 120, 121, 4095, 4096, 4097, good.Length / 2, good.Length - 4097, good.Length - 1];
        foreach (int length in lengths.Concat(Enumerable.Range(0, 16).Select(_ => random.Next(good.Length))))
            AssertRefused(good[..Math.Max(0, length)]);
        AssertRefused([.. good, 0], "extended");
    }

    [Fact]
    public void BitFlippedFilesAreRefused()
    {
        byte[] good = SavedBytes();
        var random = new Random(16);
        // Every header byte, then bits anywhere (the data, the extra state, the table).
        var offsets = Enumerable.Range(0, 120).Concat(Enumerable.Range(0, 60).Select(_ => random.Next(good.Length)));
        foreach (int offset in offsets)
        {
            byte[] bad = (byte[])good.Clone();
            bad[offset] ^= (byte)(1 << random.Next(8));
            AssertRefused(bad);
        }
    }

    [Fact]
    public void ForeignAndOtherVersionFilesAreRefused()
    {
        byte[] good = SavedBytes();
        AssertRefused(new byte[good.Length], "not a Pyodide.Native snapshot");
        byte[] text = "#!/bin/sh\necho not a snapshot\n"u8.ToArray();
        AssertRefused(text);
        byte[] format = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(format.AsSpan(8), SnapshotFile.FormatVersion + 1);
        AssertRefused(format, "format");
        AssertRefused(Resealed(good, h => BinaryPrimitives.WriteUInt32LittleEndian(h[12..], HeaderVersion.Number + 1)), "library version");
        AssertRefused(Resealed(good, h => h[16] ^= 0xff), "another python.wasm");
    }

    /// <summary>A copy of the file with its header changed by <paramref name="edit"/> and
    /// its header checksum recomputed: what another version of the library would write.</summary>
    private static byte[] Resealed(byte[] file, SpanAction edit)
    {
        byte[] copy = (byte[])file.Clone();
        edit(copy.AsSpan(0, 120));
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(116), SnapshotChecksum.Compute(copy.AsSpan(0, 116)));
        return copy;
    }

    private delegate void SpanAction(Span<byte> header);

    [Fact]
    public void AFileCheckedOnceIsCheckedAgainWhenItChanges()
    {
        // A file whose pages were checked is not read through again while it is unchanged
        // (SnapshotVerified keeps a stamp of its identity); damaged in place afterwards,
        // same name, inode and length, it is checked again and refused.
        string path = NewPath("checked");
        File.WriteAllBytes(path, SavedBytes());
        // A file changed moments ago earns no stamp (its change time may not move on the
        // next write): let it settle first.
        Thread.Sleep(SnapshotVerified.Settle + TimeSpan.FromMilliseconds(100));
        using (var py = LoadFrom(path))
            Assert.Equal(99, py.RunPython<long>("d['99']"));
        Assert.True(!OperatingSystem.IsLinux() || SnapshotVerified.IsChecked(StampOf(path), out _));
        byte[] header = new byte[120];
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.ReadExactly(header);
            long dataOffset = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(72));
            long dataLength = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(80));
            file.Position = dataOffset + dataLength / 2;
            int b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0x10));
        }
        var error = Assert.Throws<PyodideException>(() => LoadFrom(path));
        Assert.Equal(PyodideErrorKind.IO, error.Kind);
        Assert.Contains("damaged memory pages", error.Message);
    }

    [Fact]
    public void AGoodCopyOfTheBytesLoads()
    {
        // The fuzzing above refuses damaged files, not every file: the same bytes load.
        string path = NewPath("good");
        File.WriteAllBytes(path, SavedBytes());
        using var py = LoadFrom(path);
        Assert.Equal(99, py.RunPython<long>("d['99']"));
        Assert.Equal("x", py.RunPython<string>("open('/home/pyodide/x').read()"));
    }
}
