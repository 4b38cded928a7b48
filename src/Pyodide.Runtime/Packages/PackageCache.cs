using System.Security.Cryptography;

namespace Pyodide.Packages;

/// <summary>Package files on disk: local files are read where they are; downloads
/// are kept in a cache directory as <c>&lt;sha256&gt;.whl</c> (written under a temporary
/// name, checked, then renamed into place, so a reader never sees a partial or
/// unchecked file), and reused by every runtime of every process.</summary>
internal sealed class PackageCache(string directory)
{
    /// <summary><c>$PYODIDE_CACHE/packages</c>, or <c>~/.cache/pyodide-native/packages</c>.</summary>
    public static string DefaultDirectory
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable("PYODIDE_CACHE");
            if (string.IsNullOrEmpty(root))
            {
                string? home = Environment.GetEnvironmentVariable("HOME");
                if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                if (string.IsNullOrEmpty(home)) home = Path.GetTempPath();
                root = Path.Combine(home, ".cache", "pyodide-native");
            }
            return Path.Combine(Path.GetFullPath(root), "packages");
        }
    }

    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>The verified file of <paramref name="package"/> at <paramref name="location"/>:
    /// a local path, checked against <paramref name="sha256"/> when given.
    /// <paramref name="onDownload"/> is told the URL before a download starts; <paramref name="policy"/>
    /// (default <see cref="PackageHttp.Default"/>) bounds it.</summary>
    /// <exception cref="PyodideException">IO: missing, unreachable, or the wrong checksum.</exception>
    public string Fetch(string package, PackageLocation location, string? sha256, Action<string> onDownload,
                        PackageHttp.Policy? policy = null)
    {
        if (location.LocalPath is { } path)
        {
            if (!File.Exists(path)) throw new PyodideException(PyodideErrorKind.IO, $"package {package}: {path} does not exist");
            if (sha256 != null)
            {
                string actual = HashFile(path, package);
                if (actual != sha256) throw Mismatch(package, sha256, actual, path, kept: true);
            }
            return path;
        }

        Uri url = location.Http!;
        if (sha256 != null)
        {
            string cached = Path.Combine(Directory, sha256 + ".whl");
            if (File.Exists(cached))
            {
                // Named by its hash and only ever renamed into place after a check;
                // checked again in case the disk or someone else changed it.
                if (HashFile(cached, package) == sha256) return cached;
                TryDelete(cached);
            }
        }

        CreateDirectory(package);
        string temp = Path.Combine(Directory, $".{Guid.NewGuid():N}.part");
        try
        {
            onDownload(url.AbsoluteUri);
            try
            {
                using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
                PackageHttp.Download(url, file, (policy ?? PackageHttp.Default).MaxBytes, policy);
            }
            catch (PyodideException e)
            {
                throw new PyodideException(PyodideErrorKind.IO, $"package {package}: {e.Message}", e);
            }
            string actual = HashFile(temp, package);
            if (sha256 != null && actual != sha256) throw Mismatch(package, sha256, actual, url.AbsoluteUri, kept: false);
            string final = Path.Combine(Directory, actual + ".whl");
            File.Move(temp, final, overwrite: true);
            return final;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PyodideException(PyodideErrorKind.IO,
                $"package {package}: cannot write the package cache {Directory} (set PYODIDE_CACHE to move it): {e.Message}", e);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    private void CreateDirectory(string package)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PyodideException(PyodideErrorKind.IO,
                $"package {package}: cannot create the package cache {Directory} (set PYODIDE_CACHE to move it): {e.Message}", e);
        }
    }

    private static PyodideException Mismatch(string package, string expected, string actual, string source, bool kept) =>
        new(PyodideErrorKind.IO,
            $"package {package}: sha256 mismatch for {source}: the index says {expected}, the file has {actual}" +
            (kept ? "" : "; the download was discarded"));

    /// <summary>Lowercase hex SHA-256 of a file.</summary>
    public static string HashFile(string path, string package)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"package {package}: cannot read {path}: {e.Message}", e);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
