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
    private const long TagMask = ~((1L << 48) - 1);

    // A slot's object and the generation its live token carries. Lookups read them
    // without the lock, which only Add and Remove take: every C call looks its
    // handles up, and a lock's two thread-id reads and two atomic operations were
    // a tenth of a pyproxy_call. A lookup racing a Remove of the same token (a
    // caller's bug) gets the removed object, or nothing; never another slot's.
    private struct Entry
    {
        public T? Item;
        public uint Generation;
    }

    private readonly long _tag;
    private readonly string _typeName;
    private readonly Lock _gate = new();
    private Entry[] _entries = new Entry[64];
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
                if (_used == _entries.Length)
                {
                    if (_used > IndexMask) throw new OutOfMemoryException($"too many live {_typeName} handles");
                    var grown = new Entry[_used * 2];
                    Array.Copy(_entries, grown, _used);
                    Volatile.Write(ref _entries, grown);
                    Array.Resize(ref _freeList, _used * 2);
                }
                index = _used++;
            }
            ref Entry entry = ref _entries[index];
            Volatile.Write(ref entry.Item, item);
            Count++;
            return (nint)(_tag | ((long)entry.Generation << IndexBits) | (long)index);
        }
    }

    /// <summary>The object behind a token, or an <see cref="ArgumentException"/> that
    /// says what is wrong with it (NULL, not this type, destroyed).</summary>
    public T Get(nint token, string what)
    {
        var item = TryGet(token);
        if (item != null) return item;
        if (token == 0) throw new ArgumentException($"{what} is NULL");
        if (((long)token & TagMask) != _tag) throw new ArgumentException($"{what} is not a {_typeName}");
        throw new ArgumentException($"{what} was already destroyed");
    }

    /// <summary>Like <see cref="Get"/>, but returns null instead of throwing.</summary>
    public T? TryGet(nint token)
    {
        long value = token;
        if ((value & TagMask) != _tag) return null;
        long index = value & IndexMask;
        uint generation = (uint)((value >> IndexBits) & GenerationMask);
        var entries = Volatile.Read(ref _entries);
        if (index >= entries.Length) return null;
        ref Entry entry = ref entries[index];
        // Remove changes the generation before it clears the object: an object read
        // between two reads of the token's generation was that token's.
        if (Volatile.Read(ref entry.Generation) != generation) return null;
        T? item = Volatile.Read(ref entry.Item);
        return Volatile.Read(ref entry.Generation) == generation ? item : null;
    }

    /// <summary>Removes and returns the object behind a token; null if the token is not live.</summary>
    public T? Remove(nint token)
    {
        lock (_gate)
        {
            T? item = TryGet(token);
            if (item == null) return null;
            int index = (int)((long)token & IndexMask);
            ref Entry entry = ref _entries[index];
            Volatile.Write(ref entry.Generation, (uint)((entry.Generation + 1) & GenerationMask));
            Volatile.Write(ref entry.Item, null);
            _freeList[_freeCount++] = index;
            Count--;
            return item;
        }
    }
}
