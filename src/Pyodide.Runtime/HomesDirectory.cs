using System.Runtime.InteropServices;
using System.Text;

namespace Pyodide;

/// <summary>Where the runtimes' homes live on Linux: one directory per user in the
/// temporary directory, <c>$TMPDIR/pyodide-homes-UID</c> (0700 and the user's own: else
/// it is not used), one home each, and each locked (<c>flock</c>) by the process using or
/// keeping it through a descriptor it holds. The kernel drops a process's locks however
/// it ends, so a home left by a process that never ran its exit handlers (a Go program's
/// runtime ends it by the <c>exit_group</c> system call; <c>_exit</c>; a signal; a crash)
/// is free: the next process that wants a home takes it if it holds only
/// <see cref="RuntimeHomes.Shape"/>, and removes it otherwise, and a process that exits normally removes
/// every free one. Nothing is left for good.</summary>
internal static unsafe partial class HomesDirectory
{
    /// <summary>Whether homes live here: Linux with statx and renameat2 (glibc 2.28) and
    /// its 64-bit <c>struct dirent</c> (glibc and musl).</summary>
    public static readonly bool Usable = OperatingSystem.IsLinux() && IntPtr.Size == 8 && HasCalls();

    /// <summary>How many homes one look for a free one tries (each a few system calls):
    /// the rest wait for a normal exit's sweep.</summary>
    private const int MaxTried = 16;

    private static readonly byte[] HomePrefix = Encoding.UTF8.GetBytes(RuntimeHomes.Prefix);
    private const string NewPrefix = ".new-";

    private static string PathOf => System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"pyodide-homes-{getuid()}");

    /// <summary>A free home that holds only <see cref="RuntimeHomes.Shape"/>, locked for this process,
    /// and its lock's descriptor; null when there is none among the first
    /// <see cref="MaxTried"/>. Free homes with anything else in them are removed on the way.</summary>
    public static (string Home, int Lock)? TakeFree()
    {
        string path = PathOf;
        nint dir = Open(path, create: false);
        if (dir == 0) return null;
        try
        {
            int dfd = dirfd(dir);
            for (int tried = 0; tried < MaxTried && NextEntry(dir, HomePrefix) is { } name; tried++)
            {
                int fd = LockIfFree(dfd, name);
                if (fd < 0) continue;
                string home = System.IO.Path.Combine(path, name);
                if (IsUnused(home)) return (home, fd);
                RemoveTree(home);
                close(fd);
            }
            return null;
        }
        finally
        {
            closedir(dir);
        }
    }

    /// <summary>A new home holding <see cref="RuntimeHomes.Shape"/>, locked for this process, and its
    /// lock's descriptor; null when the directory cannot be used. Made under a name no one
    /// takes (<c>.new-</c>) and renamed once locked and whole. Another process that gives
    /// back its last home removes the directory when it is empty: if that came after this
    /// one opened it (every attempt then fails), the directory is opened, and made, again
    /// once.</summary>
    public static (string Home, int Lock)? Make()
    {
        for (int open = 0; open < 2; open++)
        {
            string path = PathOf;
            nint dir = Open(path, create: true);
            if (dir == 0) return null;
            try
            {
                int dfd = dirfd(dir);
                for (int attempt = 0; attempt < 3; attempt++)
                {
                    string temporary = NewPrefix + RandomName();
                    if (mkdirat(dfd, temporary, 0x1c0) != 0) continue; // 0700
                    int fd = openat(dfd, temporary, ORdonly | OCloexec);
                    // A normal exit's sweep may have taken the new directory before the lock:
                    // then making the shape in it fails.
                    if (fd >= 0 && flock(fd, LockExclusive) == 0 && MakeShape(fd))
                    {
                        string name = RuntimeHomes.Prefix + RandomName();
                        if (renameat2(dfd, temporary, dfd, name, RenameNoreplace) == 0) return (System.IO.Path.Combine(path, name), fd);
                    }
                    RemoveTree(System.IO.Path.Combine(path, temporary));
                    if (fd >= 0) close(fd);
                }
                if (!Removed(dfd)) return null;
            }
            finally
            {
                closedir(dir);
            }
        }
        return null;
    }

    private static bool MakeShape(int fd)
    {
        foreach (string directory in RuntimeHomes.Shape)
            if (mkdirat(fd, directory, 0x1ff) != 0) return false;
        return true;
    }

    /// <summary>Whether the directory open as <paramref name="fd"/> has been removed.</summary>
    private static bool Removed(int fd)
    {
        Statx st;
        return Statx.Of(fd, "", Statx.AtEmptyPath, Statx.NlinkField, &st) == 0 && st.Has(Statx.NlinkField) && st.Nlink == 0;
    }

    /// <summary>Removes <paramref name="home"/> and then drops its lock
    /// (<paramref name="lockFd"/>); with <paramref name="last"/> (this process has no other
    /// home) the directory too, if nothing else is in it.</summary>
    public static void Release(string home, int lockFd, bool last)
    {
        RemoveTree(home);
        close(lockFd);
        if (last) rmdir(PathOf);
    }

    /// <summary>Removes every free home (and any directory a process ended before finishing
    /// it), then the directory if nothing is left in it: the process is exiting.</summary>
    public static void Sweep()
    {
        string path = PathOf;
        nint dir = Open(path, create: false);
        if (dir == 0) return;
        try
        {
            int dfd = dirfd(dir);
            while (NextEntry(dir, default) is { } name)
            {
                int fd = LockIfFree(dfd, name);
                if (fd < 0) continue;
                RemoveTree(System.IO.Path.Combine(path, name));
                close(fd);
            }
        }
        finally
        {
            closedir(dir);
        }
        rmdir(path);
    }

    /// <summary>Removes <paramref name="home"/> and what it holds. It usually holds only
    /// <see cref="RuntimeHomes.Shape"/>: then an rmdir call each does. A recursive
    /// Directory.Delete lists each directory first, and the first listing in a process sets
    /// up .NET's pooled buffers (~0.25 ms of <c>pyodide-run -c pass</c>).</summary>
    public static void RemoveTree(string home)
    {
        if ((OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && RemoveShape(home)) return;
        try { Directory.Delete(home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Removes the directories of <see cref="RuntimeHomes.Shape"/>, deepest first,
    /// and then <paramref name="home"/>: whether each was empty and is gone.</summary>
    private static bool RemoveShape(string home)
    {
        for (int i = RuntimeHomes.Shape.Length - 1; i >= 0; i--)
            if (rmdir(System.IO.Path.Combine(home, RuntimeHomes.Shape[i])) != 0) return false;
        return rmdir(home) == 0;
    }

    /// <summary>Each directory of an unused home (the home itself first, as "") paired with
    /// the names of the directories <see cref="RuntimeHomes.Shape"/> has in it. Made at first
    /// use: a process that makes one runtime (<c>pyodide-run</c>) never needs it.</summary>
    private static (string Path, byte[][] Names)[]? s_shapeListings;

    private static (string, byte[][])[] ListShape()
    {
        string[] shape = RuntimeHomes.Shape;
        var listings = new (string, byte[][])[shape.Length + 1];
        for (int i = 0; i < listings.Length; i++)
        {
            string parent = i == 0 ? "" : shape[i - 1];
            var names = new List<byte[]>();
            foreach (string directory in shape)
                if ((System.IO.Path.GetDirectoryName(directory) ?? "") == parent)
                    names.Add(Encoding.UTF8.GetBytes(System.IO.Path.GetFileName(directory)));
            listings[i] = (parent, names.ToArray());
        }
        return listings;
    }

    /// <summary>Whether <paramref name="home"/> holds exactly <see cref="RuntimeHomes.Shape"/>:
    /// nothing Python or a package load left there.</summary>
    public static bool IsUnused(string home)
    {
        foreach (var (path, names) in s_shapeListings ??= ListShape())
            if (!HoldsOnly(System.IO.Path.Combine(home, path), names)) return false;
        return true;
    }

    /// <summary>Whether directory <paramref name="path"/> holds the directories
    /// <paramref name="names"/> and nothing else. Not sure (it cannot be read, or the file
    /// system does not give entry types) is no.</summary>
    private static bool HoldsOnly(string path, byte[][] names)
    {
        nint dir = opendir(path);
        if (dir == 0) return false;
        try
        {
            int seen = 0;
            for (byte* entry; (entry = readdir(dir)) != null;)
            {
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + DirentName);
                if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8)) continue;
                if (entry[DirentType] != DirectoryType || !Contains(names, name)) return false;
                seen++;
            }
            return seen == names.Length;
        }
        finally
        {
            closedir(dir);
        }
    }

    private static bool Contains(byte[][] names, ReadOnlySpan<byte> name)
    {
        foreach (byte[] candidate in names)
            if (name.SequenceEqual(candidate)) return true;
        return false;
    }

    /// <summary>The directory at <paramref name="path"/> opened for listing (made first when
    /// <paramref name="create"/>), or 0 when it is missing or not a real directory (no
    /// symbolic link) of this user's that no one else may enter: another user could
    /// otherwise make it in a shared /tmp and hand this one homes of theirs. The path and
    /// the opened directory are both checked, and must be the same directory.</summary>
    private static nint Open(string path, bool create)
    {
        if (create) mkdir(path, 0x1c0); // 0700; an existing one is checked like any other
        const uint wanted = Statx.TypeField | Statx.ModeField | Statx.UidField | Statx.InoField;
        Statx named, opened;
        if (Statx.Of(AtFdcwd, path, Statx.AtSymlinkNofollow, wanted, &named) != 0 || !IsPrivateDirectory(named)) return 0;
        nint dir = opendir(path);
        if (dir == 0) return 0;
        if (Statx.Of(dirfd(dir), "", Statx.AtEmptyPath, wanted, &opened) == 0 && IsPrivateDirectory(opened)
            && opened.Ino == named.Ino && opened.DevMajor == named.DevMajor && opened.DevMinor == named.DevMinor)
            return dir;
        closedir(dir);
        return 0;

        static bool IsPrivateDirectory(in Statx st) =>
            st.Has(wanted) && (st.Mode & Statx.TypeMask) == Statx.Directory && (st.Mode & 0x3f) == 0 && st.Uid == getuid();
    }

    /// <summary>A descriptor holding the lock of entry <paramref name="name"/> of the
    /// directory <paramref name="dfd"/>, or -1 when another descriptor holds it (a live
    /// process's home: this process's own too, flock's locks belonging to descriptions,
    /// not processes) or it is gone.</summary>
    private static int LockIfFree(int dfd, string name)
    {
        int fd = openat(dfd, name, ORdonly | OCloexec);
        if (fd < 0) return -1;
        if (flock(fd, LockExclusive | LockNonblocking) == 0) return fd;
        close(fd);
        return -1;
    }

    /// <summary>The next name <paramref name="dir"/> lists that starts with
    /// <paramref name="prefix"/> (any but . and .. when empty), or null at its end.</summary>
    private static string? NextEntry(nint dir, ReadOnlySpan<byte> prefix)
    {
        for (byte* entry; (entry = readdir(dir)) != null;)
        {
            var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(entry + DirentName);
            if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8) || !name.StartsWith(prefix)) continue;
            return Encoding.UTF8.GetString(name);
        }
        return null;
    }

    private static string RandomName()
    {
        const string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        Span<char> name = stackalloc char[12];
        for (int i = 0; i < name.Length; i++) name[i] = letters[Random.Shared.Next(letters.Length)];
        return new string(name);
    }

    private static bool HasCalls()
    {
        try
        {
            Statx st;
            Statx.Of(AtFdcwd, "", 0, 0, &st);
            renameat2(AtFdcwd, "", AtFdcwd, "", RenameNoreplace);
            return true; // both failed with ENOENT
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    // struct dirent of 64-bit Linux (glibc and musl): d_ino, d_off, d_reclen, d_type, d_name.
    private const int DirentType = 18, DirentName = 19;
    private const byte DirectoryType = 4; // DT_DIR
    private const int AtFdcwd = -100, ORdonly = 0, OCloexec = 0x80000; // the same on every Linux architecture
    private const int LockExclusive = 2, LockNonblocking = 4;
    private const uint RenameNoreplace = 1;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rmdir(string path);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint opendir(string path);

    [LibraryImport("libc")]
    private static partial byte* readdir(nint dir);

    [LibraryImport("libc")]
    private static partial int closedir(nint dir);

    [LibraryImport("libc")]
    private static partial int dirfd(nint dir);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdir(string path, int mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdirat(int dirfd, string path, int mode);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int openat(int dirfd, string path, int flags);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    [LibraryImport("libc")]
    private static partial int flock(int fd, int operation);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat2(int fromDirfd, string from, int toDirfd, string to, uint flags);

    [LibraryImport("libc")]
    private static partial uint getuid();
}
