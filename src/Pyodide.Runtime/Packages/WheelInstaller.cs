using System.IO.Compression;

namespace Pyodide.Packages;

/// <summary>Unpacks pure-Python wheels into a runtime's site-packages, safely.
///
/// A wheel is first checked entry by entry (no absolute paths, no <c>..</c>, no
/// symbolic links or other special files, no compiled extensions), then unpacked
/// into a staging directory beside site-packages (same file system), and only
/// then renamed into place. A wheel that fails a check writes nothing; the
/// staging directory is removed whatever happens.</summary>
internal static class WheelInstaller
{
    /// <summary>The most a wheel may unpack to, and the most one entry may expand
    /// relative to its compressed size once it is larger than <see cref="RatioFloor"/>:
    /// beyond them a wheel is a zip bomb, not a library.</summary>
    public const long MaxUnpackedBytes = 512L << 20, RatioFloor = 16L << 20;
    public const int MaxRatio = 200;

    // Unix file types in the upper 16 bits of a zip entry's external attributes.
    private const int TypeMask = 0xF000, TypeDirectory = 0x4000, TypeRegular = 0x8000, TypeSymlink = 0xA000;

    /// <summary>Extensions that mean compiled code, which the interpreter cannot load.</summary>
    public static bool IsCompiled(string path)
    {
        string name = path[(path.LastIndexOf('/') + 1)..].ToLowerInvariant();
        if (name.EndsWith(".so") || name.EndsWith(".pyd") || name.EndsWith(".dylib")) return true;
        int so = name.LastIndexOf(".so.", StringComparison.Ordinal); // libfoo.so.1.2
        return so > 0 && name[(so + 4)..].All(c => char.IsAsciiDigit(c) || c == '.');
    }

    public static PyodideException PureOnly(string package, string what) =>
        new(PyodideErrorKind.IO,
            $"package {package}: {what}; Pyodide.Native loads pure-Python wheels only (…-none-any.whl), " +
            "compiled extensions cannot run in its WebAssembly interpreter");

    /// <summary>The entry's path split into segments, or an IO error saying why it may
    /// not be written; null for an entry that names no file (e.g. "./").</summary>
    private static string[]? SafeSegments(string package, string name)
    {
        PyodideException Bad(string why) =>
            new(PyodideErrorKind.IO, $"package {package}: the wheel entry '{name}' {why}; nothing was installed from it");
        if (name.Length == 0) return null;
        if (name.Contains('\0')) throw Bad("contains a NUL character");
        if (name.Contains('\\')) throw Bad("contains a backslash");
        if (name.StartsWith('/') || (name.Length >= 2 && name[1] == ':')) throw Bad("is an absolute path");
        var segments = name.Split('/').Where(s => s.Length > 0 && s != ".").ToArray();
        if (segments.Contains("..")) throw Bad("leaves site-packages (..)");
        return segments.Length == 0 ? null : segments;
    }

    /// <summary>Checks every entry of the wheel at <paramref name="wheel"/> and unpacks it
    /// into <paramref name="staging"/> (an empty directory).</summary>
    /// <exception cref="PyodideException">IO: not a zip, an unsafe entry, compiled code.</exception>
    public static void Unpack(string package, string wheel, string staging)
    {
        try
        {
            using var archive = ZipFile.OpenRead(wheel);
            var plan = new List<(ZipArchiveEntry Entry, string[] Segments, bool IsDirectory)>(archive.Entries.Count);
            long unpacked = 0;
            foreach (var entry in archive.Entries)
            {
                unpacked += entry.Length;
                if (unpacked > MaxUnpackedBytes || (entry.Length > RatioFloor && entry.Length > MaxRatio * Math.Max(entry.CompressedLength, 1)))
                    throw new PyodideException(PyodideErrorKind.IO,
                        $"package {package}: the wheel entry '{entry.FullName}' expands to {entry.Length} bytes from {entry.CompressedLength} " +
                        $"(a zip bomb: at most {MaxUnpackedBytes} bytes in all, {MaxRatio}:1 beyond {RatioFloor} bytes); nothing was installed from it");
                var segments = SafeSegments(package, entry.FullName);
                int type = (entry.ExternalAttributes >> 16) & TypeMask;
                if (type == TypeSymlink)
                    throw new PyodideException(PyodideErrorKind.IO,
                        $"package {package}: the wheel entry '{entry.FullName}' is a symbolic link; nothing was installed from it");
                if (type is not (0 or TypeDirectory or TypeRegular))
                    throw new PyodideException(PyodideErrorKind.IO,
                        $"package {package}: the wheel entry '{entry.FullName}' is not a regular file; nothing was installed from it");
                if (segments == null) continue;
                bool isDirectory = entry.FullName.EndsWith('/') || type == TypeDirectory;
                if (!isDirectory && IsCompiled(entry.FullName))
                    throw PureOnly(package, $"the wheel contains the compiled extension '{entry.FullName}'");
                plan.Add((entry, segments, isDirectory));
            }

            string root = Path.GetFullPath(staging) + Path.DirectorySeparatorChar;
            foreach (var (entry, segments, isDirectory) in plan)
            {
                string target = Path.GetFullPath(Path.Combine(root, Path.Combine(segments)));
                if (!target.StartsWith(root, StringComparison.Ordinal)) // belt and braces: checked above
                    throw new PyodideException(PyodideErrorKind.IO, $"package {package}: the wheel entry '{entry.FullName}' leaves site-packages");
                if (isDirectory)
                {
                    Directory.CreateDirectory(target);
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var input = entry.Open();
                // CreateNew: a name given twice (or a file under a file) is an error, not an overwrite.
                using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                // Reading stops at the entry's declared size, the one checked above.
                input.CopyTo(output);
            }
        }
        catch (InvalidDataException e)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"package {package}: {wheel} is not a valid wheel (zip): {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"package {package}: unpacking {wheel} failed: {e.Message}", e);
        }
    }

    /// <summary>Checks that every staged file and directory can be moved into
    /// <paramref name="site"/>: nothing may be written through a symbolic link that
    /// Python made there, and a file may not replace a directory or the reverse.</summary>
    public static void CheckTargets(string package, string staging, string site)
    {
        foreach (var entry in new DirectoryInfo(staging).EnumerateFileSystemInfos())
        {
            string target = Path.Combine(site, entry.Name);
            var existing = Existing(target);
            if (existing == null) continue;
            string shown = Path.GetRelativePath(site, target);
            if (existing.LinkTarget != null)
                throw new PyodideException(PyodideErrorKind.IO,
                    $"package {package}: site-packages/{shown} is a symbolic link; refusing to install through it");
            bool stagedDirectory = entry is DirectoryInfo;
            if (stagedDirectory != existing is DirectoryInfo)
                throw new PyodideException(PyodideErrorKind.IO,
                    $"package {package}: site-packages/{shown} already exists as a {(stagedDirectory ? "file" : "directory")}");
            if (stagedDirectory) CheckTargets(package, entry.FullName, target);
        }
    }

    /// <summary>Moves what <paramref name="staging"/> holds into <paramref name="site"/>:
    /// new top-level directories in one rename each, into existing ones file by file
    /// (a file replaces an older one of the same name, as pip does).</summary>
    public static void MoveInto(string staging, string site)
    {
        foreach (var entry in new DirectoryInfo(staging).EnumerateFileSystemInfos().ToList())
        {
            string target = Path.Combine(site, entry.Name);
            var existing = Existing(target);
            if (existing?.LinkTarget != null)
                throw new IOException($"{target} is a symbolic link");
            if (entry is DirectoryInfo directory)
            {
                if (existing == null) directory.MoveTo(target);
                else MoveInto(directory.FullName, target);
            }
            else
            {
                File.Move(entry.FullName, target, overwrite: true);
            }
        }
    }

    /// <summary>What is at <paramref name="path"/> without following a final symbolic link, or null.</summary>
    private static FileSystemInfo? Existing(string path)
    {
        var file = new FileInfo(path);
        if (file.Exists || file.LinkTarget != null) return file;
        var directory = new DirectoryInfo(path);
        return directory.Exists ? directory : null;
    }
}
