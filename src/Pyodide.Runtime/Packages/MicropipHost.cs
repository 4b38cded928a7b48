using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pyodide.Packages;

/// <summary>The host half of the guest's <c>micropip</c>: the host module
/// <c>_pyodide_micropip</c>, through which Python (which has no sockets) has the
/// host fetch index pages and wheels and install them.
///
/// Confinement lives here, not in Python: pages come only from the index URLs the
/// host configured (<see cref="SetIndexUrls"/>) or URLs under them; files and
/// redirects only from the same hosts (for a local index, from inside its
/// directory); every response and file has a size limit and a deadline; a sha256
/// the index gives is checked; installing goes through the package manager's
/// atomic install, wheel checks and on-disk cache. Structured arguments and
/// results cross as JSON text.</summary>
internal sealed partial class MicropipHost(PackageManager packages, TimeSpan timeout)
{
    public const string ModuleName = "_pyodide_micropip";
    private const long MaxPageBytes = 16L << 20, MaxListingBytes = 4L << 20, MaxMetadataBytes = 4L << 20, MaxWheelBytes = 256L << 20;
    private const string JsonPage = "application/vnd.pypi.simple.v1+json";
    private const string Accept = JsonPage + ", text/html;q=0.1";

    private PackageLocation[] _indexes = [];
    // The sha256 of each file fetched for its metadata, for files the index gave no
    // hash for: the install then checks the file is still the one resolved.
    private readonly ConcurrentDictionary<string, string> _hashes = new(StringComparer.Ordinal);

    /// <summary>Receives micropip's messages during <see cref="PyodideRuntime.Install"/>; null = dropped.</summary>
    public Action<string>? Messages { get; set; }

    /// <summary>The indexes micropip may use, in order of preference (the default order).</summary>
    /// <exception cref="ArgumentException">Not a directory path or an http(s)/file URL.</exception>
    public void SetIndexUrls(IEnumerable<string> urls) =>
        _indexes = urls.Select(u => PackageLocation.Directory(PackageLocation.Parse(u, "the index URL"))).ToArray();

    public IReadOnlyList<string> IndexUrls => _indexes.Select(i => i.ToString()).ToArray();

    public IReadOnlyDictionary<string, PyodideHostFunction> Functions => new Dictionary<string, PyodideHostFunction>
    {
        ["index_urls"] = args => Json(w => Strings(w, IndexUrls)),
        ["check_index_urls"] = args => Guard(() =>
        {
            foreach (var url in ParseStrings(Arg(args, 0, "check_index_urls"))) Allowed(url);
            return null;
        }),
        ["project"] = args => Guard(() => Project(Arg(args, 0, "project"), Arg(args, 1, "project"))),
        ["metadata"] = args => Guard(() => Metadata(Arg(args, 0, "metadata"), Arg(args, 1, "metadata"), Arg(args, 2, "metadata"), Arg(args, 3, "metadata"))),
        ["lock_entry"] = args => Guard(() => LockEntry(Arg(args, 0, "lock_entry"))),
        ["install"] = args => Guard(() => Install(Arg(args, 0, "install"))),
        ["installed"] = args => Json(w =>
        {
            w.WriteStartObject();
            foreach (var (name, (source, sha256)) in packages.LoadedWithHashes)
            {
                w.WriteStartObject(name);
                w.WriteString("source", source);
                w.WriteString("sha256", sha256);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }),
        ["forget"] = args =>
        {
            packages.Forget(Arg(args, 0, "forget"));
            return null;
        },
        ["message"] = args =>
        {
            Messages?.Invoke(Arg(args, 0, "message"));
            return null;
        },
    };

    private static string Arg(object?[] args, int i, string function) =>
        i < args.Length && args[i] is string s ? s : throw new PythonException("TypeError", $"{function}() argument {i + 1} must be str");

    /// <summary>Errors as Python sees them: IO problems are OSError, bad arguments ValueError.</summary>
    private static object? Guard(Func<object?> body)
    {
        try
        {
            return body();
        }
        catch (PyodideException e) when (e.Kind == PyodideErrorKind.IO)
        {
            throw new PythonException("OSError", e.Message);
        }
        catch (ArgumentException e)
        {
            throw new PythonException("ValueError", e.Message);
        }
    }

    /// <summary>The configured index that <paramref name="url"/> is, or lies under.</summary>
    private PackageLocation Allowed(string url)
    {
        var location = PackageLocation.Directory(PackageLocation.Parse(url, "the index URL"));
        foreach (var index in _indexes)
            if (Under(location, index, sameHostOnly: false)) return location;
        throw new ArgumentException(_indexes.Length == 0
            ? $"the index URL '{url}' is not allowed: the host configured no package indexes for micropip"
            : $"the index URL '{url}' is not allowed: the host configured only {string.Join(", ", IndexUrls)}");
    }

    /// <summary>Whether <paramref name="location"/> is inside <paramref name="directory"/>, or
    /// (with <paramref name="sameHostOnly"/>, for http) anywhere on the same host.</summary>
    private static bool Under(PackageLocation location, PackageLocation directory, bool sameHostOnly)
    {
        if (directory.Http is { } root)
            return location.Http is { } uri && uri.Scheme == root.Scheme && uri.IdnHost == root.IdnHost && uri.Port == root.Port
                   && (sameHostOnly || uri.AbsolutePath.StartsWith(root.AbsolutePath, StringComparison.Ordinal));
        string dir = Path.TrimEndingDirectorySeparator(directory.LocalPath!) + Path.DirectorySeparatorChar;
        return location.LocalPath is { } path && (path + Path.DirectorySeparatorChar).StartsWith(dir, StringComparison.Ordinal);
    }

    private PackageHttp.Policy PolicyFor(PackageLocation index, long maxBytes) =>
        new(timeout, next => Under(PackageLocation.Parse(next.AbsoluteUri, "a redirect"), index, sameHostOnly: true), maxBytes);

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex NormalizedName();

    /// <summary>The project's page of an index as JSON {url, content_type, body, flat},
    /// or JSON null when the index does not know it. An http index is asked for
    /// <c>{index}/{name}/</c> (PEP 691 JSON preferred, PEP 503 HTML accepted); if that is
    /// 404, the index URL itself is read as a flat listing of files, unless it is larger
    /// than a listing of wheels would be (the root page of a large simple index: then
    /// the index does not have the project). A local directory is a flat listing of
    /// its wheels.</summary>
    private string Project(string indexUrl, string name)
    {
        if (!NormalizedName().IsMatch(name)) throw new ArgumentException($"'{name}' is not a normalized project name");
        var index = Allowed(indexUrl);
        if (index.LocalPath is { } dir)
        {
            var files = System.IO.Directory.Exists(dir)
                ? System.IO.Directory.EnumerateFiles(dir, "*.whl")
                    .Where(f => PackageNames.ParseWheel(Path.GetFileName(f)) is { } tags && PackageNames.Normalize(tags.Name) == name)
                    .Order(StringComparer.Ordinal).ToList()
                : [];
            if (files.Count == 0) return "null";
            string body = Json(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("files");
                foreach (string file in files)
                {
                    w.WriteStartObject();
                    w.WriteString("filename", Path.GetFileName(file));
                    w.WriteString("url", new Uri(file).AbsoluteUri);
                    w.WriteStartObject("hashes");
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return PageJson(new Uri(dir + Path.DirectorySeparatorChar).AbsoluteUri, JsonPage, body, flat: true);
        }
        var policy = PolicyFor(index, MaxPageBytes);
        var page = PackageHttp.GetPage(index.Resolve(name + "/", "the project page").Http!, Accept, MaxPageBytes, policy);
        bool flat = page == null;
        page ??= PackageHttp.GetPage(index.Http!, Accept, MaxListingBytes, policy, oversizeIsNull: true);
        if (page == null) return "null";
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(page.Body);
        }
        catch (DecoderFallbackException)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"the index page {page.Url} is not UTF-8");
        }
        return PageJson(page.Url.AbsoluteUri, page.ContentType, text, flat);
    }

    private static string PageJson(string url, string contentType, string body, bool flat) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("url", url);
        w.WriteString("content_type", contentType);
        w.WriteString("body", body);
        w.WriteBoolean("flat", flat);
        w.WriteEndObject();
    });

    /// <summary>A file an index returned: checked to be on the index's host (or in its
    /// directory), fetched into the cache and checked against the index's sha256.</summary>
    private (PackageLocation File, string Path, string Sha256) Fetch(string indexUrl, string url, string? sha256, string name)
    {
        var index = Allowed(indexUrl);
        var file = PackageLocation.Parse(url, "the file URL");
        if (!Under(file, index, sameHostOnly: true))
            throw new PyodideException(PyodideErrorKind.IO,
                $"package {name}: the index {index} lists {url}, which is not on the index's host; refused");
        if (sha256 != null && !PackageNames.IsSha256(sha256))
            throw new PyodideException(PyodideErrorKind.IO, $"package {name}: the index gives '{sha256}' as the sha256 of {url}");
        string path = packages.Cache.Fetch(name, file, sha256?.ToLowerInvariant(),
                                           u => Messages?.Invoke($"Downloading {name} from {u}"), PolicyFor(index, MaxWheelBytes));
        return (file, path, sha256?.ToLowerInvariant() ?? PackageCache.HashFile(path, name));
    }

    /// <summary>The METADATA of a wheel an index lists (the file is downloaded once, into the cache).</summary>
    private string Metadata(string indexUrl, string url, string sha256, string name)
    {
        var (_, path, actual) = Fetch(indexUrl, url, sha256.Length == 0 ? null : sha256, name);
        _hashes[url] = actual;
        try
        {
            using var archive = ZipFile.OpenRead(path);
            var entry = archive.Entries.SingleOrDefault(e =>
                            e.FullName.EndsWith(".dist-info/METADATA", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                        ?? throw new PyodideException(PyodideErrorKind.IO, $"package {name}: {url} has no .dist-info/METADATA");
            if (entry.Length > MaxMetadataBytes)
                throw new PyodideException(PyodideErrorKind.IO, $"package {name}: the METADATA of {url} is larger than {MaxMetadataBytes} bytes");
            using var reader = new StreamReader(entry.Open(), new UTF8Encoding(false, true));
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or DecoderFallbackException)
        {
            throw new PyodideException(PyodideErrorKind.IO, $"package {name}: {url} is not a valid wheel: {e.Message}", e);
        }
    }

    private string LockEntry(string name)
    {
        var entry = packages.LockEntry(name);
        if (entry == null) return "null";
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("version", entry.Version);
            w.WriteString("file_name", entry.FileName);
            w.WritePropertyName("depends");
            Strings(w, entry.Depends);
            w.WriteEndObject();
        });
    }

    /// <summary>Installs what micropip resolved: JSON [{name, lock, index, url, sha256}].</summary>
    private object? Install(string planJson)
    {
        var plan = new List<PackageManager.Planned>();
        using (var document = JsonDocument.Parse(planJson))
        {
            foreach (var item in document.RootElement.EnumerateArray())
            {
                string name = item.GetProperty("name").GetString()!;
                if (item.GetProperty("lock").GetBoolean())
                {
                    var entry = packages.LockEntry(name)
                                ?? throw new ArgumentException($"'{name}' is not in the lock-file index");
                    plan.Add(packages.FromLock(entry));
                    continue;
                }
                string url = item.GetProperty("url").GetString()!;
                string? sha256 = item.GetProperty("sha256").GetString() ?? _hashes.GetValueOrDefault(url);
                var (file, _, actual) = Fetch(item.GetProperty("index").GetString()!, url, sha256, name);
                plan.Add(new PackageManager.Planned(name, file, actual, file.FileName));
            }
        }
        packages.InstallResolved(plan, Messages ?? (_ => { }), PackageHttp.Default);
        return null;
    }

    private static List<string> ParseStrings(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
    }

    private static void Strings(Utf8JsonWriter w, IEnumerable<string> items)
    {
        w.WriteStartArray();
        foreach (string item in items) w.WriteStringValue(item);
        w.WriteEndArray();
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
