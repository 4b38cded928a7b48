using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pyodide.Tests;

/// <summary>Builds wheels (zip files) for the package tests, including broken ones.</summary>
internal static class Wheels
{
    /// <summary>A file entry, or (with <paramref name="SymlinkTo"/>) a symbolic link entry.</summary>
    public sealed record Entry(string Name, string Content = "", string? SymlinkTo = null);

    /// <summary>Writes a wheel; returns its sha256 (lowercase hex).</summary>
    public static string Write(string path, IEnumerable<Entry> entries)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var e in entries)
            {
                var entry = archive.CreateEntry(e.Name);
                if (e.SymlinkTo != null) entry.ExternalAttributes = unchecked((int)(0xA1FFu << 16));
                else if (!e.Name.EndsWith('/')) entry.ExternalAttributes = unchecked((int)(0x81A4u << 16)); // -rw-r--r--
                using var s = entry.Open();
                s.Write(Encoding.UTF8.GetBytes(e.SymlinkTo ?? e.Content));
            }
        }
        return Sha256(path);
    }

    /// <summary>A plain pure-Python wheel of module <paramref name="module"/> (plus a dist-info).</summary>
    public static string WritePure(string path, string module, string source, params Entry[] extra)
    {
        string dist = Path.GetFileName(path).Split('-')[0] + "-" + Path.GetFileName(path).Split('-')[1] + ".dist-info";
        var entries = new List<Entry>
        {
            new($"{module}.py", source),
            new($"{dist}/METADATA", $"Metadata-Version: 2.1\nName: {module}\nVersion: {Path.GetFileName(path).Split('-')[1]}\n"),
            new($"{dist}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
        };
        entries.AddRange(extra);
        return Write(path, entries);
    }

    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}

internal static class Site
{
    /// <summary>Every file under the runtime's site-packages, relative.</summary>
    public static List<string> Files(PyodideRuntime py) =>
        Directory.Exists(py.SitePackagesDirectory)
            ? Directory.EnumerateFileSystemEntries(py.SitePackagesDirectory, "*", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(py.SitePackagesDirectory, p)).ToList()
            : [];
}

/// <summary>A package index in a temporary directory: wheels plus pyodide-lock.json.</summary>
internal sealed class TestIndex
{
    private readonly JsonObject _packages = new();

    public TestIndex(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Directory { get; }

    /// <summary>Adds package <paramref name="name"/>: a wheel holding <c>{module}.py</c>
    /// with <paramref name="source"/>; returns the wheel's file name.</summary>
    public string Add(string name, string module, string source, string[]? depends = null, string[]? imports = null,
                      string? sha256 = null, string version = "1.0")
    {
        string fileName = $"{name.Replace('-', '_')}-{version}-py3-none-any.whl";
        string sha = Wheels.WritePure(Path.Combine(Directory, fileName), module, source);
        AddEntry(name, fileName, sha256 ?? sha, depends, imports ?? [module], version);
        return fileName;
    }

    /// <summary>Adds an entry for a wheel written by the caller.</summary>
    public void AddEntry(string name, string fileName, string sha256, string[]? depends = null, string[]? imports = null,
                         string version = "1.0")
    {
        var entry = new JsonObject
        {
            ["name"] = name,
            ["version"] = version,
            ["file_name"] = fileName,
            ["install_dir"] = "site",
            ["sha256"] = sha256,
            ["package_type"] = "package",
            ["imports"] = new JsonArray((imports ?? []).Select(i => (JsonNode)JsonValue.Create(i)!).ToArray()),
            ["depends"] = new JsonArray((depends ?? []).Select(d => (JsonNode)JsonValue.Create(d)!).ToArray()),
        };
        _packages[name] = entry;
        Save();
    }

    private void Save()
    {
        var root = new JsonObject
        {
            ["info"] = new JsonObject { ["arch"] = "wasm32", ["platform"] = "wasi", ["version"] = "0.1.0", ["python"] = "3.11.2" },
            ["packages"] = JsonNode.Parse(_packages.ToJsonString()),
        };
        File.WriteAllText(Path.Combine(Directory, "pyodide-lock.json"), root.ToJsonString());
    }
}

/// <summary>A minimal HTTP/1.1 file server on 127.0.0.1 (a free port), serving a
/// directory under <c>/&lt;random&gt;/</c> and counting requests per file name. A
/// directory is served as its index.json when the client accepts PEP 691 JSON and
/// there is one, else its index.html, else a listing of its files (as Python's
/// http.server does); <see cref="Redirects"/> and <see cref="SlowPrefix"/> make
/// misbehaving URLs.</summary>
internal sealed class TinyHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _root;
    private readonly string _prefix = "/" + Guid.NewGuid().ToString("N") + "/";
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TinyHttpServer(string root)
    {
        _root = Path.GetFullPath(root);
        _listener.Start();
        _loop = Task.Run(AcceptLoop);
    }

    /// <summary>The index URL (with a trailing slash).</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{_prefix}";

    /// <summary>Requests per file name (the path after the prefix).</summary>
    public ConcurrentDictionary<string, int> Requests { get; } = new();

    public int RequestsFor(string file) => Requests.TryGetValue(file, out int n) ? n : 0;

    /// <summary>Name (the path after the prefix) → where a 302 sends it.</summary>
    public ConcurrentDictionary<string, string> Redirects { get; } = new();

    /// <summary>Names starting with this wait a minute before answering (an index that times out).</summary>
    public string SlowPrefix { get; set; } = "slow/";

    /// <summary>False: directories never answer with index.json (a PEP 503-only index).</summary>
    public bool ServeJson { get; set; } = true;

    private const string JsonPage = "application/vnd.pypi.simple.v1+json";

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new List<byte>();
                var one = new byte[1];
                while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
                {
                    if (await stream.ReadAsync(one) == 0) return;
                    head.Add(one[0]);
                    if (head.Count > 65536) return;
                }
                string[] lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
                string[] parts = lines[0].Split(' ');
                bool acceptsJson = lines.Any(l => l.StartsWith("Accept:", StringComparison.OrdinalIgnoreCase) && l.Contains(JsonPage));
                string path = parts.Length > 1 ? Uri.UnescapeDataString(parts[1].Split('?')[0]) : "";
                byte[] body = "not found"u8.ToArray();
                string status = "404 Not Found", type = "application/octet-stream", extra = "";
                if (parts[0] == "GET" && path.StartsWith(_prefix, StringComparison.Ordinal))
                {
                    string name = path[_prefix.Length..];
                    Requests.AddOrUpdate(name, 1, (_, n) => n + 1);
                    if (name.StartsWith(SlowPrefix, StringComparison.Ordinal)) await Task.Delay(TimeSpan.FromMinutes(1), _stop.Token);
                    string file = Path.GetFullPath(Path.Combine(_root, name));
                    bool inside = (file + Path.DirectorySeparatorChar).StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
                    if (Redirects.TryGetValue(name, out var location))
                    {
                        status = "302 Found";
                        extra = $"Location: {location}\r\n";
                    }
                    else if (inside && File.Exists(file))
                    {
                        body = File.ReadAllBytes(file);
                        status = "200 OK";
                        if (file.EndsWith(".html", StringComparison.Ordinal)) type = "text/html";
                    }
                    else if (inside && System.IO.Directory.Exists(file))
                    {
                        (body, type) = DirectoryPage(file, acceptsJson && ServeJson);
                        status = "200 OK";
                    }
                }
                string header = $"HTTP/1.1 {status}\r\nContent-Length: {body.Length}\r\nContent-Type: {type}\r\n{extra}Connection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(header));
                await stream.WriteAsync(body);
                await stream.FlushAsync();
            }
            catch (IOException)
            {
            }
            catch (SocketException)
            {
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static (byte[] Body, string Type) DirectoryPage(string directory, bool acceptsJson)
    {
        string json = Path.Combine(directory, "index.json"), html = Path.Combine(directory, "index.html");
        if (acceptsJson && File.Exists(json)) return (File.ReadAllBytes(json), JsonPage);
        if (File.Exists(html)) return (File.ReadAllBytes(html), "text/html");
        var links = System.IO.Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .Select(n => $"<li><a href=\"{Uri.EscapeDataString(n!)}\">{WebUtility.HtmlEncode(n)}</a></li>");
        return (Encoding.UTF8.GetBytes($"<html><body><ul>\n{string.Join("\n", links)}\n</ul></body></html>\n"), "text/html");
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}

/// <summary>The real-library fixture: native-tests/packages/make-fixture.sh builds a
/// local index holding Debian's python3-six repacked as a wheel (cached; fast after
/// the first run).</summary>
internal static class SixFixture
{
    private static readonly Lazy<string> Directory = new(() => Fixtures.Make("make-fixture.sh", "packages"));

    /// <summary>The index directory (build/fixtures/packages in the repository).</summary>
    public static string IndexDirectory => Directory.Value;

    /// <summary>six's version as the fixture's pyodide-lock.json gives it (it follows
    /// the pinned Debian package in make-fixture.sh).</summary>
    public static string Version
    {
        get
        {
            using var lockFile = JsonDocument.Parse(File.ReadAllText(Path.Combine(IndexDirectory, "pyodide-lock.json")));
            return lockFile.RootElement.GetProperty("packages").GetProperty("six").GetProperty("version").GetString()!;
        }
    }
}

/// <summary>micropip's test index: native-tests/packages/make-index.sh repacks pinned
/// Debian packages (attrs, idna, six, zipp, importlib-metadata, …) as wheels and adds
/// projects of its own and adversarial entries (cached; fast after the first run).</summary>
internal static class MicropipIndex
{
    private static readonly Lazy<string> Directory = new(() => Fixtures.Make("make-index.sh", "micropip-index"));

    /// <summary>The index's root: files/, simple/&lt;project&gt;/ and flat/ (build/fixtures/micropip-index).</summary>
    public static string Root => Directory.Value;
}

internal static class Fixtures
{
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "native-tests", "packages", "make-fixture.sh"))) return dir.FullName;
        throw new InvalidOperationException($"no repository root (native-tests/packages/make-fixture.sh) above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs native-tests/packages/<paramref name="script"/> into build/fixtures/<paramref name="name"/>.</summary>
    public static string Make(string script, string name)
    {
        string root = RepositoryRoot();
        string output = Path.Combine(root, "build", "fixtures", name);
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(root, "native-tests", "packages", script));
        start.ArgumentList.Add(output);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{script} did not finish within 5 minutes");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} failed (exit {process.ExitCode}):\n{stdout}{stderr.Result}");
        return output;
    }
}

/// <summary>What package tests share: runtimes loaded against a test index with a
/// private download cache, all disposed (and the temporary directory deleted) after
/// each test.</summary>
public abstract class PackageTestBase : IDisposable
{
    private protected string Temp { get; } = Directory.CreateTempSubdirectory("pyodide-package-tests-").FullName;
    private readonly List<PyodideRuntime> _runtimes = [];

    public void Dispose()
    {
        foreach (var runtime in _runtimes) runtime.Dispose();
        try { Directory.Delete(Temp, recursive: true); } catch (IOException) { }
    }

    private protected string CacheDir => Path.Combine(Temp, "cache");

    private protected PyodideRuntime Load(string? indexUrl, string? cacheDir = null)
    {
        var runtime = Runtimes.Load(new PyodideOptions
        {
            IndexUrl = indexUrl,
            PackageCacheDir = cacheDir ?? CacheDir,
            Stdout = _ => { },
            Stderr = _ => { },
        });
        _runtimes.Add(runtime);
        return runtime;
    }

    private protected TestIndex NewIndex(string name = "index") => new(Path.Combine(Temp, name));

    private protected static PyodideException ExpectIO(Action action)
    {
        var e = Assert.ThrowsAny<PyodideException>(action);
        Assert.Equal(PyodideErrorKind.IO, e.Kind);
        return e;
    }

    /// <summary>Nothing but site-packages in the home (no staging directory left behind).</summary>
    private protected static void AssertNoStaging(PyodideRuntime py) =>
        Assert.DoesNotContain(Directory.EnumerateDirectories(py.HomeDirectory), d => Path.GetFileName(d).StartsWith(".pyodide-unpack"));
}
