namespace Pyodide.Guest;

/// <summary>Lays out host input in the guest's scratch buffer: slots first, then
/// the bytes they point at. Codecs measure their input, ask
/// <see cref="GuestInstance.BeginInput"/> for that much room, then write.</summary>
internal unsafe ref struct SlotWriter
{
    private readonly byte* _host;
    private readonly uint _guest;
    private readonly int _slotBytes;
    private readonly int _totalBytes;
    private int _nextSlot;
    private int _nextByte;

    internal SlotWriter(byte* host, uint guest, int slotCount, int byteCount)
    {
        _host = host;
        _guest = guest;
        _slotBytes = slotCount * Slot.Size;
        _totalBytes = _slotBytes + byteCount;
        _nextByte = _slotBytes;
    }

    /// <summary>The next <paramref name="count"/> slots, contiguous.</summary>
    public Slot* ReserveSlots(int count, out uint guestAddress)
    {
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
        long offset = (long)guestAddress - _guest;
        if (offset < 0 || offset + Slot.Size > _slotBytes) throw new ArgumentOutOfRangeException(nameof(guestAddress));
        return (Slot*)(_host + offset);
    }

    /// <summary>A slot this writer reserved, by guest address.</summary>
    public ref Slot SlotAt(uint guestAddress) => ref *HostSlot(guestAddress);

    /// <summary>Room for <paramref name="count"/> payload bytes.</summary>
    public Span<byte> ReserveBytes(int count, out uint guestAddress)
    {
        if (_nextByte + count > _totalBytes) throw new InvalidOperationException("input was measured too small (bytes)");
        guestAddress = _guest + (uint)_nextByte;
        var span = new Span<byte>(_host + _nextByte, count);
        _nextByte += count;
        return span;
    }
}
