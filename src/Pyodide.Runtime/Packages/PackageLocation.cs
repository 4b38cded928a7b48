namespace Pyodide.Packages;

/// <summary>Where a package file or an index lives: a local path (absolute) or an
/// http(s) URL. <c>file://</c> URLs become local paths.</summary>
internal sealed class PackageLocation
{
    private PackageLocation(Uri? http, string? path)
    {
        Http = http;
        LocalPath = path;
    }

    /// <summary>The URL, for http(s) locations.</summary>
    public Uri? Http { get; }

    /// <summary>The absolute path, for local locations.</summary>
    public string? LocalPath { get; }

    public bool IsLocal => LocalPath != null;

    /// <summary>The URL or the path, as messages and <c>LoadedPackages</c> show it.</summary>
    public override string ToString() => Http?.AbsoluteUri ?? LocalPath!;

    /// <summary>Whether <paramref name="text"/> names something by URL (has a scheme),
    /// rather than by path. A Windows drive letter (<c>C:\</c>) is not a scheme.</summary>
    public static bool HasScheme(string text)
    {
        int colon = text.IndexOf("://", StringComparison.Ordinal);
        return colon > 1 && text.AsSpan(0, colon).IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") < 0;
    }

    /// <summary>A location from a URL (http, https, file) or a path (relative paths are
    /// taken from the current directory).</summary>
    /// <exception cref="ArgumentException">Another scheme, or not a valid URL or path.</exception>
    public static PackageLocation Parse(string text, string what)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException($"{what} is empty");
        if (text.Contains('\0')) throw new ArgumentException($"{what} contains a NUL character");
        if (HasScheme(text))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
                throw new ArgumentException($"{what} '{text}' is not a valid URL");
            if (uri.Scheme is "http" or "https") return new PackageLocation(uri, null);
            if (uri.IsFile) return new PackageLocation(null, Path.GetFullPath(uri.LocalPath));
            throw new ArgumentException($"{what} '{text}': only http, https and file URLs or local paths are supported");
        }
        try
        {
            return new PackageLocation(null, Path.GetFullPath(text));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"{what} '{text}' is not a valid path: {e.Message}");
        }
    }

    /// <summary>A directory location (for URLs: with a trailing slash, so relative names
    /// resolve inside it).</summary>
    public static PackageLocation Directory(PackageLocation location)
    {
        if (location.Http is { } uri)
        {
            var builder = new UriBuilder(uri) { Query = "", Fragment = "" };
            if (!builder.Path.EndsWith('/')) builder.Path += "/";
            return new PackageLocation(builder.Uri, null);
        }
        return location;
    }

    /// <summary>The directory holding this file.</summary>
    public PackageLocation Parent()
    {
        if (Http is { } uri) return new PackageLocation(new Uri(uri, "."), null);
        return new PackageLocation(null, Path.GetDirectoryName(LocalPath) ?? LocalPath);
    }

    /// <summary><paramref name="name"/> relative to this directory, unless it is itself
    /// a URL or an absolute path.</summary>
    public PackageLocation Resolve(string name, string what)
    {
        if (HasScheme(name)) return Parse(name, what);
        if (Http is { } uri)
        {
            if (!Uri.TryCreate(uri, name, out var resolved) || resolved.Scheme is not ("http" or "https"))
                throw new PyodideException(PyodideErrorKind.IO, $"{what} '{name}' does not resolve to a URL under {uri}");
            return new PackageLocation(resolved, null);
        }
        return new PackageLocation(null, Path.GetFullPath(Path.Combine(LocalPath!, name)));
    }

    /// <summary>The last path segment (a file name), without query or fragment.</summary>
    public string FileName =>
        Http is { } uri ? Uri.UnescapeDataString(uri.Segments.Length > 0 ? uri.Segments[^1] : "") : Path.GetFileName(LocalPath!);
}
