namespace Pyodide.Native;

/// <summary>Maps the opaque pointers the C ABI hands out (<c>pyodide_t*</c>,
/// <c>pyproxy_t*</c>, <c>pyodide_error_t*</c>) to managed objects. A token is
/// never dereferenced: it encodes a type tag (bits 48–63, never set in a real
/// user-space pointer), a generation (bits 28–47) and a slot index (bits 0–27),
/// so NULL, a stale token after destroy, a token of another type or a random
/// pointer are each recognised and reported instead of crashing.</summary>
internal sealed class HandleTable<T> where T : class
{
    private const int IndexBits = 28;
    private const int GenerationBits = 20;
    private const long IndexMask = (1L << IndexBits) - 1;
    private const long GenerationMask = (1L << GenerationBits) - 1;

    private readonly long _tag;
    private readonly string _typeName;
    private readonly Lock _gate = new();
    private T?[] _items = new T?[64];
    private uint[] _generations = new uint[64];
    private int[] _freeList = new int[64];
    private int _freeCount;
    private int _used;

    public HandleTable(ushort tag, string typeName)
    {
        _tag = (long)tag << 48;
        _typeName = typeName;
    }

    public int Count { get; private set; }

    public nint Add(T item)
    {
        lock (_gate)
        {
            int index;
            if (_freeCount > 0)
            {
                index = _freeList[--_freeCount];
            }
            else
            {
                if (_used == _items.Length)
                {
                    if (_used > IndexMask) throw new OutOfMemoryException($"too many live {_typeName} handles");
                    Array.Resize(ref _items, _used * 2);
                    Array.Resize(ref _generations, _used * 2);
                    Array.Resize(ref _freeList, _used * 2);
                }
                index = _used++;
            }
            _items[index] = item;
            Count++;
            return (nint)(_tag | ((long)_generations[index] << IndexBits) | (long)index);
        }
    }

    /// <summary>The object behind a token, or an <see cref="ArgumentException"/> that
    /// says what is wrong with it (NULL, not this type, destroyed).</summary>
    public T Get(nint token, string what)
    {
        lock (_gate)
        {
            return _items[Find(token, what)]!;
        }
    }

    /// <summary>Like <see cref="Get"/>, but returns null instead of throwing.</summary>
    public T? TryGet(nint token)
    {
        lock (_gate)
        {
            int index = Locate(token);
            return index < 0 ? null : _items[index];
        }
    }

    /// <summary>Removes and returns the object behind a token; null if the token is not live.</summary>
    public T? Remove(nint token)
    {
        lock (_gate)
        {
            int index = Locate(token);
            if (index < 0) return null;
            T item = _items[index]!;
            _items[index] = null;
            _generations[index] = (uint)((_generations[index] + 1) & GenerationMask);
            _freeList[_freeCount++] = index;
            Count--;
            return item;
        }
    }

    private int Find(nint token, string what)
    {
        if (token == 0) throw new ArgumentException($"{what} is NULL");
        int index = Locate(token);
        if (index >= 0) return index;
        if (((long)token & ~((1L << 48) - 1)) != _tag) throw new ArgumentException($"{what} is not a {_typeName}");
        throw new ArgumentException($"{what} was already destroyed");
    }

    private int Locate(nint token)
    {
        long value = token;
        if ((value & ~((1L << 48) - 1)) != _tag) return -1;
        long index = value & IndexMask;
        long generation = (value >> IndexBits) & GenerationMask;
        if (index >= _used || _items[index] == null || _generations[index] != generation) return -1;
        return (int)index;
    }
}
