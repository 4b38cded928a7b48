using System.Runtime.CompilerServices;

namespace Pyodide.Guest;

/// <summary>Lays out host values in guest memory: slots first, then the bytes they
/// point at. Codecs measure a value, ask <see cref="GuestInstance.BeginInput"/> (or a
/// host function's <see cref="GuestInstance.AnswerWriter"/>) for that much room, then
/// write. A writer may have a separate first slot: a host function's answer slot,
/// which lives on the guest's stack while the rest goes into a block.</summary>
internal unsafe ref struct SlotWriter
{
    private readonly byte* _host;
    private readonly uint _guest;
    private readonly int _slotBytes;
    private readonly int _totalBytes;
    private readonly byte* _firstHost;
    private readonly uint _firstGuest;
    private bool _firstTaken;
    private readonly GuestInstance? _transferTo;
    private int _nextSlot;
    private int _nextByte;

    internal SlotWriter(byte* host, uint guest, int slotCount, int byteCount)
        : this(null, 0, host, guest, slotCount, byteCount)
    {
    }

    /// <summary>A writer whose first one-slot reservation is <paramref name="firstHost"/>.</summary>
    internal SlotWriter(byte* firstHost, uint firstGuest, byte* host, uint guest, int slotCount, int byteCount,
                        GuestInstance? transferTo = null)
    {
        _transferTo = transferTo;
        _firstHost = firstHost;
        _firstGuest = firstGuest;
        _firstTaken = firstHost == null;
        _host = host;
        _guest = guest;
        _slotBytes = slotCount * Slot.Size;
        _totalBytes = _slotBytes + byteCount;
        _nextByte = _slotBytes;
    }

    /// <summary>The next <paramref name="count"/> slots, contiguous.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Slot* ReserveSlots(int count, out uint guestAddress)
    {
        if (!_firstTaken && count == 1)
        {
            _firstTaken = true;
            guestAddress = _firstGuest;
            return (Slot*)_firstHost;
        }
        int size = count * Slot.Size;
        if (_nextSlot + size > _slotBytes) throw new InvalidOperationException("input was measured too small (slots)");
        guestAddress = _guest + (uint)_nextSlot;
        var slots = (Slot*)(_host + _nextSlot);
        _nextSlot += size;
        return slots;
    }

    /// <summary>The host address of a slot this writer reserved.</summary>
    public Slot* HostSlot(uint guestAddress)
    {
        if (_firstHost != null && guestAddress == _firstGuest) return (Slot*)_firstHost;
        long offset = (long)guestAddress - _guest;
        if (offset < 0 || offset + Slot.Size > _slotBytes) throw new ArgumentOutOfRangeException(nameof(guestAddress));
        return (Slot*)(_host + offset);
    }

    /// <summary>The handle to put in a HANDLE slot for the object behind <paramref name="handle"/>:
    /// the handle itself for input the guest only borrows, a second handle for a host
    /// function's answer, which the guest takes over (the caller's may be released first).</summary>
    public uint HandleSlot(uint handle) => _transferTo == null ? handle : _transferTo.Dup(handle);

    /// <summary>A slot this writer reserved, by guest address.</summary>
    public ref Slot SlotAt(uint guestAddress) => ref *HostSlot(guestAddress);

    /// <summary>Room for <paramref name="count"/> payload bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> ReserveBytes(int count, out uint guestAddress)
    {
        if (_nextByte + count > _totalBytes) throw new InvalidOperationException("input was measured too small (bytes)");
        guestAddress = _guest + (uint)_nextByte;
        var span = new Span<byte>(_host + _nextByte, count);
        _nextByte += count;
        return span;
    }
}
