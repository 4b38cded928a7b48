namespace Pyodide.Tests;

/// <summary>Stats, and importlib's reads and listings, of files beneath the preopened
/// directories, answered by the host (bridge/stat.c, pyodide._hostfiles, Guest/GuestFiles.cs):
/// the same answers WASI gives, for the same paths, and nothing WASI could not reach.</summary>
public sealed class HostFilesTests : IDisposable
{
    private readonly DirectoryInfo _outer = Directory.CreateTempSubdirectory("pyodide-hostfiles-outer-");
    private readonly DirectoryInfo _inner = Directory.CreateTempSubdirectory("pyodide-hostfiles-inner-");
    private readonly DirectoryInfo _outside = Directory.CreateTempSubdirectory("pyodide-hostfiles-outside-");

    public void Dispose()
    {
        // rm, not Directory.Delete: .NET cannot name the file whose name is not UTF-8.
        using var rm = System.Diagnostics.Process.Start("/bin/rm", ["-rf", _outer.FullName, _inner.FullName, _outside.FullName]);
        rm.WaitForExit();
    }

    /// <summary>A runtime with <c>_outer</c> at /data and <c>_inner</c> at /data/inner, over
    /// a directory of that name in <c>_outer</c> that the guest must not see.</summary>
    private PyodideRuntime Load()
    {
        Directory.CreateDirectory(Path.Combine(_outer.FullName, "inner"));
        File.WriteAllText(Path.Combine(_outer.FullName, "inner", "which.txt"), "outer's, hidden by the mount");
        File.WriteAllText(Path.Combine(_inner.FullName, "which.txt"), "inner's");
        return Runtimes.Load(new PyodideOptions
        {
            Mounts = [new PyodideMount(_outer.FullName, "/data", ReadOnly: false), new PyodideMount(_inner.FullName, "/data/inner", ReadOnly: true)],
            Stdout = _ => { }, Stderr = _ => { },
        });
    }

    [Fact]
    public void PathsTheHostDoesNotAnswerGoToWasi()
    {
        // Other spellings, the root itself, names that are not UTF-8, and what is not a
        // regular file: no read or listing from the host, and a source loader's read of them
        // is WASI's (the same bytes or the same error). A missing path beneath a preopen (the
        // runtime's / included) is answered as missing, with the error WASI's open raises. A
        // device of /dev is read as any open file is (SandboxDevices).
        using var py = Load();
        Expect.Str("[] True [] True True", py.RunPython("""
            import errno, os, _pyodide_core, _frozen_importlib_external as bootstrap
            os.makedirs("/home/pyodide/d", exist_ok=True)
            with open("/home/pyodide/d/m.py", "w") as f:
                f.write("X = 1\n")
            unanswered = ["/home/pyodide/", "/home/pyodide//d/m.py", "/home/pyodide/./d/m.py", "/home/pyodide/d/../d/m.py",
                          "/home/pyodide/../pyodide/d/m.py", "home/pyodide/d/m.py", "", "/", "//home",
                          "/home/pyodide/\udcff", "/home/pyodide/d\0x"]
            answered = [p for p in unanswered if _pyodide_core.read_file(p) is not None or _pyodide_core.list_dir(p) is not None]
            def outcome(call, path):
                try:
                    return call(path)
                except (OSError, ValueError) as e:
                    return (type(e).__name__, getattr(e, "errno", None), getattr(e, "strerror", None), getattr(e, "filename", None))
            loader = bootstrap.SourceFileLoader("m", "/home/pyodide/d/m.py")
            read = lambda path: open(path, "rb").read()
            same = all(outcome(loader.get_data, p) == outcome(read, p) for p in unanswered)
            missing = ["/home/pyodide/missing", "/data/inner/missing", "/home/pyodide/d/no/such", "/nowhere", "/nowhere/x", "/dev/nothing"]
            not_missing = [p for p in missing if _pyodide_core.read_file(p) != errno.ENOENT or _pyodide_core.list_dir(p) != errno.ENOENT]
            same_errors = all(outcome(loader.get_data, p) == outcome(read, p) for p in missing)
            device = _pyodide_core.read_file("/dev/null") is None and outcome(loader.get_data, "/dev/null") == read("/dev/null") == b""
            f"{answered} {same} {not_missing} {same_errors} {device}"
            """));
    }

    [Fact]
    public void LinksAreFollowedInsideThePreopenAndNeverOut()
    {
        // The kernel resolves beneath the preopen (RESOLVE_BENEATH): a link inside is
        // followed as WASI follows it; one that leads out — absolute, through "..", or to
        // the host's own path of a file outside — is not answered, and WASI refuses it too.
        // The links are the host's (a mounted directory may hold any): WASI refuses to make
        // one that points out.
        string secret = Path.Combine(_outside.FullName, "secret.txt");
        File.WriteAllText(secret, "the host's, outside every mount");
        Directory.CreateDirectory(Path.Combine(_outer.FullName, "real"));
        File.WriteAllText(Path.Combine(_outer.FullName, "real", "f.py"), "VALUE = 7\n");
        foreach (var (name, target) in new[] { ("in", "real"), ("abs", "/etc"), ("up", "../../../../../../etc"), ("host", secret), ("hostdir", _outside.FullName) })
            File.CreateSymbolicLink(Path.Combine(_outer.FullName, name), target);
        using var py = Load();
        Expect.Str("True True [] ['OSError', 'OSError', 'OSError', 'OSError'] ['OSError', 'OSError', 'OSError', 'OSError']", py.RunPython("""
            import os, _pyodide_core
            inside = _pyodide_core.read_file("/data/in/f.py") == b"VALUE = 7\n"
            stat_inside = os.stat("/data/in/f.py").st_ino == os.stat("/data/real/f.py").st_ino
            escapes = ["/data/abs/passwd", "/data/up/passwd", "/data/host", "/data/hostdir/secret.txt"]
            answered = [p for p in escapes if _pyodide_core.read_file(p) is not None or _pyodide_core.list_dir(p) is not None]
            def wasi_stat(path):
                try:
                    return os.stat(path)
                except OSError as e:
                    return "OSError"
            def wasi_read(path):
                try:
                    return open(path, "rb").read()
                except OSError as e:
                    return "OSError"
            f"{inside} {stat_inside} {answered} {[wasi_read(p) for p in escapes]} {[wasi_stat(p) for p in escapes]}"
            """));
    }

    [Fact]
    public void ImportlibsListingsAreTheHostsAndMatchWasi()
    {
        // FileFinder's listing (importlib's own _os.listdir; os.listdir is untouched): the
        // same names as WASI's listing, for a directory whose names fill more than the
        // guest's first buffer, non-ASCII names, an empty directory and the mount over a
        // directory of /data's; the "os.listdir" audit event raised once per listing; a
        // missing directory's error as WASI's; a file, a link out of the sandbox and a
        // directory holding a name that is not UTF-8 left to WASI.
        Directory.CreateDirectory(Path.Combine(_outer.FullName, "odd"));
        using var touch = System.Diagnostics.Process.Start("/bin/sh", ["-c", "touch \"$1/$(printf 'not-utf8-\\377')\"", "sh", Path.Combine(_outer.FullName, "odd")]);
        touch.WaitForExit();
        Assert.Equal(0, touch.ExitCode);
        File.CreateSymbolicLink(Path.Combine(_outer.FullName, "out"), _outside.FullName);
        using var py = Load();
        Expect.Str("[] True True True [] True True", py.RunPython("""
            import errno, os, posix, sys, _pyodide_core, _frozen_importlib_external as bootstrap
            os.makedirs("/data/many", exist_ok=True)
            for i in range(4000):
                open(f"/data/many/entry-{i:05d}-{'x' * (i % 40)}", "w").close()
            os.makedirs("/data/empty", exist_ok=True)
            for name in ("grüße.py", "日本.txt"):
                open(f"/data/{name}", "w").close()
            listed = ["/lib/python3.11", "/home/pyodide", "/data", "/data/many", "/data/empty", "/data/inner"]
            host_listdir = bootstrap._os.listdir
            different = [p for p in listed if _pyodide_core.list_dir(p) is None or sorted(host_listdir(p)) != sorted(os.listdir(p))]
            untouched = os.listdir is posix.listdir and bootstrap._os.stat is posix.stat and host_listdir is not posix.listdir
            events = []
            sys.addaudithook(lambda event, args: events.append(args) if event == "os.listdir" else None)
            host_listdir("/data/empty")
            audited = events == [("/data/empty",)]
            def outcome(call, path):
                try:
                    return sorted(call(path))
                except (OSError, ValueError) as e:
                    return (type(e).__name__, e.errno, e.strerror, e.filename)
            left = ["/data/grüße.py", "/data/out", "/data/odd"]
            answered = [p for p in left if _pyodide_core.list_dir(p) is not None]
            same_left = all(outcome(host_listdir, p) == outcome(os.listdir, p) for p in left)
            missing = _pyodide_core.list_dir("/data/missing") == errno.ENOENT
            same_missing = outcome(host_listdir, "/data/missing") == outcome(os.listdir, "/data/missing")
            f"{different} {untouched} {audited} {missing} {answered} {same_left} {same_missing}"
            """));
    }

    [Fact]
    public void ModesAreTheHostFilesOwnAndChmodSetsThem()
    {
        // bridge/chmod.c and stat.c: os.stat gives a file's own permission bits, and os.chmod
        // and os.fchmod set them on the host's file, but for set-user-ID and set-group-ID
        // (a file the sandbox wrote must not run with the host user's rights); a read-only
        // mount refuses with EROFS, a link itself with NotImplementedError, as python3 on
        // Linux does.
        string file = Path.Combine(_outer.FullName, "tool.sh"), dir = Path.Combine(_outer.FullName, "private");
        File.WriteAllText(file, "#!/bin/sh\n");
        File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("750", 8));
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("700", 8));
        File.CreateSymbolicLink(Path.Combine(_outer.FullName, "ln"), "tool.sh");
        using var py = Load();
        Expect.Str("0o750 0o700 | 0o604 0o711 0o1640 | EROFS NotImplementedError ENOENT", py.RunPython("""
            import errno, os, stat
            seen = f"{oct(stat.S_IMODE(os.stat('/data/tool.sh').st_mode))} {oct(stat.S_IMODE(os.lstat('/data/private').st_mode))}"
            os.chmod("/data/tool.sh", 0o604)
            with open("/data/copy.txt", "w") as f:
                os.fchmod(f.fileno(), 0o4711)
            os.chmod("/data/private", 0o3640)
            def refusal(call):
                try:
                    call()
                except NotImplementedError as e:
                    return type(e).__name__
                except OSError as e:
                    return errno.errorcode[e.errno]
            refused = [refusal(lambda: os.chmod("/data/inner", 0o700)),
                       refusal(lambda: os.chmod("/data/ln", 0o600, follow_symlinks=False)),
                       refusal(lambda: os.chmod("/data/missing", 0o600))]
            modes = [oct(stat.S_IMODE(os.stat(p).st_mode)) for p in ("/data/tool.sh", "/data/copy.txt", "/data/private")]
            f"{seen} | {' '.join(modes)} | {' '.join(refused)}"
            """));
        Assert.Equal(Convert.ToInt32("604", 8), (int)File.GetUnixFileMode(file));
        Assert.Equal(Convert.ToInt32("711", 8), (int)File.GetUnixFileMode(Path.Combine(_outer.FullName, "copy.txt")));
        Assert.Equal(Convert.ToInt32("1640", 8), (int)File.GetUnixFileMode(dir));
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("700", 8)); // so the directory can be removed
    }

    [Fact]
    public void FilesAreMadeWithTheModeAskedLessTheUmask()
    {
        // WASI's path_open and path_create_directory take no mode: bridge/files.c and paths.c
        // give the host the mode open() and mkdir() were given, less os.umask (chmod.c), which
        // starts as this process's, as python3's is its shell's.
        string processUmask = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Umask:"))["Umask:".Length..].Trim();
        using var py = Load();
        Expect.Str($"{Convert.ToInt32(processUmask, 8)} 0o600 0o700 0o750 0o644 | 0o666 0o777", py.RunPython("""
            import os, stat, tempfile
            inherited = os.umask(0o022)
            mode = lambda p: oct(stat.S_IMODE(os.stat(p).st_mode))
            fd, made = tempfile.mkstemp(dir="/data")
            os.close(fd)
            os.mkdir("/data/shared", 0o750)
            open("/data/plain.txt", "w").close()
            mask = os.umask(0)
            open("/data/open.txt", "w").close()
            os.mkdir("/data/open")
            os.umask(mask)
            (f"{inherited} {mode(made)} {mode(tempfile.mkdtemp(dir='/data'))} {mode('/data/shared')} "
             f"{mode('/data/plain.txt')} | {mode('/data/open.txt')} {mode('/data/open')}")
            """));
        Assert.Equal(Convert.ToInt32("750", 8), (int)File.GetUnixFileMode(Path.Combine(_outer.FullName, "shared")));
        Assert.Equal(Convert.ToInt32("666", 8), (int)File.GetUnixFileMode(Path.Combine(_outer.FullName, "open.txt")));
    }

    [Fact]
    public void ChownAnswersAsLinuxAnswersAnOrdinaryUser()
    {
        // The sandbox's user (1000) owns every file: giving one to itself and its group
        // succeeds and changes nothing; anyone else is EPERM; a missing file ENOENT, a
        // read-only directory EROFS; os.fchown of a descriptor not open EBADF.
        File.WriteAllText(Path.Combine(_outer.FullName, "mine.txt"), "x");
        using var py = Load();
        Expect.Str("ok ok EPERM EPERM ENOENT EROFS ok EBADF ok", py.RunPython("""
            import errno, os, shutil
            def outcome(call):
                try:
                    call()
                    return "ok"
                except OSError as e:
                    return errno.errorcode[e.errno]
            with open("/data/mine.txt") as f:
                by_fd = outcome(lambda: os.fchown(f.fileno(), 1000, 1000))
            " ".join([outcome(lambda: os.chown("/data/mine.txt", 1000, 1000)),
                      outcome(lambda: os.chown("/data/mine.txt", -1, -1)),
                      outcome(lambda: os.chown("/data/mine.txt", 0, -1)),
                      outcome(lambda: os.lchown("/data/mine.txt", -1, 0)),
                      outcome(lambda: os.chown("/data/missing", 1000, 1000)),
                      outcome(lambda: os.chown("/data/inner", 1000, 1000)),
                      by_fd,
                      outcome(lambda: os.fchown(9999, 1000, 1000)),
                      outcome(lambda: shutil.chown("/data/mine.txt", user="pyodide", group="pyodide"))])
            """));
    }

    [Fact]
    public void EveryStatBeneathAPreopenIsTheHostsAndWasisFieldByField()
    {
        // bridge/stat.c: os.stat and os.lstat of a path beneath a preopen come from the host
        // (Guest/WasiFilestat.cs), and must be exactly what WASI gives: compared with WASI's
        // own answer for the same file, reached through a directory fd that is not a preopen
        // (or fstat of an fd), every field (of st_mode the file's type: the permission bits
        // are the host's only, ModesAreTheHostFilesOwn). What the host does not answer — a FIFO, a link out,
        // other spellings — and a missing file give WASI's error; a preopen's fd once closed
        // is WASI's too (EBADF), not the host's answer for the directory it was.
        File.WriteAllText(Path.Combine(_outer.FullName, "f.txt"), "twelve bytes");
        Directory.CreateDirectory(Path.Combine(_outer.FullName, "d"));
        File.CreateSymbolicLink(Path.Combine(_outer.FullName, "ln"), "f.txt");
        File.CreateSymbolicLink(Path.Combine(_outer.FullName, "dang"), "nope");
        File.CreateSymbolicLink(Path.Combine(_outer.FullName, "abs"), "/etc");
        using (var mkfifo = System.Diagnostics.Process.Start("/usr/bin/mkfifo", [Path.Combine(_outer.FullName, "fifo")]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        using var py = Load();
        Expect.Str("[] [] [] True True", py.RunPython("""
            import os, stat
            fields = ("st_ino", "st_dev", "st_nlink", "st_uid", "st_gid", "st_size",
                      "st_atime_ns", "st_mtime_ns", "st_ctime_ns", "st_atime", "st_mtime", "st_ctime")
            def as_tuple(result):
                return (stat.S_IFMT(result.st_mode),) + tuple(getattr(result, f) for f in fields)
            def outcome(call):
                try:
                    return as_tuple(call())
                except OSError as e:
                    return (type(e).__name__, e.errno)
            def wasi(path, follow=True):
                parent, name = os.path.split(path)
                fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)  # not a preopen: WASI answers
                try:
                    return outcome(lambda: os.stat(name, dir_fd=fd, follow_symlinks=follow))
                finally:
                    os.close(fd)
            answered = ["/data/f.txt", "/data/d", "/data/ln", "/data/inner/which.txt", "/lib/python311.zip",
                        "/lib/python3.11", "/home/pyodide/site-packages", "/home", "/tmp"]
            differ = [p for p in answered if outcome(lambda: os.stat(p)) != wasi(p)]
            differ += [("lstat", p) for p in answered + ["/data/dang", "/data/abs"] if outcome(lambda: os.lstat(p)) != wasi(p, follow=False)]
            roots = ["/data", "/data/inner", "/lib", "/home/pyodide", "/"]
            def fstat_of(path):
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    return as_tuple(os.fstat(fd))
                finally:
                    os.close(fd)
            differ_roots = [p for p in roots if as_tuple(os.stat(p)) != fstat_of(p)]
            others = ["/data/fifo", "/data/abs", "/data/dang", "/data/missing", "/data/d/../f.txt", "/data/./f.txt"]
            differ_others = [p for p in others if outcome(lambda: os.stat(p)) != wasi(os.path.normpath(p))]
            # The mount at /data/inner, not the directory of that name in /data's host directory.
            inner = os.stat("/data/inner/which.txt").st_size == len("inner's")
            # The preopens from fd 3 in the host's order: /lib, the home, /, /data, /data/inner.
            inner_fd = 7
            numbered = os.fstat(inner_fd).st_ino == os.stat("/data/inner").st_ino
            os.close(inner_fd)
            after_close = outcome(lambda: os.stat("/data/inner/which.txt"))
            f"{differ} {differ_roots} {differ_others} {numbered and inner} {after_close[0] == 'OSError' or after_close}"
            """));
    }

    [Fact]
    public void WholeFileReadsOfEverySizeAreTheFilesBytes()
    {
        // The guest's first buffer holds 16 KiB: files at and around it, a large one and
        // the stdlib's archive (10 MB) are read whole, as WASI reads them.
        using var py = Load();
        Expect.Str("[] True None None", py.RunPython("""
            import os, _pyodide_core
            wrong = []
            for size in [0, 1, 16383, 16384, 16385, 20479, 20480, 1 << 20]:
                path = f"/data/size-{size}"
                data = os.urandom(size)
                with open(path, "wb") as f:
                    f.write(data)
                if _pyodide_core.read_file(path) != data:
                    wrong.append(size)
            archive = _pyodide_core.read_file("/lib/python311.zip") == open("/lib/python311.zip", "rb").read()
            f"{wrong} {archive} {_pyodide_core.read_file('/data')} {_pyodide_core.read_file('/data/inner')}"
            """));
        Expect.Str("TypeError TypeError", py.RunPython("""
            import _pyodide_core
            errors = []
            for call in (lambda: _pyodide_core.list_dir(b"/data"), lambda: _pyodide_core.read_file(3)):
                try:
                    call()
                except TypeError as e:
                    errors.append(type(e).__name__)
            " ".join(errors)
            """));
    }

    [Fact]
    public void ModulesBeneathAMountAreReadByTheHostWithTheSameAuditEvent()
    {
        // A package in a mount, imported once: the host answers that each module's .pyc is
        // missing (it is written after the source is compiled) and reads its source in one
        // call; an audit hook sees the "open" events io.open_code raises for both, as for
        // WASI's reads (the fallback, forced for the second package).
        using var py = Load();
        Expect.Str("True True True 6 3 3 0", py.RunPython("""
            import os, sys, _pyodide_core
            for package in ("hostpkg", "wasipkg"):
                os.makedirs(f"/data/{package}", exist_ok=True)
                with open(f"/data/{package}/__init__.py", "w") as f:
                    f.write("from . import a, b\n")
                for name in ("a", "b"):
                    with open(f"/data/{package}/{name}.py", "w") as f:
                        f.write(f"NAME = {name!r}\n")
            sys.path.insert(0, "/data")
            events = []
            # Reads only: writing a .pyc raises "open" too, with a temporary name.
            sys.addaudithook(lambda event, args: events.append(args) if event == "open" and "pkg" in str(args[0]) and args[1] == "r" else None)
            read = _pyodide_core.read_file
            host_reads = []  # of the three modules' sources, and of their .pyc, missing
            def counting(path):
                data = read(path)
                host_reads.append(type(data).__name__)
                return data
            _pyodide_core.read_file = counting
            try:
                import hostpkg
                host_events, host_answers = list(events), list(host_reads)
                events.clear(); host_reads.clear()
                _pyodide_core.read_file = lambda path: None
                import wasipkg
            finally:
                _pyodide_core.read_file = read
            shape = lambda evs: sorted((os.path.basename(p).replace("hostpkg", "pkg").replace("wasipkg", "pkg"), m, flags) for p, m, flags in evs)
            f"{hostpkg.a.NAME == 'a' and hostpkg.b.NAME == 'b'} {wasipkg.b.NAME == 'b'} {shape(host_events) == shape(events)} {len(host_events)} {host_answers.count('bytes')} {host_answers.count('int')} {len(host_reads)}"
            """));
    }

    [Fact]
    public void AModuleChangedInAMountIsReadAgain()
    {
        // The host's stat gives the source's size and time to the nanosecond: a module
        // rewritten (here with another size and time) is compiled again, not taken from
        // its stale .pyc.
        using var py = Load();
        Expect.Str("1 22", py.RunPython("""
            import importlib, os, sys
            sys.path.insert(0, "/data")
            with open("/data/changing.py", "w") as f:
                f.write("V = 1\n")
            import changing
            first = changing.V
            before = os.stat("/data/changing.py").st_mtime_ns
            with open("/data/changing.py", "w") as f:
                f.write("V = 22\n")
            os.utime("/data/changing.py", ns=(before + 2_000_000_000, before + 2_000_000_000))
            importlib.invalidate_caches()
            importlib.reload(changing)
            f"{first} {changing.V}"
            """));
    }
}
