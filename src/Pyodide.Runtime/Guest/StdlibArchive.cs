using Microsoft.Win32.SafeHandles;

namespace Pyodide.Guest;

/// <summary>The standard library's archive, <c>lib/python311.zip</c> beside python.wasm,
/// read by the host for the guest's imports (the <c>pyodide.read_stdlib</c> import): each
/// read is one <c>pread</c> on the calling thread, where a WASI read goes through Wasmtime's
/// blocking pool (20–50 µs a call here; a start that imports ten common modules makes ~120).
/// The guest sees the same file at /lib/python311.zip and checks what it reads as it checks
/// a WASI read (pyodide._zipreads). One per file, opened at its first read and kept open
/// for the process's life, as the assets are expected not to change under it.</summary>
internal sealed class StdlibArchive
{
    /// <summary>The archive's name in the assets' lib/ directory (and in the guest's /lib).</summary>
    public const string FileName = "python311.zip";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, StdlibArchive> ByPath = [];

    private readonly string _path;
    private SafeFileHandle? _handle;
    private bool _unreadable;

    private StdlibArchive(string path) => _path = path;

    /// <summary>The archive in <paramref name="libDirectory"/>, shared by every runtime of
    /// the process that loads from it.</summary>
    public static StdlibArchive In(string libDirectory)
    {
        string path = Path.Combine(libDirectory, FileName);
        lock (Gate)
        {
            if (!ByPath.TryGetValue(path, out var archive)) ByPath[path] = archive = new StdlibArchive(path);
            return archive;
        }
    }

    /// <summary>Reads up to <c>into.Length</c> bytes from <paramref name="offset"/> on (fewer at
    /// the end of the file); -1 if the archive cannot be opened or read, for the guest to
    /// read it through WASI instead.</summary>
    public int Read(long offset, Span<byte> into)
    {
        var handle = Handle();
        if (handle == null) return -1;
        try
        {
            int total = 0;
            while (total < into.Length)
            {
                int n = RandomAccess.Read(handle, into[total..], offset + total);
                if (n <= 0) break;
                total += n;
            }
            return total;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private SafeFileHandle? Handle()
    {
        // Every import's read comes here: once open, no lock (the handle never changes).
        if (Volatile.Read(ref _handle) is { } open) return open;
        lock (Gate)
        {
            if (_handle == null && !_unreadable)
            {
                try
                {
                    Volatile.Write(ref _handle, File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _unreadable = true;
                }
            }
            return _handle;
        }
    }
}
