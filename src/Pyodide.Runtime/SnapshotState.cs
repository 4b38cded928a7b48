using System.Buffers.Binary;
using System.Text;

namespace Pyodide;

/// <summary>What a snapshot file carries besides the interpreter's memory: the runtime's
/// own directories (<see cref="RuntimeHomes"/>: Python's /, with /home/pyodide, /tmp, the
/// files Python wrote and loaded packages' site-packages; a runtime with mounts is not
/// saved) and the packages the host loaded. Written into the file's extra section (whose
/// checksum the file checks) as: u32 package count, then {name, source, sha256} each; then
/// entries {u8 kind (1 directory, 2 file), path relative to / with '/' separators, and for
/// a file u64 length and its bytes}, ended by kind 0. Strings are u32 length + UTF-8.
/// Reading checks every path stays inside the new runtime's directory.</summary>
internal static class SnapshotState
{
    private const byte End = 0, DirectoryEntry = 1, FileEntry = 2;

    public static byte[] Write(IReadOnlyDictionary<string, (string Source, string Sha256)> packages, string root)
    {
        using var buffer = new MemoryStream();
        using var writer = new BinaryWriter(buffer, Encoding.UTF8);
        writer.Write((uint)packages.Count);
        foreach (var (name, (source, sha256)) in packages.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            WriteString(writer, name);
            WriteString(writer, source);
            WriteString(writer, sha256);
        }
        WriteDirectory(writer, root, "");
        writer.Write(End);
        writer.Flush();
        return buffer.ToArray();
    }

    private static void WriteDirectory(BinaryWriter writer, string directory, string relative)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            string path = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            if (entry.LinkTarget != null)
                throw new InvalidOperationException($"Python's files include a symbolic link, /{path}, which a snapshot does not carry: remove it before saving");
            if (entry is DirectoryInfo)
            {
                writer.Write(DirectoryEntry);
                WriteString(writer, path);
                WriteDirectory(writer, entry.FullName, path);
            }
            else if (entry is FileInfo file && (file.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) == 0)
            {
                writer.Write(FileEntry);
                WriteString(writer, path);
                byte[] bytes = File.ReadAllBytes(file.FullName);
                writer.Write((ulong)bytes.Length);
                writer.Write(bytes);
            }
            else
            {
                throw new InvalidOperationException($"/{path} is not a regular file or directory, which a snapshot does not carry");
            }
        }
    }

    private static void WriteString(BinaryWriter writer, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        writer.Write((uint)bytes.Length);
        writer.Write(bytes);
    }

    /// <summary>Recreates the saved files in <paramref name="root"/> (a new runtime's, holding
    /// only <see cref="RuntimeHomes.Shape"/>) and returns the saved packages. An IO error for
    /// anything malformed.</summary>
    public static List<(string Name, string Source, string Sha256)> Read(ReadOnlySpan<byte> state, string root, string path)
    {
        var packages = new List<(string, string, string)>();
        if (state.IsEmpty) return packages;
        var reader = new Reader(state, path);
        uint count = reader.U32();
        for (uint i = 0; i < count; i++) packages.Add((reader.String(), reader.String(), reader.String()));
        root = Path.GetFullPath(root);
        while (true)
        {
            byte kind = reader.Byte();
            if (kind == End) break;
            string relative = reader.String();
            string target = Target(root, relative, path);
            try
            {
                if (kind == DirectoryEntry)
                {
                    Directory.CreateDirectory(target);
                }
                else if (kind == FileEntry)
                {
                    var bytes = reader.Bytes(reader.U64());
                    using var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
                    file.Write(bytes);
                }
                else
                {
                    throw Damaged(path, $"has an unknown file entry kind {kind}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new PyodideException(PyodideErrorKind.IO, $"cannot recreate /{relative} from the snapshot {path}: {e.Message}", e);
            }
        }
        if (!reader.AtEnd) throw Damaged(path, "has data after its files");
        return packages;
    }

    /// <summary>Where a saved relative path goes under <paramref name="root"/>; refuses
    /// absolute paths, '..' and empty segments, which no saved file has.</summary>
    private static string Target(string root, string relative, string path)
    {
        var parts = relative.Split('/');
        if (relative.Length == 0 || parts.Any(p => p.Length == 0 || p == "." || p == ".." || p.Contains('\\') || p.Contains('\0')))
            throw Damaged(path, $"has an invalid file path '{relative}'");
        string target = Path.GetFullPath(Path.Combine([root, .. parts]));
        if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw Damaged(path, $"has a file path outside its directory '{relative}'");
        return target;
    }

    private static PyodideException Damaged(string path, string what) => new(PyodideErrorKind.IO, $"the snapshot {path} {what}");

    private ref struct Reader
    {
        private ReadOnlySpan<byte> _rest;
        private readonly string _path;

        public Reader(ReadOnlySpan<byte> data, string path)
        {
            _rest = data;
            _path = path;
        }

        public readonly bool AtEnd => _rest.IsEmpty;

        public ReadOnlySpan<byte> Bytes(ulong length)
        {
            if (length > (ulong)_rest.Length) throw Damaged(_path, "has a truncated runtime state");
            var bytes = _rest[..(int)length];
            _rest = _rest[(int)length..];
            return bytes;
        }

        public byte Byte() => Bytes(1)[0];
        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));
        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));

        public string String()
        {
            var bytes = Bytes(U32());
            if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw Damaged(_path, "has a string that is not UTF-8");
            return Encoding.UTF8.GetString(bytes);
        }
    }
}
