using System.Collections;
using Pyodide.Guest;

namespace Pyodide;

/// <summary>A reference to a Python object living in a <see cref="PyodideRuntime"/>.
/// Dispose it to release the object; a proxy that is never disposed is released
/// after the garbage collector finds it.</summary>
public sealed class PyProxy : IDisposable, IEnumerable<object?>
{
    private readonly uint _handle;
    private readonly bool _ownedByRuntime;
    private int _disposed;

    internal PyProxy(PyodideRuntime runtime, uint handle, bool ownedByRuntime = false)
    {
        Runtime = runtime;
        _handle = handle;
        _ownedByRuntime = ownedByRuntime;
        if (ownedByRuntime)
        {
            GC.SuppressFinalize(this);
            runtime.CountInternalObject();
        }
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

    /// <summary><c>obj(*args)</c>. A lone null argument passes None.</summary>
    public unsafe object? Call(params object?[]? args)
    {
        args ??= [null];
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        var writer = ManagedCodec.BeginArgs(call.Guest, args, out uint first);
        for (int i = 0; i < args.Length; i++)
            ManagedCodec.Write(ref writer, Runtime, args[i], first + (uint)(i * Slot.Size));
        return ManagedCodec.Read(Runtime, call.Guest, *call.Guest.Call(handle, first, (uint)args.Length));
    }

    /// <summary><c>obj()</c> with a typed result (see <see cref="PyodideRuntime.RunPython{T}"/>).</summary>
    public unsafe TResult Call<TResult>()
    {
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        return ManagedCodec.ReadAs<TResult>(Runtime, call.Guest, *call.Guest.Call(handle, 0, 0));
    }

    /// <summary><c>obj(arg)</c>, typed: long, int, double and bool arguments and results cross
    /// without allocating.</summary>
    /// <exception cref="InvalidCastException">The result is not a <typeparamref name="TResult"/>.</exception>
    public unsafe TResult Call<TArg, TResult>(TArg arg)
    {
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        var writer = ManagedCodec.BeginArgs(call.Guest, arg, out uint slot);
        ManagedCodec.Write(ref writer, Runtime, arg, slot);
        return ManagedCodec.ReadAs<TResult>(Runtime, call.Guest, *call.Guest.Call(handle, slot, 1));
    }

    /// <summary><c>obj(*args, **kwargs)</c>; the keyword names must be valid identifiers.</summary>
    public unsafe object? CallKwargs(object?[] args, IReadOnlyDictionary<string, object?> kwargs)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(kwargs);
        var all = new object?[args.Length + 1];
        args.CopyTo(all, 0);
        all[^1] = kwargs.ToDictionary(p => (object)p.Key, p => p.Value);
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        var writer = ManagedCodec.BeginArgs(call.Guest, all, out uint first);
        for (int i = 0; i < all.Length; i++)
            ManagedCodec.Write(ref writer, Runtime, all[i], first + (uint)(i * Slot.Size));
        uint kw = first + (uint)(args.Length * Slot.Size);
        return ManagedCodec.Read(Runtime, call.Guest, *call.Guest.CallKw(handle, first, (uint)args.Length, kw));
    }

    /// <summary><c>getattr(obj, name)</c>.</summary>
    public unsafe object? GetAttr(string name)
    {
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        uint address = WriteName(call.Guest, name, out uint length);
        return ManagedCodec.Read(Runtime, call.Guest, *call.Guest.GetAttr(handle, address, length));
    }

    /// <summary><c>setattr(obj, name, value)</c>.</summary>
    public void SetAttr(string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        var writer = ManagedCodec.BeginArgs(call.Guest, name, value, out uint nameSlot, out uint valueSlot);
        ManagedCodec.Write(ref writer, Runtime, name, nameSlot);
        ManagedCodec.Write(ref writer, Runtime, value, valueSlot);
        ref Slot nameValue = ref writer.SlotAt(nameSlot);
        call.Guest.SetAttr(handle, nameValue.Address, nameValue.Length, valueSlot);
    }

    /// <summary><c>hasattr(obj, name)</c>.</summary>
    public bool HasAttr(string name)
    {
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        uint address = WriteName(call.Guest, name, out uint length);
        return call.Guest.HasAttr(handle, address, length);
    }

    /// <summary><c>delattr(obj, name)</c>.</summary>
    public void DelAttr(string name)
    {
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        uint address = WriteName(call.Guest, name, out uint length);
        call.Guest.DelAttr(handle, address, length);
    }

    private static uint WriteName(GuestInstance guest, string name, out uint length)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ManagedCodec.WriteText(guest, name, out length);
    }

    /// <summary>A proxy of <c>iter(obj)</c>.</summary>
    public PyProxy Iter()
    {
        using var call = Runtime.Enter();
        return new PyProxy(Runtime, call.Guest.Iter(HandleFor(Runtime)));
    }

    /// <summary>One step of this iterator or generator, sending <paramref name="value"/>
    /// (None by default) into its <c>yield</c>. When <paramref name="done"/> is true the
    /// result is the generator's return value.</summary>
    public unsafe object? Next(out bool done, object? value = null)
    {
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        uint sent = 0;
        if (value != null)
        {
            var writer = ManagedCodec.BeginArgs(call.Guest, value, out sent);
            ManagedCodec.Write(ref writer, Runtime, value, sent);
        }
        return ManagedCodec.Read(Runtime, call.Guest, *call.Guest.Next(handle, sent, out done));
    }

    /// <summary>Iterates the object (<c>iter(obj)</c>); items that are not plain values are
    /// proxies the caller disposes.</summary>
    public IEnumerator<object?> GetEnumerator()
    {
        using var iterator = Iter();
        while (true)
        {
            object? item = iterator.Next(out bool done);
            if (done)
            {
                (item as PyProxy)?.Dispose();
                yield break;
            }
            yield return item;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>A deep copy as .NET values, as Pyodide's <c>toJs</c>: list/tuple/set →
    /// <see cref="List{T}"/>, dict → <see cref="Dictionary{TKey,TValue}"/>, bytes-likes →
    /// byte[], scalars by value; anything else, containers deeper than
    /// <paramref name="depth"/> levels (-1: no limit) and cycles stay proxies.</summary>
    public unsafe object? ToManaged(int depth = -1)
    {
        if (depth < -1) throw new ArgumentOutOfRangeException(nameof(depth), "depth must be -1 (unlimited) or >= 0");
        using var call = Runtime.Enter();
        uint handle = HandleFor(Runtime);
        Slot* tree = call.Guest.ToJs(handle, depth);
        try
        {
            ManagedCodec.CheckTree(call.Guest, *tree);
        }
        catch
        {
            ManagedCodec.ReleaseHandles(call.Guest, *tree); // nothing was wrapped yet
            throw;
        }
        return ManagedCodec.ReadTree(Runtime, call.Guest, *tree);
    }

    /// <summary>Exports the object's buffer without copying; <paramref name="type"/>
    /// reinterprets the elements (Pyodide's names: i8 u8 u8clamped i16 u16 i32 u32 i64
    /// u64 f32 f64 dataview); null keeps the buffer's own format.</summary>
    public unsafe PyBuffer GetBuffer(string? type = null)
    {
        using var call = Runtime.Enter();
        uint export = call.Guest.GetBuffer(HandleFor(Runtime), out var info);
        try
        {
            var geometry = BufferGeometry.From(call.Guest, info, type);
            return new PyBuffer(Runtime, export, geometry, call.Guest.MemoryBase);
        }
        catch
        {
            call.Guest.Release(export);
            throw;
        }
    }

    /// <summary>Pyodide's <c>then</c>: a proxy of a future settled with
    /// <paramref name="onFulfilled"/>'s result, called with this awaitable's result once the
    /// event loop runs (<see cref="PyodideRuntime.RunPending"/>, <see cref="PyodideRuntime.Await"/>).</summary>
    public PyProxy Then(Func<object?, object?> onFulfilled)
    {
        ArgumentNullException.ThrowIfNull(onFulfilled);
        return Runtime.Chain(this, new ManagedHostFunction(args => onFulfilled(args[0])), null, PyodideRuntime.ChainKind.Then);
    }

    /// <summary>Pyodide's <c>catch</c>: <paramref name="onRejected"/> receives the exception
    /// (a proxy) if this awaitable fails; its result settles the returned future.</summary>
    public PyProxy Catch(Func<PyProxy, object?> onRejected)
    {
        ArgumentNullException.ThrowIfNull(onRejected);
        return Runtime.Chain(this, new ManagedHostFunction(args => onRejected((PyProxy)args[0]!)), null, PyodideRuntime.ChainKind.Catch);
    }

    /// <summary>Pyodide's <c>finally</c>: <paramref name="onFinally"/> runs when this awaitable
    /// settles; the returned future settles the same way.</summary>
    public PyProxy Finally(Action onFinally)
    {
        ArgumentNullException.ThrowIfNull(onFinally);
        return Runtime.Chain(this, new ManagedHostFunction(_ => { onFinally(); return null; }), null, PyodideRuntime.ChainKind.Finally);
    }

    /// <summary>Makes an awaitable proxy usable with C#'s <c>await</c>.</summary>
    public System.Runtime.CompilerServices.TaskAwaiter<object?> GetAwaiter() => Runtime.AwaitAsync(this).GetAwaiter();

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
