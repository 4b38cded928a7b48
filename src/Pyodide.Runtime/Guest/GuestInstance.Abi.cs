using Wasmtime;

namespace Pyodide.Guest;

/// <summary>The guest ABI (src/guest/README.md, "Exports") as typed methods: each makes
/// one guest call through Enter, so a trap becomes a dead runtime in one
/// place, and turns a failure status into the Python exception.</summary>
internal sealed unsafe partial class GuestInstance
{
    /// <summary><c>pyodide.eval_code</c> of UTF-8 source already in guest memory.</summary>
    public Slot* Run(uint code, uint length, uint globals) =>
        Result(Enter(_exports.Run, (int)code, (int)length, (int)globals, (int)OutAddress));

    public uint Globals() => NewHandle(Enter(_exports.Globals));

    public Slot* GetItem(uint handle, uint key) => Result(Enter(_exports.GetItem, (int)handle, (int)key, (int)OutAddress));

    public void SetItem(uint handle, uint key, uint value) => Check(Enter(_exports.SetItem, (int)handle, (int)key, (int)value));

    public void DelItem(uint handle, uint key) => Check(Enter(_exports.DelItem, (int)handle, (int)key));

    public bool Contains(uint handle, uint key) => Truth(Enter(_exports.Contains, (int)handle, (int)key));

    public ulong Length(uint handle)
    {
        Check(Enter(_exports.Length, (int)handle, (int)AuxAddress));
        return *(ulong*)Checked(AuxAddress, 8);
    }

    public Slot* TypeName(uint handle) => Result(Enter(_exports.TypeName, (int)handle, (int)OutAddress));

    public Slot* Call(uint handle, uint args, uint count) =>
        Result(Enter(_exports.Call, (int)handle, (int)args, (int)count, (int)OutAddress));

    public uint Dup(uint handle) => NewHandle(Enter(_exports.Dup, (int)handle));

    public void Release(uint handle) => Check(Enter(_exports.Release, (int)handle));

    public uint HandleCount() => (uint)Enter(_exports.HandleCount);

    public Slot* GetAttr(uint handle, uint name, uint length) =>
        Result(Enter(_exports.GetAttr, (int)handle, (int)name, (int)length, (int)OutAddress));

    public void SetAttr(uint handle, uint name, uint length, uint value) =>
        Check(Enter(_exports.SetAttr, (int)handle, (int)name, (int)length, (int)value));

    public bool HasAttr(uint handle, uint name, uint length) => Truth(Enter(_exports.HasAttr, (int)handle, (int)name, (int)length));

    public void DelAttr(uint handle, uint name, uint length) => Check(Enter(_exports.DelAttr, (int)handle, (int)name, (int)length));

    /// <summary><c>obj(*args, **kwargs)</c>; <paramref name="kwargs"/> is a DICT slot.</summary>
    public Slot* CallKw(uint handle, uint args, uint count, uint kwargs) =>
        Result(Enter(_exports.CallKw, (int)handle, (int)args, (int)count, (int)kwargs, (int)OutAddress));

    /// <summary>A new handle to <c>iter(obj)</c>.</summary>
    public uint Iter(uint handle) => NewHandle(Enter(_exports.Iter, (int)handle));

    /// <summary>One step of an iterator or generator; <paramref name="sent"/> = 0 sends None.
    /// Returns the result slot and whether the iterator is done (then the slot holds the
    /// generator's return value).</summary>
    public Slot* Next(uint handle, uint sent, out bool done)
    {
        int rc = Enter(_exports.Next, (int)handle, (int)sent, (int)OutAddress);
        if (rc < 0) throw PythonError();
        done = rc == 1;
        return OutSlot;
    }

    /// <summary>A new handle to the Python object built from the slot at <paramref name="value"/>.</summary>
    public uint ToPy(uint value) => NewHandle(Enter(_exports.ToPy, (int)value));

    /// <summary>The deep conversion of an object: a slot tree that stays valid until the next call.</summary>
    public Slot* ToJs(uint handle, int depth) => Result(Enter(_exports.ToJs, (int)handle, depth, (int)OutAddress));

    /// <summary>Exports an object's buffer; returns the handle that holds the export.</summary>
    public uint GetBuffer(uint handle, out GuestBufferInfo info)
    {
        uint export = NewHandle(Enter(_exports.GetBuffer, (int)handle, (int)AuxAddress + 16));
        info = *(GuestBufferInfo*)Checked(AuxAddress + 16, (ulong)sizeof(GuestBufferInfo));
        return export;
    }

    /// <summary>A new Python callable (as a handle) that calls host function <paramref name="id"/>.</summary>
    public uint HostFunction(uint name, uint length, uint id) => NewHandle(Enter(_exports.HostFunction, (int)name, (int)length, (int)id));

    /// <summary>Registers an empty module importable as the UTF-8 name; returns a handle to it.</summary>
    public uint HostModule(uint name, uint length) => NewHandle(Enter(_exports.HostModule, (int)name, (int)length));

    public void HostUnregister(uint name, uint length) => Check(Enter(_exports.HostUnregister, (int)name, (int)length));

    /// <summary>A new Python type for a host class named by the UTF-8 name, with the operations
    /// in <paramref name="flags"/> and <paramref name="count"/> methods (STR slots at
    /// <paramref name="methods"/>); returns its class id.</summary>
    public uint HostClass(uint name, uint length, uint flags, uint methods, uint count) =>
        NewHandle(Enter(_exports.HostClass, (int)name, (int)length, (int)flags, (int)methods, (int)count));

    /// <summary>Releases the handles among <paramref name="count"/> argument slots a host
    /// function was handed but will not read.</summary>
    public void ReleaseHandles(uint args, uint count)
    {
        var slots = (Slot*)Checked(args, (ulong)count * Slot.Size);
        for (int i = 0; i < count; i++)
            if (slots[i].Kind == SlotKind.Handle) Release(slots[i].Address);
    }

    // ---- plumbing -------------------------------------------------------------

    private Slot* Result(int status)
    {
        Check(status);
        return OutSlot;
    }

    private void Check(int status)
    {
        if (status != 0) throw PythonError();
    }

    private bool Truth(int status) => status < 0 ? throw PythonError() : status != 0;

    private uint NewHandle(int handle) => handle == 0 ? throw PythonError() : (uint)handle;

    // Each guest entry point goes through this, so a trap is turned into a dead
    // runtime in exactly one place.
    private int Enter(in GuestExport export, int a = 0, int b = 0, int c = 0, int d = 0, int e = 0)
    {
        ThrowIfDead();
        try { return _exports.Invoke(export, a, b, c, d, e); } catch (WasmtimeException x) { throw Die(x); }
    }
}
