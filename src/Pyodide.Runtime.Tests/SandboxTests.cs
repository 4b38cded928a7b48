using System.Text;

namespace Pyodide.Tests;

/// <summary>What Python can see of the host: its own home, a read-only /lib,
/// the mounts it was given, HOME and nothing else. Separate runtimes share nothing.</summary>
public sealed class SandboxTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    [Fact]
    public void HomeIsTheWritableWorkingDirectory()
    {
        Expect.Str("/home/pyodide", _py.RunPython("import os\nos.getcwd()"));
        Expect.Str("/home/pyodide", _py.RunPython("os.path.expanduser('~')"));
        Expect.Str("written", _py.RunPython("""
            with open('/home/pyodide/notes.txt', 'w', encoding='utf-8') as f:
                f.write('written')
            os.makedirs('/home/pyodide/sub/dir', exist_ok=True)
            with open('sub/dir/relative.txt', 'w') as f:
                f.write('rel')
            open('notes.txt', encoding='utf-8').read()
            """));
        Assert.Equal(true, _py.RunPython("os.path.exists('/home/pyodide/sub/dir/relative.txt')"));
    }

    [Fact]
    public void LibIsReadOnly()
    {
        Assert.Equal(true, _py.RunPython("import os\n'python311.zip' in os.listdir('/lib')"));
        Expect.Str("OSError", _py.RunPython("""
            def try_write(path):
                try:
                    with open(path, 'w') as f:
                        f.write('x')
                    return 'written'
                except OSError as e:
                    return 'OSError'
            try_write('/lib/intruder.txt')
            """));
        Expect.Str("OSError", _py.RunPython("try_write('/lib/python3.11/os.py')"));
        Expect.Str("OSError", _py.RunPython("""
            def try_remove(path):
                try:
                    os.remove(path)
                    return 'removed'
                except OSError:
                    return 'OSError'
            try_remove('/lib/python311.zip')
            """));
        Assert.True(File.Exists(Path.Combine(Runtimes.AssetDir, "lib", "python311.zip")));
        Assert.False(File.Exists(Path.Combine(Runtimes.AssetDir, "lib", "intruder.txt")));
    }

    [Fact]
    public void RootIsTheRuntimesOwnDirectory()
    {
        // / lists the standard library, the home and /tmp, nothing of the host's /.
        Expect.Str("home,lib,tmp pyodide", _py.RunPython("""
            import os
            ','.join(sorted(os.listdir('/'))) + ' ' + ','.join(os.listdir('/home'))
            """));
    }

    [Fact]
    public void DevHasTheHostsNullZeroAndRandomDevices()
    {
        // As Linux's (SandboxDevices): output written to os.devnull vanishes, reads give nothing,
        // zeros or random bytes, and each is a character device; an exclusive create finds it
        // there; writing to the random devices is refused; nothing else is in /dev (but the
        // standard streams: DevStdinStdoutAndStderrAreTheRuntimesStreams), which cannot be
        // listed, and a program writing to /dev/tty or /dev/console is told so.
        Expect.Str("True b'' True 3 3 b'' 0 True True 8 16 False FileExistsError PermissionError FileNotFoundError FileNotFoundError FileNotFoundError False", _py.RunPython("""
            import os, stat
            with open(os.devnull, "w") as f:
                print("x" * 100, file=f)
            shown = [os.path.exists(os.devnull), open("/dev/null", "rb").read(), stat.S_ISCHR(os.stat("/dev/null").st_mode)]
            with open("/dev/null", "a") as f:
                shown.append(f.write("abc"))
            fd = os.open("/dev/null", os.O_RDWR)
            shown += [os.write(fd, b"abc"), os.read(fd, 10), os.lseek(fd, 0, os.SEEK_END), stat.S_ISCHR(os.fstat(fd).st_mode)]
            os.close(fd)
            shown += [open("/dev/zero", "rb").read(8) == bytes(8), open("/dev/zero", "rb").read(8).count(0)]
            urandom = open("/dev/urandom", "rb")
            first = urandom.read(16)
            shown += [len(first), first == urandom.read(16)]
            urandom.close()
            for path, mode in (("/dev/null", "x"), ("/dev/random", "wb")):
                try:
                    open(path, mode).close()
                    shown.append("opened")
                except OSError as e:
                    shown.append(type(e).__name__)
            for attempt in (lambda: os.listdir("/dev"), lambda: open("/dev/tty", "a"), lambda: open("/dev/console", "w")):
                try:
                    attempt()
                    shown.append("allowed")
                except OSError as e:
                    shown.append(type(e).__name__)
            shown.append(os.path.exists("/dev/tty"))
            " ".join(map(str, shown))
            """));
    }

    [Fact]
    public void DevStdinStdoutAndStderrAreTheRuntimesStreams()
    {
        // What a program writes to /dev/stdout or /dev/stderr reaches the runtime's own output
        // (its handlers here, never the process's streams), and /dev/stdin reads what
        // sys.stdin reads; each is a character device with no offset, opened only in its
        // direction, and an exclusive create finds it there.
        var output = new StringBuilder();
        var errors = new StringBuilder();
        using var py = Runtimes.Load(new PyodideOptions
        {
            Stdin = new MemoryStream("first line\nsecond\n"u8.ToArray()),
            Stdout = text => output.Append(Encoding.UTF8.GetString(text)),
            Stderr = text => errors.Append(Encoding.UTF8.GetString(text)),
        });
        Expect.Str("first line\n|second\n| True False 6 True PermissionError PermissionError FileExistsError ESPIPE True", py.RunPython("""
            import errno, logging, os, stat
            with open("/dev/stdout", "w") as out:
                out.write("to stdout\n")
            print("to stderr", file=open("/dev/stderr", "w"), flush=True)
            log = logging.getLogger("dev")
            handler = logging.FileHandler("/dev/stderr")
            log.addHandler(handler)
            log.warning("logged")
            handler.close()
            with open("/dev/stdin") as stdin:
                shown = [stdin.readline() + "|" + stdin.read() + "|"]
            fd = os.open("/dev/stdout", os.O_WRONLY)
            shown += [stat.S_ISCHR(os.fstat(fd).st_mode), os.isatty(fd), os.write(fd, b"bytes\n")]
            try:
                os.lseek(fd, 0, os.SEEK_CUR)
            except OSError as e:
                seek = errno.errorcode[e.errno]
            os.close(fd)
            shown.append(stat.S_ISCHR(os.stat("/dev/stderr").st_mode))
            for path, mode in (("/dev/stdout", "r"), ("/dev/stdin", "w"), ("/dev/stderr", "x")):
                try:
                    open(path, mode).close()
                    shown.append("opened")
                except OSError as e:
                    shown.append(type(e).__name__)
            shown += [seek, os.path.exists("/dev/stdout")]
            " ".join(map(str, shown))
            """));
        Assert.Equal("to stdout\nbytes\n", output.ToString());
        Assert.Equal("to stderr\nlogged\n", errors.ToString());
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/proc/self/environ")]
    [InlineData("../../etc/passwd")]
    [InlineData("/home/pyodide/../../etc/passwd")]
    [InlineData("/lib/../../../../etc/passwd")]
    public void HostFilesAreUnreachable(string path)
    {
        Expect.Str("OSError", _py.RunPython($$"""
            def try_read(path):
                try:
                    open(path, 'rb').read()
                    return 'read'
                except OSError:
                    return 'OSError'
            try_read({{Quote(path)}})
            """));
    }

    [Fact]
    public void TheSandboxHasOneUserWhoOwnsItsFiles()
    {
        using var py = Runtimes.LoadQuiet();
        // Its name (from USER, as getpass reads it first), its ids (an ordinary user's: code
        // expects root to chown, which WASI cannot), and those of a file it wrote: where
        // WASI gives no owner, every file is the user's.
        Expect.Str("pyodide /home/pyodide 1000 1000 1000 1000 True", py.RunPython("""
            import getpass, os
            open('/tmp/mine.txt', 'w').close()
            st = os.stat('/tmp/mine.txt')
            f'{getpass.getuser()} {os.path.expanduser("~")} {os.getuid()} {os.geteuid()} {os.getgid()} {os.getegid()} {(st.st_uid, st.st_gid) == (os.getuid(), os.getgid())}'
            """));
        // Its user database (pwd, grp): root and the user, each with a group of its own
        // name; so owners by name (pathlib, tarfile's members), `~user` and getpass
        // without USER and LOGNAME (its last resort is pwd) answer as on Linux.
        Expect.Str("root:0:/root pyodide:1000:/home/pyodide root:0 pyodide:1000 pyodide pyodide pyodide:pyodide /home/pyodide pyodide",
            py.RunPython("""
            import getpass, grp, io, os, pathlib, pwd, tarfile
            users = ' '.join(f'{u.pw_name}:{u.pw_uid}:{u.pw_dir}' for u in pwd.getpwall())
            groups = ' '.join(f'{g.gr_name}:{g.gr_gid}' for g in grp.getgrall())
            p = pathlib.Path('/tmp/owned.txt')
            p.write_text('x')
            archive = io.BytesIO()
            with tarfile.open(fileobj=archive, mode='w') as t:
                t.add(p, 'owned.txt')
            archive.seek(0)
            member = tarfile.open(fileobj=archive).getmember('owned.txt')
            environ = dict(os.environ)
            del os.environ['USER'], os.environ['LOGNAME']
            try:
                user = getpass.getuser()
            finally:
                os.environ.update(environ)
            f'{users} {groups} {p.owner()} {p.group()} {member.uname}:{member.gname} {os.path.expanduser("~pyodide")} {user}'
            """));
        // Lookups of what is not there fail as python3's do.
        Expect.Str("KeyError('getpwuid(): uid not found: 12345') KeyError('getpwuid(): uid not found: -1') KeyError(\"getpwnam(): name not found: 'nobody'\") KeyError('getgrgid(): gid not found: 5') KeyError(\"getgrnam(): name not found: 'staff'\") TypeError('uid should be integer, not float') ValueError('embedded null byte')",
            py.RunPython("""
            import grp, pwd
            def failure(f, arg):
                try:
                    f(arg)
                except Exception as e:
                    return repr(e)
            ' '.join(failure(f, a) for f, a in ((pwd.getpwuid, 12345), (pwd.getpwuid, -1), (pwd.getpwnam, 'nobody'),
                                                  (grp.getgrgid, 5), (grp.getgrnam, 'staff'), (pwd.getpwuid, 1.5),
                                                  (pwd.getpwnam, 'a\0b')))
            """));
        // The mask: 022 at the start, each call answers the one before, and only the
        // permission bits are kept, as on Linux.
        Expect.Str("0o22 0o77 0o777 0o22", py.RunPython("""
            import os
            a = os.umask(0o77); b = os.umask(0o7777); c = os.umask(0o22); d = os.umask(0o22)
            f'{a:#o} {b:#o} {c:#o} {d:#o}'
            """));
        Expect.Str("TypeError", py.RunPython("""
            import os
            try:
                os.umask('x')
            except Exception as e:
                r = type(e).__name__
            r
            """));
    }

    [Fact]
    public void EnvironmentHoldsOnlyTheSandboxsUserAndHome()
    {
        // A variable of the host process must not reach the guest; it is
        // removed again so no later test runs with it.
        Environment.SetEnvironmentVariable("PYODIDE_TEST_LEAK", "should not be visible");
        try
        {
            using var py = Runtimes.LoadQuiet();
            Expect.Str("{'HOME': '/home/pyodide', 'LOGNAME': 'pyodide', 'USER': 'pyodide'}", py.RunPython("import os\nrepr(dict(sorted(os.environ.items())))"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PYODIDE_TEST_LEAK", null);
        }
    }

    [Fact]
    public void TwoRuntimesShareNothing()
    {
        using var a = Runtimes.LoadQuiet();
        using var b = Runtimes.LoadQuiet();

        a.RunPython("shared_name = 1");
        Assert.Equal(false, b.RunPython("'shared_name' in globals()"));
        a.Globals["via_host"] = 1;
        Assert.False(b.Globals.Contains("via_host"));

        a.RunPython("import json\njson.x = 1");
        Assert.Equal(true, a.RunPython("hasattr(json, 'x')"));
        Assert.Equal(false, b.RunPython("import json\nhasattr(json, 'x')"));

        a.RunPython("import sys\nsys.path.append('/only/in/a')");
        Assert.Equal(false, b.RunPython("import sys\n'/only/in/a' in sys.path"));

        a.RunPython("open('only-in-a.txt', 'w').write('a')\nopen('/home/pyodide/also-a.txt', 'w').write('a')");
        Assert.Equal(true, a.RunPython("import os\nos.path.exists('/home/pyodide/only-in-a.txt')"));
        Assert.Equal(false, b.RunPython("import os\nos.path.exists('only-in-a.txt')"));
        Assert.Equal(false, b.RunPython("os.path.exists('/home/pyodide/also-a.txt')"));
        // Only the (empty) site-packages every runtime gets: nothing of a's.
        Expect.Str("site-packages", b.RunPython("','.join(os.listdir('/home/pyodide'))"));
        Expect.Str("", b.RunPython("','.join(os.listdir('/home/pyodide/site-packages'))"));
    }

    [Fact]
    public void FileSystemEncodingIsUtf8()
    {
        // As in Pyodide: UTF-8 file names and UTF-8 as the default text encoding.
        Expect.Str("utf-8", _py.RunPython("import sys\nsys.getfilesystemencoding()"));
        Expect.Str("ünïcødé 🐍", _py.RunPython("""
            import os
            with open('/home/pyodide/ünïcødé 🐍.txt', 'w') as f:
                f.write('ünïcødé 🐍')
            [name] = [n for n in os.listdir('/home/pyodide') if n.endswith('🐍.txt')]
            open(name).read()
            """));
        Assert.Equal(new byte[] { 0xC3, 0xA9 }, Assert.IsType<byte[]>(_py.RunPython("""
            with open('default-encoding.txt', 'w') as f:
                f.write('\xe9')
            open('default-encoding.txt', 'rb').read()
            """)));
    }

    [Fact]
    public void FilesHaveTheModesOfAnOrdinaryUsersFilesAndArchivesKeepThem()
    {
        // WASI has no permission bits: every stat said mode 0 beside the type, so a tar or
        // zip made in the sandbox stored members no one may read. bridge/stat.c gives what a
        // file made by an ordinary user has; read back by the host from the archives.
        var dir = Directory.CreateTempSubdirectory("pyodide-tests-modes-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "tree", "sub"));
            File.WriteAllText(Path.Combine(dir.FullName, "tree", "sub", "a.txt"), "a");
            using (var py = Runtimes.Load(new PyodideOptions
            {
                Mounts = [new PyodideMount(dir.FullName, "/data", ReadOnly: false)],
                Stdout = _ => { }, Stderr = _ => { },
            }))
            {
                Expect.Str("-rw-r--r-- drwxr-xr-x -rw-r--r-- drwxr-xr-x crw-rw-rw- 0o100644 0o100644", py.RunPython("""
                    import os, shutil, stat
                    modes = [stat.filemode(os.stat(p).st_mode) for p in ("/data/tree/sub/a.txt", "/data/tree", "/lib/python311.zip", "/tmp", "/dev/null")]
                    with open("/data/tree/sub/a.txt") as f:
                        modes.append(oct(os.fstat(f.fileno()).st_mode))
                    with os.scandir("/data/tree/sub") as entries:
                        modes += [oct(e.stat().st_mode) for e in entries]
                    shutil.make_archive("/data/tree", "gztar", "/data/tree")
                    shutil.make_archive("/data/tree", "zip", "/data/tree")
                    " ".join(modes)
                    """));
            }
            using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(dir.FullName, "tree.tar.gz")),
                                                                  System.IO.Compression.CompressionMode.Decompress))
            using (var tar = new System.Formats.Tar.TarReader(gz))
            {
                var modes = new SortedDictionary<string, string>();
                while (tar.GetNextEntry() is { } entry) modes[entry.Name] = Convert.ToString((int)entry.Mode, 8);
                Assert.Equal("./=755 ./sub/=755 ./sub/a.txt=644", string.Join(" ", modes.Select(m => $"{m.Key}={m.Value}")));
            }
            using (var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(dir.FullName, "tree.zip")))
            {
                var modes = zip.Entries.OrderBy(e => e.FullName).Select(e => $"{e.FullName}={Convert.ToString(e.ExternalAttributes >>> 16, 8)}");
                Assert.Equal("sub/=40755 sub/a.txt=100644", string.Join(" ", modes));
            }
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void NonAsciiNamesOnAMount()
    {
        var dir = Directory.CreateTempSubdirectory("pyodide-tests-names-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "from-hóst.txt"), "host");
            using (var py = Runtimes.Load(new PyodideOptions
            {
                Mounts = [new PyodideMount(dir.FullName, "/data", ReadOnly: false)],
                Stdout = _ => { }, Stderr = _ => { },
            }))
            {
                Expect.Str("host", py.RunPython("open('/data/from-hóst.txt', encoding='utf-8').read()"));
                py.RunPython("open('/data/from-pythön-✓.txt', 'w', encoding='utf-8').write('python')");
            }
            Assert.Equal("python", File.ReadAllText(Path.Combine(dir.FullName, "from-pythön-✓.txt")));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void ReadOnlyMount()
    {
        var dir = Directory.CreateTempSubdirectory("pyodide-tests-ro-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "hello.txt"), "hi from the host – ü");
            Directory.CreateDirectory(Path.Combine(dir.FullName, "nested"));
            File.WriteAllBytes(Path.Combine(dir.FullName, "nested", "data.bin"), [0, 1, 2, 0]);
            using var py = Runtimes.Load(new PyodideOptions
            {
                Mounts = [new PyodideMount(dir.FullName, "/data", ReadOnly: true)],
                Stdout = _ => { }, Stderr = _ => { },
            });
            Expect.Str("hi from the host – ü", py.RunPython("open('/data/hello.txt', encoding='utf-8').read()"));
            Assert.Equal(new byte[] { 0, 1, 2, 0 }, Assert.IsType<byte[]>(py.RunPython("open('/data/nested/data.bin', 'rb').read()")));
            Expect.Str("hello.txt,nested", py.RunPython("import os\n','.join(sorted(os.listdir('/data')))"));

            Expect.Str("OSError", py.RunPython("""
                def attempt(action):
                    try:
                        action()
                        return 'done'
                    except OSError:
                        return 'OSError'
                attempt(lambda: open('/data/new.txt', 'w').write('x'))
                """));
            Expect.Str("OSError", py.RunPython("attempt(lambda: open('/data/hello.txt', 'a').write('x'))"));
            Expect.Str("OSError", py.RunPython("attempt(lambda: os.remove('/data/hello.txt'))"));
            Expect.Str("OSError", py.RunPython("attempt(lambda: os.mkdir('/data/newdir'))"));
            Expect.Str("OSError", py.RunPython("attempt(lambda: open('/data/../../etc/passwd').read())"));
            // A change is refused as Linux's read-only file systems refuse it, EROFS, once the
            // path is looked up (bridge/paths.c): what is missing is FileNotFoundError and what
            // is there FileExistsError where making it is asked, so the idioms that expect
            // those work.
            Expect.Str("FileNotFoundError FileNotFoundError FileNotFoundError FileExistsError FileExistsError " +
                       "EROFS EROFS done done EROFS EROFS FileExistsError FileNotFoundError FileNotFoundError EROFS " +
                       "EROFS FileNotFoundError EROFS EROFS Read-only file system", py.RunPython("""
                import errno, pathlib
                def error(action):
                    try:
                        action()
                        return 'done'
                    except OSError as e:
                        return errno.errorcode[e.errno] if type(e) is OSError else type(e).__name__
                results = [error(a) for a in (
                    lambda: os.remove('/data/missing.txt'), lambda: os.rmdir('/data/nested/gone'),
                    lambda: os.rename('/data/missing.txt', '/data/other.txt'), lambda: os.mkdir('/data/nested'),
                    lambda: os.mkdir('/data/hello.txt'), lambda: os.rmdir('/data/nested'),
                    lambda: os.rename('/data/hello.txt', '/data/other.txt'),
                    lambda: pathlib.Path('/data/missing.txt').unlink(missing_ok=True),
                    lambda: pathlib.Path('/data/nested').mkdir(exist_ok=True),
                    lambda: open('/data/new.txt', 'w'), lambda: open('/data/hello.txt', 'r+'),
                    lambda: open('/data/hello.txt', 'x'), lambda: open('/data/gone/new.txt', 'w'),
                    lambda: open('/data/missing.txt', 'r+'), lambda: os.utime('/data/hello.txt'),
                    lambda: os.truncate('/data/hello.txt', 0), lambda: os.utime('/data/missing.txt'),
                    lambda: os.symlink('hello.txt', '/data/link'), lambda: os.mkdir('/data/newdir'))]
                try:
                    open('/data/new.txt', 'w')
                except OSError as e:
                    results.append(e.strerror)
                " ".join(results)
                """));

            Assert.False(File.Exists(Path.Combine(dir.FullName, "new.txt")));
            Assert.Equal("hi from the host – ü", File.ReadAllText(Path.Combine(dir.FullName, "hello.txt")));
            Assert.False(Directory.Exists(Path.Combine(dir.FullName, "newdir")));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void StatvfsDescribesTheHostsFileSystemAndReadOnlyDirectories()
    {
        // bridge/statvfs.c: the file system of a path is its preopen's, as the host's statvfs
        // gives it (DriveInfo reads the same numbers), with ST_RDONLY where the directory is
        // read-only (/lib, a read-only mount) whatever the host's file system allows.
        var ro = Directory.CreateTempSubdirectory("pyodide-tests-statvfs-ro-");
        var rw = Directory.CreateTempSubdirectory("pyodide-tests-statvfs-rw-");
        try
        {
            using var py = Runtimes.Load(new PyodideOptions
            {
                Mounts = [new PyodideMount(ro.FullName, "/ro", ReadOnly: true), new PyodideMount(rw.FullName, "/rw", ReadOnly: false)],
                Stdout = _ => { }, Stderr = _ => { },
            });
            var drive = new DriveInfo(rw.FullName);
            Expect.Str($"1 0 1 0 True {drive.TotalSize} ENOTSUP EBADF FileNotFoundError", py.RunPython("""
                import errno, os, shutil
                flags = [os.statvfs(p).f_flag & os.ST_RDONLY for p in ('/ro', '/rw', '/lib/python3.11', '/home/pyodide')]
                same = os.statvfs('/ro').f_blocks == os.statvfs('/rw').f_blocks
                results = [*map(str, flags), str(same), str(shutil.disk_usage('/rw').total)]
                for arg in (0, 999, '/rw/missing'):
                    try:
                        os.statvfs(arg)
                    except FileNotFoundError as e:
                        results.append(type(e).__name__)
                    except OSError as e:
                        results.append(errno.errorcode[e.errno])
                ' '.join(results)
                """));
        }
        finally
        {
            ro.Delete(true);
            rw.Delete(true);
        }
    }

    [Fact]
    public void ReadWriteMount()
    {
        var dir = Directory.CreateTempSubdirectory("pyodide-tests-rw-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "existing.txt"), "old");
            using (var py = Runtimes.Load(new PyodideOptions
            {
                Mounts = [new PyodideMount(dir.FullName, "/mnt/work", ReadOnly: false)],
                Stdout = _ => { }, Stderr = _ => { },
            }))
            {
                Expect.Str("old", py.RunPython("open('/mnt/work/existing.txt').read()"));
                py.RunPython("""
                    import os
                    with open('/mnt/work/from-python.txt', 'w', encoding='utf-8') as f:
                        f.write('written by Python – ✓')
                    os.makedirs('/mnt/work/sub', exist_ok=True)
                    with open('/mnt/work/sub/bytes.bin', 'wb') as f:
                        f.write(bytes(range(256)))
                    with open('/mnt/work/existing.txt', 'a') as f:
                        f.write('+new')
                    """);
            }
            Assert.Equal("written by Python – ✓", File.ReadAllText(Path.Combine(dir.FullName, "from-python.txt"), Encoding.UTF8));
            Assert.Equal(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), File.ReadAllBytes(Path.Combine(dir.FullName, "sub", "bytes.bin")));
            Assert.Equal("old+new", File.ReadAllText(Path.Combine(dir.FullName, "existing.txt")));
            // The mount is the host's directory: disposing the runtime leaves it alone.
            Assert.True(Directory.Exists(dir.FullName));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
