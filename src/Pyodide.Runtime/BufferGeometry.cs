using Pyodide.Guest;

namespace Pyodide;

/// <summary>The shape of an exported buffer as the host sees it, computed once from
/// what the guest reports and shared by <see cref="PyBuffer"/> and the C ABI's
/// <c>pybuffer_t</c>. All lengths are in elements of <see cref="ItemSize"/> bytes
/// except <see cref="ByteStrides"/> and <see cref="ByteCount"/>.</summary>
internal sealed class BufferGeometry
{
    /// <summary>Element type names accepted by getBuffer(type), as in Pyodide.</summary>
    private static readonly Dictionary<string, (int Size, string Format)> Types = new()
    {
        ["i8"] = (1, "b"), ["u8"] = (1, "B"), ["u8clamped"] = (1, "B"),
        ["i16"] = (2, "<h"), ["u16"] = (2, "<H"), ["i32"] = (4, "<i"), ["u32"] = (4, "<I"),
        ["i64"] = (8, "<q"), ["u64"] = (8, "<Q"), ["f32"] = (4, "<f"), ["f64"] = (8, "<d"),
        ["dataview"] = (1, "B"),
    };

    /// <summary>Guest address of the lowest byte the buffer spans.</summary>
    public uint DataAddress;
    /// <summary>Guest address of element [0, ..., 0].</summary>
    public uint FirstAddress;
    /// <summary>Bytes from <see cref="DataAddress"/> to the end of the highest element.</summary>
    public ulong ByteCount;
    public long Offset;
    public int ItemSize;
    public long[] Shape = [];
    public long[] Strides = [];
    public long[] ByteStrides = [];
    public string Format = "B";
    public bool ReadOnly, CContiguous, FContiguous;

    public int NDim => Shape.Length;

    /// <summary>Computes the host view of a guest export, reinterpreted as
    /// <paramref name="type"/> when given.</summary>
    /// <exception cref="ArgumentException">The type is unknown or does not fit the buffer.</exception>
    public static unsafe BufferGeometry From(GuestInstance guest, in GuestBufferInfo info, string? type)
    {
        int ndim = (int)info.NDim;
        if (ndim > 64) throw new PyodideException(PyodideErrorKind.Fatal, $"the guest reported a buffer of {ndim} dimensions");
        if (info.ItemSize == 0) throw new ArgumentException("the buffer has an item size of 0");
        var g = new BufferGeometry
        {
            ItemSize = (int)info.ItemSize,
            ReadOnly = info.ReadOnly != 0,
            Format = NormalizeFormat(ReadFormat(guest, info.Format)),
            Shape = new long[ndim],
            ByteStrides = new long[ndim],
        };
        int* shape = ndim == 0 ? null : (int*)guest.Checked(info.Shape, (ulong)ndim * 4);
        int* strides = ndim == 0 || info.Strides == 0 ? null : (int*)guest.Checked(info.Strides, (ulong)ndim * 4);
        long step = g.ItemSize;
        for (int d = ndim - 1; d >= 0; d--)
        {
            g.Shape[d] = shape[d];
            g.ByteStrides[d] = strides != null ? strides[d] : step; // no strides: C order
            step *= shape[d];
        }
        g.Layout(info.Buf);
        if (type != null) g.Reinterpret(type);
        return g;
    }

    /// <summary>Derives the span, offset, element strides and contiguity from
    /// shape and byte strides, with element [0..0] at guest address <paramref name="first"/>.</summary>
    private void Layout(uint first)
    {
        long lo = 0, hi = 0;
        bool empty = false;
        foreach (long n in Shape) empty |= n == 0;
        for (int d = 0; d < NDim; d++)
        {
            if (Shape[d] == 0) continue;
            long extent = (Shape[d] - 1) * ByteStrides[d];
            if (extent < 0) lo += extent; else hi += extent;
        }
        FirstAddress = first;
        DataAddress = (uint)(first + lo);
        ByteCount = empty ? 0 : (ulong)(hi - lo + ItemSize);
        Strides = new long[NDim];
        for (int d = 0; d < NDim; d++)
        {
            if (ByteStrides[d] % ItemSize != 0)
                throw new ArgumentException($"byte stride {ByteStrides[d]} is not a multiple of the item size {ItemSize}; " +
                                            "this buffer cannot be described in elements");
            Strides[d] = ByteStrides[d] / ItemSize;
        }
        Offset = -lo / ItemSize;
        CContiguous = empty || IsContiguous(fortran: false);
        FContiguous = empty || IsContiguous(fortran: true);
    }

    private bool IsContiguous(bool fortran)
    {
        long expected = ItemSize;
        for (int i = 0; i < NDim; i++)
        {
            int d = fortran ? i : NDim - 1 - i;
            if (Shape[d] > 1 && ByteStrides[d] != expected) return false;
            expected *= Shape[d];
        }
        return true;
    }

    /// <summary>Pyodide's getBuffer(type): the same memory seen as another element type.
    /// With the same item size only the format changes; otherwise the buffer must be
    /// C-contiguous and a whole number of new elements, and becomes one-dimensional.</summary>
    private void Reinterpret(string type)
    {
        if (!Types.TryGetValue(type, out var t))
            throw new ArgumentException($"unknown buffer type '{type}' (expected one of {string.Join(", ", Types.Keys)})");
        if (t.Size == ItemSize)
        {
            Format = t.Format;
            return;
        }
        if (!CContiguous)
            throw new ArgumentException($"cannot view a non-contiguous buffer of item size {ItemSize} as '{type}' (item size {t.Size})");
        if (ByteCount % (ulong)t.Size != 0 || FirstAddress % (uint)t.Size != 0)
            throw new ArgumentException($"a buffer of {ByteCount} bytes at offset {FirstAddress % 8} (mod 8) is not a whole, aligned number of '{type}' elements");
        ItemSize = t.Size;
        Format = t.Format;
        Shape = [(long)ByteCount / t.Size];
        ByteStrides = [t.Size];
        Layout(FirstAddress);
    }

    private static unsafe string ReadFormat(GuestInstance guest, uint address)
    {
        // A struct-module format string: short, ASCII, NUL-terminated.
        var chars = new System.Text.StringBuilder();
        for (uint i = 0; i < 256; i++)
        {
            byte b = *guest.Checked(address + i, 1);
            if (b == 0) return chars.ToString();
            chars.Append((char)b);
        }
        throw new PyodideException(PyodideErrorKind.Fatal, "the guest reported an unterminated buffer format");
    }

    /// <summary>Native-size codes whose size differs between wasm32 and 64-bit hosts
    /// ('l', 'L', 'n', 'N', 'P' are 4 bytes in the guest) get their explicit
    /// little-endian standard-size spelling, so hosts never misread them.</summary>
    private static string NormalizeFormat(string format)
    {
        string code = format.StartsWith('@') ? format[1..] : format;
        return code switch
        {
            "l" or "n" => "<i",
            "L" or "N" or "P" => "<I",
            _ => format,
        };
    }
}
