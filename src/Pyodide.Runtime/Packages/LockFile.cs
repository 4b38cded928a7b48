using System.Text.Json;

namespace Pyodide.Packages;

/// <summary>One package of a lock file. <c>Name</c> is the normalized name (the key),
/// <c>DisplayName</c> the entry's own <c>name</c>, <c>FileName</c> the wheel relative to
/// the index (or a URL), <c>Sha256</c> lowercase hex, <c>InstallDir</c> <c>site</c> (the
/// default), <c>stdlib</c> or <c>dynlib</c>; <c>Depends</c> are normalized names.</summary>
internal sealed record LockEntry(
    string Name, string DisplayName, string Version, string FileName, string Sha256, string InstallDir,
    IReadOnlyList<string> Depends, IReadOnlyList<string> Imports);

/// <summary>Pyodide's <c>pyodide-lock.json</c> (the <c>repodata.json</c> of older
/// releases has the same shape): <c>{"info": {...}, "packages": {name: entry}}</c>.
/// Parsed and checked as a whole, so a malformed file fails before anything loads.</summary>
internal sealed class LockFile
{
    private LockFile(Dictionary<string, LockEntry> packages, Dictionary<string, string> imports)
    {
        Packages = packages;
        ImportToPackage = imports;
    }

    /// <summary>Normalized name → entry.</summary>
    public IReadOnlyDictionary<string, LockEntry> Packages { get; }

    /// <summary>Top-level import name → normalized package name (the first package
    /// that lists it).</summary>
    public IReadOnlyDictionary<string, string> ImportToPackage { get; }

    /// <exception cref="PyodideException">IO: not JSON, or not a lock file.</exception>
    public static LockFile Parse(ReadOnlySpan<byte> json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions
            {
                AllowTrailingCommas = false,
                CommentHandling = JsonCommentHandling.Disallow,
                MaxDepth = 64,
            });
            return FromJson(document.RootElement);
        }
        catch (JsonException e)
        {
            throw Malformed(source, $"not valid JSON: {e.Message}");
        }
        catch (FormatException e)
        {
            throw Malformed(source, e.Message);
        }
    }

    private static PyodideException Malformed(string source, string problem) =>
        new(PyodideErrorKind.IO, $"the lock file {source} is malformed: {problem}");

    private static LockFile FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the top level is not an object");
        if (root.TryGetProperty("info", out var info) && info.ValueKind != JsonValueKind.Object)
            throw new FormatException("\"info\" is not an object");
        if (!root.TryGetProperty("packages", out var packages)) throw new FormatException("it has no \"packages\" object");
        if (packages.ValueKind != JsonValueKind.Object) throw new FormatException("\"packages\" is not an object");

        var entries = new Dictionary<string, LockEntry>(StringComparer.Ordinal);
        foreach (var property in packages.EnumerateObject())
        {
            string key = PackageNames.Normalize(property.Name);
            if (key.Length == 0) throw new FormatException("a package has an empty name");
            var e = property.Value;
            string where = $"packages[\"{property.Name}\"]";
            if (e.ValueKind != JsonValueKind.Object) throw new FormatException($"{where} is not an object");
            string displayName = OptionalString(e, "name", where) ?? property.Name;
            string version = OptionalString(e, "version", where) ?? "";
            string fileName = OptionalString(e, "file_name", where) ?? throw new FormatException($"{where} has no \"file_name\"");
            if (fileName.Length == 0) throw new FormatException($"{where}.file_name is empty");
            string sha = OptionalString(e, "sha256", where) ?? throw new FormatException($"{where} has no \"sha256\"");
            if (!PackageNames.IsSha256(sha)) throw new FormatException($"{where}.sha256 '{sha}' is not 64 hexadecimal digits");
            string installDir = OptionalString(e, "install_dir", where) ?? "site";
            var depends = StringList(e, "depends", where).Select(PackageNames.Normalize).ToList();
            var imports = StringList(e, "imports", where);
            if (!entries.TryAdd(key, new LockEntry(key, displayName, version, fileName, sha.ToLowerInvariant(), installDir, depends, imports)))
                throw new FormatException($"the package name '{key}' appears twice");
        }
        var importMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries.Values)
        {
            foreach (string dep in entry.Depends)
                if (!entries.ContainsKey(dep))
                    throw new FormatException($"{entry.Name} depends on '{dep}', which is not in \"packages\"");
            foreach (string import in entry.Imports) importMap.TryAdd(import, entry.Name);
        }
        return new LockFile(entries, importMap);
    }

    private static string? OptionalString(JsonElement e, string name, string where)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw new FormatException($"{where}.{name} is not a string");
        return value.GetString()!;
    }

    private static List<string> StringList(JsonElement e, string name, string where)
    {
        var list = new List<string>();
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return list;
        if (value.ValueKind != JsonValueKind.Array) throw new FormatException($"{where}.{name} is not a list");
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw new FormatException($"{where}.{name} holds a non-string");
            list.Add(item.GetString()!);
        }
        return list;
    }
}
