using System.Text;

namespace Pyodide.Packages;

/// <summary>Package names and wheel file names.</summary>
internal static class PackageNames
{
    /// <summary>The canonical form (PEP 503, as Pyodide's lock files use it): lowercase,
    /// runs of <c>-</c>, <c>_</c> and <c>.</c> become one <c>-</c>.</summary>
    public static string Normalize(string name)
    {
        var sb = new StringBuilder(name.Length);
        bool dash = false;
        foreach (char c in name.Trim())
        {
            if (c is '-' or '_' or '.')
            {
                dash = true;
                continue;
            }
            if (dash && sb.Length > 0) sb.Append('-');
            dash = false;
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    public static bool IsSha256(string text) => text.Length == 64 && text.AsSpan().IndexOfAnyExcept("0123456789abcdefABCDEF") < 0;

    /// <summary>Whether a name given to loadPackage is a wheel (a path or URL ending in
    /// <c>.whl</c>, ignoring a <c>#sha256=</c> suffix and a URL's query or fragment)
    /// rather than a package name.</summary>
    public static bool IsWheelReference(string name)
    {
        string path = name.Trim();
        int hash = path.IndexOf("#sha256=", StringComparison.OrdinalIgnoreCase);
        if (hash >= 0) path = path[..hash];
        int cut = path.IndexOfAny(['?', '#']);
        if (cut >= 0 && PackageLocation.HasScheme(path)) path = path[..cut];
        return path.EndsWith(".whl", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The parts of <c>{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl</c>.</summary>
    public readonly record struct WheelTags(string Name, string Version, string Python, string Abi, string Platform)
    {
        /// <summary>Whether the tags promise pure Python: ABI <c>none</c>, platform <c>any</c>
        /// (each of a compressed tag set).</summary>
        public bool IsPure =>
            Abi.Split('.').All(t => t.Equals("none", StringComparison.OrdinalIgnoreCase)) &&
            Platform.Split('.').All(t => t.Equals("any", StringComparison.OrdinalIgnoreCase));

        public string Tag => $"{Python}-{Abi}-{Platform}";
    }

    /// <summary>The tags of a wheel file name, or null when it is not one.</summary>
    public static WheelTags? ParseWheel(string fileName)
    {
        if (!fileName.EndsWith(".whl", StringComparison.OrdinalIgnoreCase)) return null;
        string[] parts = fileName[..^4].Split('-');
        if (parts.Length is not (5 or 6) || parts.Any(p => p.Length == 0)) return null;
        return new WheelTags(parts[0], parts[1], parts[^3], parts[^2], parts[^1]);
    }
}
