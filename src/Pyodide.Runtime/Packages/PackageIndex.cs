using System.Collections.Concurrent;

namespace Pyodide.Packages;

/// <summary>A package index: a directory or http(s) URL holding <c>pyodide-lock.json</c>
/// (or the URL of the lock file itself, when it ends in <c>.json</c>) and the files
/// it names, relative to it.</summary>
internal sealed class PackageIndex
{
    public const string LockFileName = "pyodide-lock.json";
    private const long MaxLockFileBytes = 256L << 20;

    // Parsed lock files, shared by the runtimes of the process. A URL's is read
    // once per process (an index URL is treated as immutable, as Pyodide's CDN
    // serves it); a local file's again whenever its size or time changes.
    private static readonly ConcurrentDictionary<string, (DateTime Time, long Length, LockFile Lock)> Parsed = new();

    private PackageIndex(string url, PackageLocation directory, PackageLocation lockFile)
    {
        Url = url;
        Directory = directory;
        LockFileLocation = lockFile;
    }

    /// <summary>The index as configured.</summary>
    public string Url { get; }

    /// <summary>Where relative file names resolve.</summary>
    public PackageLocation Directory { get; }

    public PackageLocation LockFileLocation { get; }

    /// <exception cref="ArgumentException">Not a path or an http(s)/file URL.</exception>
    public static PackageIndex Parse(string url)
    {
        var location = PackageLocation.Parse(url, "the package index URL");
        string path = location.Http?.AbsolutePath ?? location.LocalPath!;
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return new PackageIndex(url, location.Parent(), location);
        var directory = PackageLocation.Directory(location);
        return new PackageIndex(url, directory, directory.Resolve(LockFileName, "the lock file"));
    }

    /// <summary>The lock file, read (or taken from the process's cache) and checked.</summary>
    /// <exception cref="PyodideException">IO: unreadable, unreachable or malformed.</exception>
    public LockFile Read()
    {
        string key = LockFileLocation.ToString();
        if (LockFileLocation.LocalPath is { } path)
        {
            FileInfo info = new(path);
            if (!info.Exists)
                throw new PyodideException(PyodideErrorKind.IO, $"the package index {Url} has no lock file: {path} does not exist");
            if (Parsed.TryGetValue(key, out var hit) && hit.Time == info.LastWriteTimeUtc && hit.Length == info.Length)
                return hit.Lock;
            byte[] bytes;
            try
            {
                if (info.Length > MaxLockFileBytes) throw new IOException($"it is larger than {MaxLockFileBytes} bytes");
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PyodideException(PyodideErrorKind.IO, $"cannot read the lock file {path}: {e.Message}", e);
            }
            var parsed = LockFile.Parse(bytes, path);
            Parsed[key] = (info.LastWriteTimeUtc, info.Length, parsed);
            return parsed;
        }
        if (Parsed.TryGetValue(key, out var cached)) return cached.Lock;
        byte[] body;
        try
        {
            body = PackageHttp.GetBytes(LockFileLocation.Http!, MaxLockFileBytes);
        }
        catch (PyodideException e)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"cannot read the lock file of the package index {Url}: {e.Message}", e);
        }
        var lockFile = LockFile.Parse(body, key);
        Parsed[key] = (default, body.Length, lockFile);
        return lockFile;
    }
}
