namespace Pyodide.Tests;

/// <summary>Files the guest opens only to read beneath a preopen, served by the host
/// (bridge/files.c, Guest/OpenFiles.cs): every call on such a descriptor answers as WASI
/// answers for the same file opened read-only through a directory fd that is not a preopen
/// (which the host does not serve), and every other open is WASI's as before. Directories
/// opened there are listed by the host (bridge/readdir.c), as WASI lists them.</summary>
public sealed class HostOpenFilesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("pyodide-openfiles-");
    private readonly DirectoryInfo _outside = Directory.CreateTempSubdirectory("pyodide-openfiles-outside-");

    public void Dispose()
    {
        _dir.Delete(recursive: true);
        _outside.Delete(recursive: true);
    }

    private PyodideRuntime Load(bool readOnly = false) => Runtimes.Load(new PyodideOptions
    {
        Mounts = [new PyodideMount(_dir.FullName, "/data", ReadOnly: readOnly)],
        Stdout = _ => { }, Stderr = _ => { },
    });

    /// <summary>The Python that opens /data/f.txt both ways: <c>host()</c> (a plain path
    /// beneath the mount) and <c>wasi()</c> (relative to a directory fd the guest opened) or
    /// <c>wasi_spelled()</c> (another spelling of the path).</summary>
    private const string BothWays = """
        import errno, os, select
        HOST_FIRST = 1 << 30
        def host(name="f.txt", flags=os.O_RDONLY):
            fd = os.open("/data/" + name, flags)
            assert fd >= HOST_FIRST, fd
            return fd
        _dir = os.open("/data", os.O_RDONLY | os.O_DIRECTORY)
        def wasi(name="f.txt", flags=os.O_RDONLY):
            fd = os.open(name, flags, dir_fd=_dir)
            assert fd < HOST_FIRST, fd
            return fd
        def wasi_spelled(name="f.txt", flags=os.O_RDONLY):
            # Another spelling of the path, which the host does not answer: WASI opens it with
            # the preopen's rights (a directory fd opened to read passes on no right to write).
            fd = os.open("/data/./" + name, flags)
            assert fd < HOST_FIRST, fd
            return fd
        def outcome(call):
            try:
                result = call()
                return tuple(result) if isinstance(result, os.stat_result) else result
            except OSError as e:
                return (type(e).__name__, e.errno)
            except (TypeError, ValueError) as e:
                return (type(e).__name__, str(e))
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // WASI treats a file opened read-only in a read-only directory otherwise
    public void EveryCallOnAHostFileAnswersAsWasiDoes(bool readOnly)
    {
        // Two files alike, as the calls change their times: f.txt read through the host, g.txt
        // through WASI; then one file through both, for what tells files apart (inode, birth).
        var bytes = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(Path.Combine(_dir.FullName, "f.txt"), bytes);
        File.WriteAllBytes(Path.Combine(_dir.FullName, "g.txt"), bytes);
        foreach (var name in new[] { "f.txt", "g.txt" })
        {
            // Access after modification, in the future: reads leave it (relatime), in both files alike.
            File.SetLastWriteTimeUtc(Path.Combine(_dir.FullName, name), new DateTime(2033, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            File.SetLastAccessTimeUtc(Path.Combine(_dir.FullName, name), new DateTime(2065, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        }
        using var py = Load(readOnly);
        Expect.Str("[]", py.RunPython(BothWays + """

            def calls(fd):
                buffers = [bytearray(3), bytearray(0), bytearray(5)]
                seq = [
                    ("read", lambda: os.read(fd, 10)),
                    ("tell", lambda: os.lseek(fd, 0, os.SEEK_CUR)),
                    ("readv", lambda: (os.readv(fd, buffers), [bytes(b) for b in buffers])),
                    ("pread", lambda: os.pread(fd, 7, 99_990)),
                    ("pread past end", lambda: os.pread(fd, 7, 200_000)),
                    ("preadv", lambda: (os.preadv(fd, buffers, 5), [bytes(b) for b in buffers])),
                    ("tell after pread", lambda: os.lseek(fd, 0, os.SEEK_CUR)),
                    ("seek end", lambda: os.lseek(fd, -5, os.SEEK_END)),
                    ("read to end", lambda: os.read(fd, 100)),
                    ("read at end", lambda: os.read(fd, 100)),
                    ("seek past end", lambda: os.lseek(fd, 10, os.SEEK_END)),
                    ("read past end", lambda: os.read(fd, 100)),
                    ("seek negative", lambda: os.lseek(fd, -1, os.SEEK_SET)),
                    ("seek cur negative", lambda: os.lseek(fd, -10**9, os.SEEK_CUR)),
                    ("seek whence 3", lambda: os.lseek(fd, 0, 3)),
                    ("seek whence 9", lambda: os.lseek(fd, 0, 9)),
                    ("seek start", lambda: os.lseek(fd, 0, os.SEEK_SET)),
                    ("read all", lambda: len(os.read(fd, 200_000))),
                    ("fstat", lambda: [getattr(os.fstat(fd), f) for f in
                                       ("st_mode", "st_dev", "st_nlink", "st_size", "st_atime_ns", "st_mtime_ns")]),
                    ("blocking", lambda: os.get_blocking(fd)),
                    ("set nonblocking", lambda: (os.set_blocking(fd, False), os.get_blocking(fd))),
                    ("set blocking", lambda: (os.set_blocking(fd, True), os.get_blocking(fd))),
                    ("inheritable", lambda: os.get_inheritable(fd)),
                    ("isatty", lambda: os.isatty(fd)),
                    ("device encoding", lambda: os.device_encoding(fd)),
                    ("name max", lambda: os.fpathconf(fd, "PC_NAME_MAX")),
                    ("write", lambda: os.write(fd, b"x")),
                    ("write nothing", lambda: os.write(fd, b"")),
                    ("ftruncate", lambda: os.ftruncate(fd, 0)),
                    ("fsync", lambda: os.fsync(fd)),
                    ("fdatasync", lambda: os.fdatasync(fd)),
                    ("fadvise", lambda: os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)),
                    ("fadvise unknown", lambda: os.posix_fadvise(fd, 0, 0, 77)),
                    ("fallocate", lambda: os.posix_fallocate(fd, 0, 10)),
                    ("utime", lambda: os.utime(fd)),
                    ("utime ns", lambda: os.utime(fd, ns=(1, 2))),
                    ("dup", lambda: os.dup(fd)),
                    ("stat beneath", lambda: os.stat("x", dir_fd=fd)),
                    ("open beneath", lambda: os.open("x", os.O_RDONLY, dir_fd=fd)),
                    ("mkdir beneath", lambda: os.mkdir("x", dir_fd=fd)),
                    ("unlink beneath", lambda: os.unlink("x", dir_fd=fd)),
                    ("rename beneath", lambda: os.rename("x", "y", src_dir_fd=fd, dst_dir_fd=_dir)),
                    ("readlink beneath", lambda: os.readlink("x", dir_fd=fd)),
                    ("scandir", lambda: list(os.scandir(fd))),
                    ("select", lambda: [len(r) for r in select.select([fd], [], [], 1)]),
                    ("select for writing", lambda: [len(r) for r in select.select([], [fd], [], 1)]),
                    ("poll", lambda: [e for _, e in poll(fd, select.POLLIN)]),
                    ("poll at end", lambda: (os.lseek(fd, 0, os.SEEK_END), [e for _, e in poll(fd, select.POLLIN)])),
                    ("poll for writing", lambda: [e for _, e in poll(fd, select.POLLOUT)]),
                    ("io", lambda: (os.lseek(fd, 0, 0), open(fd, "rb", closefd=False).read(4), open(fd, "rb", closefd=False).seekable())),
                    ("io text", lambda: len(open(fd, "r", encoding="latin-1", closefd=False).read())),
                    ("close", lambda: os.close(fd)),
                    ("read closed", lambda: os.read(fd, 1)),
                    ("fstat closed", lambda: os.fstat(fd)),
                    ("seek closed", lambda: os.lseek(fd, 0, 0)),
                    ("close closed", lambda: os.close(fd)),
                ]
                return [(name, outcome(call)) for name, call in seq]

            def poll(fd, mask):
                p = select.poll()
                p.register(fd, mask)
                return p.poll(1000)

            host_fd, wasi_fd = host(), wasi("g.txt")
            differ = [(h, w) for h, w in zip(calls(host_fd), calls(wasi_fd)) if h != w]
            host_fd, wasi_fd = host(), wasi()
            if os.fstat(host_fd) != os.fstat(wasi_fd) or os.fstat(host_fd).st_ino != os.stat("/data/f.txt").st_ino:
                differ.append(("same file", os.fstat(host_fd), os.fstat(wasi_fd)))
            str(differ)
            """));
    }

    [Fact]
    public void OnlyOpensOfRegularFilesBeneathAPreopenAreTheHosts()
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "f.txt"), "twelve bytes");
        File.WriteAllText(Path.Combine(_outside.FullName, "secret.txt"), "outside");
        Directory.CreateDirectory(Path.Combine(_dir.FullName, "d"));
        File.CreateSymbolicLink(Path.Combine(_dir.FullName, "ln"), "f.txt");
        File.CreateSymbolicLink(Path.Combine(_dir.FullName, "out"), Path.Combine(_outside.FullName, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(_dir.FullName, "up"), "../" + _outside.Name + "/secret.txt");
        using var py = Load();
        // The host's: plain opens of regular files, through a link inside, to read or write;
        // WASI's: truncating or creating without writing, directories, a final link not followed,
        // other spellings. Refused by both, with the same error: links out, a missing file.
        Expect.Str("True True True True True True True True True True True", py.RunPython(BothWays + """

            def where(path, flags=os.O_RDONLY):
                try:
                    fd = os.open(path, flags)
                except OSError as e:
                    return e.errno
                os.close(fd)
                return "host" if fd >= HOST_FIRST else "wasi"
            checks = [
                where("/data/f.txt") == "host",
                where("/data/ln") == "host" and open("/data/ln").read() == "twelve bytes",
                where("/data/f.txt", os.O_RDWR) == "host" and where("/data/f.txt", os.O_WRONLY) == "host",
                where("/data/f.txt", os.O_RDONLY | os.O_TRUNC) == "wasi",
                where("/data/new.txt", os.O_RDONLY | os.O_CREAT) == "wasi",
                where("/data/d") == "wasi" and where("/data/d", os.O_RDONLY | os.O_DIRECTORY) == "wasi",
                where("/data/ln", os.O_RDONLY | os.O_NOFOLLOW) == outcome(lambda: os.open("ln", os.O_RDONLY | os.O_NOFOLLOW, dir_fd=_dir))[1],
                where("/data/./f.txt") == "wasi" and where("/data/d/../f.txt") == "wasi",
                where("/data/out") == outcome(lambda: os.open("out", os.O_RDONLY, dir_fd=_dir))[1] != "host",
                where("/data/up") == outcome(lambda: os.open("up", os.O_RDONLY, dir_fd=_dir))[1] != "host",
                where("/data/missing") == outcome(lambda: os.open("missing", os.O_RDONLY, dir_fd=_dir))[1] == errno.ENOENT,
            ]
            " ".join(str(c) for c in checks)
            """));
    }

    [Fact]
    public void ManyOpenFilesAreNumberedApartAndTheRestAreWasis()
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "f.txt"), "twelve bytes");
        using var py = Load();
        // 256 host files at once, then WASI's; each reads its own offset; numbers freed are
        // used again, lowest first; a host file cannot be renumbered onto a WASI fd or back.
        Expect.Str("256 44 True True True", py.RunPython(BothWays + """

            fds = [os.open("/data/f.txt", os.O_RDONLY) for _ in range(300)]
            hosts = [fd for fd in fds if fd >= HOST_FIRST]
            for i, fd in enumerate(fds):
                os.lseek(fd, i % 12, 0)
            offsets_kept = all(os.read(fd, 1) == b"twelve bytes"[i % 12:i % 12 + 1] for i, fd in enumerate(fds))
            wasis = [fd for fd in fds if fd < HOST_FIRST]
            for fd in fds:
                os.close(fd)
            again = os.open("/data/f.txt", os.O_RDONLY)
            reused = again == HOST_FIRST
            os.close(again)
            f"{len(hosts)} {len(wasis)} {offsets_kept} {reused} {sorted(hosts) == list(range(HOST_FIRST, HOST_FIRST + 256))}"
            """));
    }

    [Fact]
    public void ASnapshotIsRefusedWhileAHostFileIsOpen()
    {
        string snapshot = Path.Combine(_outside.FullName, "s.snapshot");
        using var py = Runtimes.Load(new PyodideOptions { Stdout = _ => { }, Stderr = _ => { } });
        py.RunPython("""
            import os
            with open("/home/pyodide/f.txt", "w") as f:
                f.write("twelve bytes")
            held = open("/home/pyodide/f.txt", "rb")
            assert held.fileno() >= 1 << 30
            """);
        var refused = Assert.ThrowsAny<PyodideException>(() => py.SaveSnapshot(snapshot));
        Assert.Contains("1 file(s) are open", refused.Message);
        py.RunPython("held.close()");
        py.SaveSnapshot(snapshot);
        using var restored = Runtimes.Load(new PyodideOptions { Snapshot = snapshot, Stdout = _ => { }, Stderr = _ => { } });
        // The copy serves its own host files, from the first number on.
        Expect.Str("1073741824 twelve bytes", restored.RunPython("f = open('/home/pyodide/f.txt'); f'{f.fileno()} {f.read()}'"));
    }

    [Fact]
    public void DirectoriesAreListedByTheHostAsWasiListsThem()
    {
        // The same directory listed by the host (a plain path) and by WASI (another spelling,
        // which the host does not answer): names in the same order, WASI's inode numbers and
        // types (a link not followed, a dangling one, a FIFO as WASI's unknown type), enough
        // entries for several of wasi-libc's 4 KiB windows; and a whole walk.
        var d = Directory.CreateDirectory(Path.Combine(_dir.FullName, "d"));
        for (int i = 0; i < 700; i++) File.WriteAllText(Path.Combine(d.FullName, $"file-{i}-é.txt"), "x");
        Directory.CreateDirectory(Path.Combine(d.FullName, "sub", "deeper"));
        File.WriteAllText(Path.Combine(d.FullName, "sub", "deeper", "leaf.txt"), "leaf");
        File.CreateSymbolicLink(Path.Combine(d.FullName, "ln"), "sub");
        File.CreateSymbolicLink(Path.Combine(d.FullName, "dangling"), "nowhere");
        Directory.CreateDirectory(Path.Combine(d.FullName, "empty"));
        using (var mkfifo = System.Diagnostics.Process.Start("/usr/bin/mkfifo", [Path.Combine(d.FullName, "fifo")]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        using var py = Load();
        Expect.Str("True True True True 705 True", py.RunPython("""
            import os
            def entries(path):
                with os.scandir(path) as it:
                    return [(e.name, e.inode(), e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False),
                             e.is_symlink(), e.is_dir(), e.stat(follow_symlinks=False).st_ino) for e in it]
            def walk(top):
                return [(os.path.relpath(root, top), sorted(dirs), sorted(files)) for root, dirs, files in os.walk(top)]
            host, wasi = entries("/data/d"), entries("/data/./d")
            checks = [
                host == wasi,
                os.listdir("/data/d") == os.listdir("/data/./d"),
                os.listdir("/data/d/empty") == os.listdir("/data/./d/empty") == [],
                walk("/data/d") == walk("/data/./d"),
                len(host),
                all(e[1] == e[6] for e in host),  # each entry's inode number is its stat's
            ]
            " ".join(str(c) for c in checks)
            """));
    }

    [Fact]
    public void WritingThroughTheHostAnswersAsWasiDoes()
    {
        // Each way of opening for writing, through the host (a plain path) and through WASI (a
        // directory fd), on two files alike: every call's result and the files' bytes after.
        using var py = Load();
        Expect.Str("[] [] 0o755", py.RunPython(BothWays + """

            def calls(fd):
                seq = [
                    ("write", lambda: os.write(fd, b"hello world")),
                    ("writev", lambda: os.writev(fd, [b"", b"abc", b"defg"])),
                    ("tell", lambda: os.lseek(fd, 0, os.SEEK_CUR)),
                    ("pwrite", lambda: os.pwrite(fd, b"XY", 1) if hasattr(os, "pwrite") else None),
                    ("seek start", lambda: os.lseek(fd, 0, os.SEEK_SET)),
                    ("write at start", lambda: os.write(fd, b"H")),
                    ("tell again", lambda: os.lseek(fd, 0, os.SEEK_CUR)),
                    ("read", lambda: os.read(fd, 100)),
                    ("pread", lambda: os.pread(fd, 5, 0)),
                    ("seek past end", lambda: os.lseek(fd, 20, os.SEEK_END)),
                    ("write past end", lambda: os.write(fd, b"!")),
                    ("size", lambda: os.fstat(fd).st_size),
                    ("write nothing", lambda: os.write(fd, b"")),
                    ("grow", lambda: (os.ftruncate(fd, 64), os.fstat(fd).st_size)),
                    ("shrink", lambda: (os.ftruncate(fd, 9), os.fstat(fd).st_size, os.lseek(fd, 0, os.SEEK_CUR))),
                    ("append on", lambda: (os.set_blocking(fd, True), os.get_blocking(fd))),
                    ("fsync", lambda: os.fsync(fd)),
                    ("fdatasync", lambda: os.fdatasync(fd)),
                    ("fallocate", lambda: os.posix_fallocate(fd, 0, 10)),
                    ("utime", lambda: os.utime(fd, ns=(5 * 10**18, 4 * 10**18))),
                    ("times", lambda: (os.fstat(fd).st_atime_ns, os.fstat(fd).st_mtime_ns)),
                    # Each alone: waiting for both, WASI returns the write alone (it reports a
                    # file readable once its pool's thread has read), the host both at once.
                    ("select to read", lambda: [len(r) for r in select.select([fd], [], [], 1)]),
                    ("select to write", lambda: [len(r) for r in select.select([], [fd], [], 1)]),
                    ("poll to read", lambda: [e for _, e in poll(fd, select.POLLIN)]),
                    ("poll to write", lambda: [e for _, e in poll(fd, select.POLLOUT)]),
                    ("io", lambda: (os.lseek(fd, 0, 0), open(fd, "r+b", closefd=False, buffering=0).write(b"io"))),
                    ("close", lambda: os.close(fd)),
                    ("write closed", lambda: os.write(fd, b"x")),
                ]
                return [(name, outcome(call)) for name, call in seq]

            def poll(fd, mask):
                p = select.poll()
                p.register(fd, mask)
                return p.poll(1000)

            def contents(name):
                with open("/data/./" + name, "rb") as f:  # through WASI
                    return f.read()

            modes = {
                "read-write": os.O_RDWR,
                "write": os.O_WRONLY,
                "create": os.O_WRONLY | os.O_CREAT,
                "truncate": os.O_RDWR | os.O_TRUNC,
                "create new": os.O_RDWR | os.O_CREAT | os.O_EXCL,
                "append": os.O_WRONLY | os.O_APPEND,
                "read-append": os.O_RDWR | os.O_APPEND | os.O_CREAT,
            }
            differ, refused = [], []
            for mode, flags in modes.items():
                for name in ("h.txt", "w.txt"):
                    try:
                        os.unlink("/data/" + name)
                    except FileNotFoundError:
                        pass
                    if not flags & os.O_CREAT:
                        with open("/data/./" + name, "wb") as f:
                            f.write(b"0123456789" * 3)
                host_calls, wasi_calls = calls(host("h.txt", flags)), calls(wasi_spelled("w.txt", flags))
                differ += [(mode, h, w) for h, w in zip(host_calls, wasi_calls) if h != w]
                if contents("h.txt") != contents("w.txt"):
                    differ.append((mode, contents("h.txt"), contents("w.txt")))
            # What both refuse alike: an exclusive create of a file that is there, writing a directory.
            for name, flags in (("h.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL), ("d", os.O_WRONLY), ("d", os.O_RDWR | os.O_CREAT)):
                os.makedirs("/data/d", exist_ok=True)
                plain = outcome(lambda: os.open("/data/" + name, flags))
                through_wasi = outcome(lambda: os.open("/data/./" + name, flags))
                if plain != through_wasi or not isinstance(plain, tuple):
                    refused.append((name, plain, through_wasi))
            # Made by the host with os.open's mode (0o777) less the umask (0o022), as on Linux;
            # WASI makes every file 0o666 less the host's umask.
            made_mode = oct(os.stat("/data/h.txt").st_mode & 0o7777)
            f"{differ} {refused} {made_mode}"
            """));
        Assert.Equal((UnixFileMode)Convert.ToInt32("755", 8), File.GetUnixFileMode(Path.Combine(_dir.FullName, "h.txt")));
    }

    [Fact]
    public void TheHostsDescriptorsCloseWithTheGuestsAndWithTheRuntime()
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "f.txt"), "twelve bytes");
        Directory.CreateDirectory(Path.Combine(_dir.FullName, "d"));
        var ours = new[] { Path.Combine(_dir.FullName, "f.txt"), Path.Combine(_dir.FullName, "d"), Path.Combine(_dir.FullName, "new.txt") };
        // Entries, not files: GetFiles leaves out those that lead to a directory.
        int Held() => Directory.GetFileSystemEntries("/proc/self/fd").Count(link =>
        {
            try
            {
                return ours.Contains(new FileInfo(link).LinkTarget);
            }
            catch (IOException)
            {
                return false; // closed meanwhile
            }
        });
        using (var py = Load())
        {
            py.RunPython("""
                import os
                kept = [open("/data/f.txt", "rb"), open("/data/new.txt", "w"), os.scandir("/data/d")]
                """);
            Assert.Equal(4, Held()); // the directory: WASI's descriptor and the host's
            py.RunPython("for k in kept: k.close()");
            Assert.Equal(0, Held());
            py.RunPython("kept = [open('/data/f.txt', 'rb') for _ in range(5)]");
            Assert.Equal(5, Held());
        }
        Assert.Equal(0, Held()); // left open by the guest, closed with the runtime
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PathsAreMadeRemovedRenamedAndTouchedAsWasiDoes(bool readOnly)
    {
        // The same steps in two trees alike, one through plain paths (the host's, where the
        // mount is writable), one through another spelling (WASI's): each step's result, then
        // the trees' names, types and times. In a read-only mount everything is WASI's refusal.
        foreach (var tree in new[] { "h", "w" })
        {
            Directory.CreateDirectory(Path.Combine(_dir.FullName, tree, "full", "inner"));
            foreach (var (name, text) in new[] { ("file.txt", "text"), ("other.txt", "other") })
            {
                File.WriteAllText(Path.Combine(_dir.FullName, tree, name), text);
                File.SetLastWriteTimeUtc(Path.Combine(_dir.FullName, tree, name), new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            }
            File.CreateSymbolicLink(Path.Combine(_dir.FullName, tree, "link"), "file.txt");
            File.CreateSymbolicLink(Path.Combine(_dir.FullName, tree, "out"), _outside.FullName);
        }
        using var py = Load(readOnly);
        Expect.Str("[] True", py.RunPython("""
            import os, stat
            def outcome(call):
                try:
                    return call()
                except OSError as e:
                    return (type(e).__name__, e.errno)
            def steps(top):
                p = lambda name: top + "/" + name
                return [
                    ("mkdir", lambda: os.mkdir(p("new"))),
                    ("mkdir again", lambda: os.mkdir(p("new"))),
                    ("mkdir in missing", lambda: os.mkdir(p("missing/new"))),
                    ("mkdir through a file", lambda: os.mkdir(p("file.txt/new"))),
                    ("mkdir through a link out", lambda: os.mkdir(p("out/new"))),
                    ("mkdir nested", lambda: os.makedirs(p("a/b/c"))),
                    ("rmdir", lambda: os.rmdir(p("a/b/c"))),
                    ("rmdir not empty", lambda: os.rmdir(p("full"))),
                    ("rmdir a file", lambda: os.rmdir(p("file.txt"))),
                    ("rmdir missing", lambda: os.rmdir(p("nothing"))),
                    ("unlink a directory", lambda: os.unlink(p("new"))),
                    ("unlink a link", lambda: os.unlink(p("link"))),
                    ("unlink missing", lambda: os.unlink(p("nothing"))),
                    ("rename", lambda: os.rename(p("other.txt"), p("renamed.txt"))),
                    ("replace", lambda: os.replace(p("renamed.txt"), p("file.txt"))),
                    ("rename into a directory", lambda: os.rename(p("file.txt"), p("new/file.txt"))),
                    ("rename over a full directory", lambda: os.rename(p("new"), p("full"))),
                    ("rename a directory", lambda: os.rename(p("new"), p("moved"))),
                    ("rename missing", lambda: os.rename(p("nothing"), p("x"))),
                    ("rename out", lambda: os.rename(p("moved"), p("out/moved"))),
                    ("utime", lambda: os.utime(p("moved/file.txt"), ns=(5 * 10**18, 4 * 10**18))),
                    ("utime now", lambda: os.utime(p("full/inner"))),
                    ("utime a directory", lambda: os.utime(p("full"), ns=(3 * 10**18, 2 * 10**18))),
                    ("utime a link itself", lambda: os.utime(p("out"), ns=(10**18, 10**18), follow_symlinks=False)),
                    ("utime missing", lambda: os.utime(p("nothing"))),
                    ("unlink", lambda: os.unlink(p("moved/file.txt"))),
                ]
            def tree(top):
                found = []
                for root, dirs, files in os.walk(top):
                    for name in sorted(dirs + files):
                        st = os.lstat(os.path.join(root, name))
                        # A directory's times are those of the last change in it, and a link's those of its
                        # making, at another moment in each tree: for a link, only whether the step set it.
                        time = (None if stat.S_ISDIR(st.st_mode) else st.st_mtime_ns == 10**18 if stat.S_ISLNK(st.st_mode)
                                else st.st_mtime_ns)
                        found.append((os.path.relpath(os.path.join(root, name), top), st.st_mode, st.st_size, time))
                return sorted(found)
            host = [(name, outcome(call)) for name, call in steps("/data/h")]
            wasi = [(name, outcome(call)) for name, call in steps("/data/./w")]
            f"{[(h, w) for h, w in zip(host, wasi) if h != w]} {tree('/data/h') == tree('/data/./w')}"
            """));
        Assert.Empty(Directory.GetFileSystemEntries(_outside.FullName));
    }

    [Fact]
    public void TouchingSetsTheCurrentTime()
    {
        // os.utime(path) and pathlib's touch pass no times, meaning "now"; wasi-libc set the
        // epoch instead (bridge/paths.c). Through the host, through WASI and by fd alike.
        File.WriteAllText(Path.Combine(_dir.FullName, "f.txt"), "x");
        using var py = Load();
        Expect.Str("True True True True (5, 7)", py.RunPython("""
            import os, time, pathlib
            def fresh(p):
                return abs(time.time() - os.stat(p).st_mtime) < 60 and abs(time.time() - os.stat(p).st_atime) < 60
            results = []
            for p in ("/data/f.txt", "/data/./f.txt"):
                os.utime(p, ns=(5, 7))
                os.utime(p)
                results.append(fresh(p))
            fd = os.open("/data/f.txt", os.O_RDONLY)
            os.utime("/data/f.txt", ns=(5, 7))
            os.utime(fd)
            os.close(fd)
            results.append(fresh("/data/f.txt"))
            touched = pathlib.Path("/data/t.txt")
            touched.touch()
            os.utime(touched, ns=(5, 7))
            touched.touch()
            results.append(fresh(touched))
            os.utime(touched, ns=(5, 7))
            results.append((os.stat(touched).st_atime_ns, os.stat(touched).st_mtime_ns))
            " ".join(str(r) for r in results)
            """));
    }
}
