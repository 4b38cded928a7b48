using Pyodide.Operations;

namespace Pyodide;

/// <summary>A Python object's buffer, seen in place: no copy is made, host writes are
/// visible to Python and Python's to the host. The memory stays put while the buffer
/// is held (linear memory never moves), and Python's rules apply meanwhile (a held
/// bytearray cannot resize). Spans obtained from it must not outlive
/// <see cref="Dispose"/> or the runtime.</summary>
public sealed unsafe class PyBuffer : IDisposable
{
    private readonly PyodideRuntime _runtime;
    private readonly BufferGeometry _g;
    private readonly byte* _base;
    private uint _handle;

    internal PyBuffer(PyodideRuntime runtime, uint handle, BufferGeometry geometry, byte* memoryBase)
    {
        _runtime = runtime;
        _handle = handle;
        _g = geometry;
        _base = memoryBase;
    }

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int NDim => _g.NDim;
    /// <summary>Bytes per element.</summary>
    public int ItemSize => _g.ItemSize;
    /// <summary>Elements per dimension.</summary>
    public IReadOnlyList<long> Shape => _g.Shape;
    /// <summary>Elements between neighbours in each dimension (Pyodide's strides).</summary>
    public IReadOnlyList<long> Strides => _g.Strides;
    /// <summary>Bytes between neighbours in each dimension (Python's strides).</summary>
    public IReadOnlyList<long> ByteStrides => _g.ByteStrides;
    /// <summary>The struct-module format, e.g. "d", "&lt;i", "B".</summary>
    public string Format => _g.Format;
    /// <summary>Whether Python forbids writing.</summary>
    public bool ReadOnly => _g.ReadOnly;
    /// <summary>Row-major contiguous.</summary>
    public bool CContiguous => _g.CContiguous;
    /// <summary>Column-major contiguous.</summary>
    public bool FContiguous => _g.FContiguous;
    /// <summary>Bytes of the memory segment the buffer spans, from <see cref="Data"/>.</summary>
    public long ByteCount => (long)_g.ByteCount;
    /// <summary>Element index of [0, ..., 0] counted from <see cref="Data"/>.</summary>
    public long Offset => _g.Offset;

    /// <summary>The lowest address the buffer spans.</summary>
    public nint Data => (nint)Pointer(_g.DataAddress);
    /// <summary>The address of element [0, ..., 0].</summary>
    public nint First => (nint)Pointer(_g.FirstAddress);

    /// <summary>The whole buffer as elements of <typeparamref name="T"/>; it must be
    /// C-contiguous and writable.</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (_g.ReadOnly) throw new InvalidOperationException("the buffer is read-only; use AsReadOnlySpan");
        return new Span<T>(Contiguous<T>(), (int)((long)_g.ByteCount / sizeof(T)));
    }

    /// <summary>The whole buffer as read-only elements of <typeparamref name="T"/>; it must be C-contiguous.</summary>
    public ReadOnlySpan<T> AsReadOnlySpan<T>() where T : unmanaged =>
        new(Contiguous<T>(), (int)((long)_g.ByteCount / sizeof(T)));

    private byte* Contiguous<T>() where T : unmanaged
    {
        byte* data = Pointer(_g.DataAddress);
        if (!_g.CContiguous) throw new InvalidOperationException("the buffer is not contiguous; use Get/Set with indices");
        if ((long)_g.ByteCount % sizeof(T) != 0)
            throw new InvalidOperationException($"{_g.ByteCount} bytes are not a whole number of {typeof(T).Name}");
        if (_g.ByteCount / (ulong)sizeof(T) > int.MaxValue) throw new InvalidOperationException("the buffer is too large for a span");
        return data;
    }

    /// <summary>The element at <paramref name="index"/> (one index per dimension), for any layout.</summary>
    public T Get<T>(params ReadOnlySpan<long> index) where T : unmanaged => *Element<T>(index);

    /// <summary>Writes the element at <paramref name="index"/>.</summary>
    public void Set<T>(T value, params ReadOnlySpan<long> index) where T : unmanaged
    {
        if (_g.ReadOnly) throw new InvalidOperationException("the buffer is read-only");
        *Element<T>(index) = value;
    }

    private T* Element<T>(ReadOnlySpan<long> index) where T : unmanaged
    {
        if (sizeof(T) != _g.ItemSize) throw new ArgumentException($"{typeof(T).Name} is {sizeof(T)} bytes; the items are {_g.ItemSize}");
        if (index.Length != _g.NDim) throw new ArgumentException($"{index.Length} indices for {_g.NDim} dimensions");
        long offset = 0;
        for (int d = 0; d < index.Length; d++)
        {
            if ((ulong)index[d] >= (ulong)_g.Shape[d]) throw new IndexOutOfRangeException($"index {index[d]} of dimension {d} (size {_g.Shape[d]})");
            offset += index[d] * _g.ByteStrides[d];
        }
        return (T*)(Pointer(_g.FirstAddress) + offset);
    }

    private byte* Pointer(uint address)
    {
        if (_handle == 0) throw new ObjectDisposedException(nameof(PyBuffer), "the buffer was released");
        if (_runtime.IsDisposed) throw new ObjectDisposedException(nameof(PyBuffer), "the runtime of this buffer was destroyed");
        return _base + address;
    }

    /// <summary>Ends the export. Idempotent.</summary>
    public void Dispose()
    {
        uint handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0) GuestOps.Release(_runtime, handle);
    }
}
