using Pyodide.Guest;

namespace Pyodide;

/// <summary>A reference to a Python object living in a <see cref="PyodideRuntime"/>.
/// Dispose it to release the object; a proxy that is never disposed is released
/// after the garbage collector finds it.</summary>
public sealed class PyProxy : IDisposable
{
    private readonly uint _handle;
    private readonly bool _ownedByRuntime;
    private int _disposed;

    internal PyProxy(PyodideRuntime runtime, uint handle, bool ownedByRuntime = false)
    {
        Runtime = runtime;
        _handle = handle;
        _ownedByRuntime = ownedByRuntime;
        if (ownedByRuntime) GC.SuppressFinalize(this);
    }

    /// <summary>Releases the handle if the proxy was never disposed.</summary>
    ~PyProxy()
    {
        if (Volatile.Read(ref _disposed) == 0 && !Runtime.IsDisposed) Runtime.Orphan(_handle);
    }

    /// <summary>The runtime the object lives in.</summary>
    public PyodideRuntime Runtime { get; }

    /// <summary>Whether the proxy can no longer be used.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0 || Runtime.IsDisposed;

    /// <summary>The guest handle, after checking the proxy is usable in <paramref name="runtime"/>.</summary>
    internal uint HandleFor(PyodideRuntime runtime)
    {
        if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(nameof(PyProxy), "the proxy was destroyed");
        if (runtime != Runtime) throw new ArgumentException("the proxy belongs to another runtime");
        return _handle;
    }

    /// <summary><c>obj[key]</c>. A missing key raises <see cref="PythonException"/> (KeyError).</summary>
    public unsafe object? this[object? key]
    {
        get
        {
            using var call = Runtime.Enter();
            uint handle = HandleFor(Runtime);
            var writer = ManagedCodec.BeginArgs(call.Guest, key, out uint keySlot);
            ManagedCodec.Write(ref writer, Runtime, key, keySlot);
            return ManagedCodec.Read(Runtime, call.Guest, *call.Guest.GetItem(handle, keySlot));
        }
        set
        {
            using var call = Runtime.Enter();
            uint handle = HandleFor(Runtime);
            var writer = ManagedCodec.BeginArgs(call.Guest, key, value, out uint keySlot, out uint valueSlot);
            ManagedCodec.Write(ref writer, Runtime, key, keySlot);
            ManagedCodec.Write(ref writer, Runtime, value, valueSlot);
            call.Guest.SetItem(handle, keySlot, valueSlot);
        }
    }

    /// <summary><c>obj[key]</c>, or false when it raises KeyError or IndexError.</summary>
    public bool TryGet(object? key, out object? value)
    {
        try
        {
            value = this[key];
            return true;
        }
        catch (PythonException e) when (e.PythonType is "KeyError" or "IndexError")
        {
            value = null;
            return false;
        }
    }

    /// <summary><c>key in obj</c>.</summary>
    public bool Contains(object? key)
    {
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        var writer = ManagedCodec.BeginArgs(call.Guest, key, out uint keySlot);
        ManagedCodec.Write(ref writer, Runtime, key, keySlot);
        return call.Guest.Contains(handle, keySlot);
    }

    /// <summary><c>del obj[key]</c>.</summary>
    public void Remove(object? key)
    {
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        var writer = ManagedCodec.BeginArgs(call.Guest, key, out uint keySlot);
        ManagedCodec.Write(ref writer, Runtime, key, keySlot);
        call.Guest.DelItem(handle, keySlot);
    }

    /// <summary><c>len(obj)</c>.</summary>
    public long Length
    {
        get
        {
            using var call = Runtime.Enter();
            return (long)call.Guest.Length(HandleFor(Runtime));
        }
    }

    /// <summary>The type name as Pyodide's <c>PyProxy.type</c>: <c>module.QualName</c>,
    /// or the bare name for builtins and <c>__main__</c>.</summary>
    public unsafe string TypeName
    {
        get
        {
            using var call = Runtime.Enter();
            return call.Guest.ReadString(*call.Guest.TypeName(HandleFor(Runtime)));
        }
    }

    /// <summary><c>obj(*args)</c>.</summary>
    public unsafe object? Call(params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        var writer = ManagedCodec.BeginArgs(call.Guest, args, out uint first);
        for (int i = 0; i < args.Length; i++)
            ManagedCodec.Write(ref writer, Runtime, args[i], first + (uint)(i * Slot.Size));
        return ManagedCodec.Read(Runtime, call.Guest, *call.Guest.Call(handle, first, (uint)args.Length));
    }

    /// <summary>A second, independent proxy of the same object.</summary>
    public PyProxy Copy()
    {
        using var call = Runtime.Enter();
        return new PyProxy(Runtime, call.Guest.Dup(HandleFor(Runtime)));
    }

    /// <summary>Releases the object. Idempotent; a no-op for <see cref="PyodideRuntime.Globals"/>,
    /// which the runtime owns, and once the runtime is disposed.</summary>
    public void Dispose()
    {
        if (_ownedByRuntime || Interlocked.Exchange(ref _disposed, 1) != 0) return;
        GC.SuppressFinalize(this);
        if (Runtime.IsDisposed) return;
        try
        {
            using var call = Runtime.Enter();
            if (!call.Guest.IsDead) call.Guest.Release(_handle);
        }
        catch (ObjectDisposedException)
        {
            // The runtime went away meanwhile: it freed the object with everything else.
        }
        catch (InvalidOperationException)
        {
            // Disposed from inside a call on the same runtime (an output handler):
            // release it when that call is over.
            Runtime.Orphan(_handle);
        }
    }
}
