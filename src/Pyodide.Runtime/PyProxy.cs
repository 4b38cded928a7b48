using System.Collections;
using Pyodide.Operations;

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
    public object? this[object? key]
    {
        get
        {
            var result = new ManagedResult();
            GuestOps.GetItem(this, new ManagedArgs(key), ref result);
            return result.Value;
        }
        set => GuestOps.SetItem(this, new ManagedArgs(key, value));
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
    public bool Contains(object? key) => GuestOps.Contains(this, new ManagedArgs(key));

    /// <summary><c>del obj[key]</c>.</summary>
    public void Remove(object? key) => GuestOps.DelItem(this, new ManagedArgs(key));

    /// <summary><c>len(obj)</c>.</summary>
    public long Length => (long)GuestOps.Length(this);

    /// <summary>The type name as Pyodide's <c>PyProxy.type</c>: <c>module.QualName</c>,
    /// or the bare name for builtins and <c>__main__</c>.</summary>
    public string TypeName
    {
        get
        {
            var result = new TypedResult<string>();
            GuestOps.TypeName(this, ref result);
            return result.Value;
        }
    }

    /// <summary><c>obj(*args)</c>. A lone null argument passes None.</summary>
    public object? Call(params object?[]? args)
    {
        var result = new ManagedResult();
        GuestOps.Call(this, new ManagedArgs(args ?? [null]), ref result);
        return result.Value;
    }

    /// <summary><c>obj()</c> with a typed result (see <see cref="PyodideRuntime.RunPython{T}"/>).</summary>
    public TResult Call<TResult>()
    {
        var result = new TypedResult<TResult>();
        GuestOps.Call(this, default(NoInput), ref result);
        return result.Value;
    }

    /// <summary><c>obj(arg)</c>, typed: long, int, double and bool arguments and results cross
    /// without allocating.</summary>
    /// <exception cref="InvalidCastException">The result is not a <typeparamref name="TResult"/>.</exception>
    public TResult Call<TArg, TResult>(TArg arg)
    {
        var result = new TypedResult<TResult>();
        GuestOps.Call(this, new TypedArg<TArg>(arg), ref result);
        return result.Value;
    }

    /// <summary><c>obj(*args, **kwargs)</c>; the keyword names must be valid identifiers.</summary>
    public object? CallKwargs(object?[] args, IReadOnlyDictionary<string, object?> kwargs)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(kwargs);
        var all = new object?[args.Length + 1];
        args.CopyTo(all, 0);
        all[^1] = kwargs.ToDictionary(p => (object)p.Key, p => p.Value);
        var result = new ManagedResult();
        GuestOps.CallKw(this, new ManagedArgs(all), ref result);
        return result.Value;
    }

    /// <summary><c>getattr(obj, name)</c>.</summary>
    public object? GetAttr(string name)
    {
        var result = new ManagedResult();
        GuestOps.GetAttr(this, new ManagedText(name), ref result);
        return result.Value;
    }

    /// <summary><c>setattr(obj, name, value)</c>.</summary>
    public void SetAttr(string name, object? value) => GuestOps.SetAttr(this, new ManagedText(name), new ManagedArgs(value));

    /// <summary><c>hasattr(obj, name)</c>.</summary>
    public bool HasAttr(string name) => GuestOps.HasAttr(this, new ManagedText(name));

    /// <summary><c>delattr(obj, name)</c>.</summary>
    public void DelAttr(string name) => GuestOps.DelAttr(this, new ManagedText(name));

    /// <summary>A proxy of <c>iter(obj)</c>.</summary>
    public PyProxy Iter() => GuestOps.Iter(this);

    /// <summary>One step of this iterator or generator, sending <paramref name="value"/>
    /// (None by default) into its <c>yield</c>. When <paramref name="done"/> is true the
    /// result is the generator's return value.</summary>
    public object? Next(out bool done, object? value = null)
    {
        var result = new ManagedResult();
        done = GuestOps.Next(this, ManagedArgs.Optional(value), ref result);
        return result.Value;
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
    public object? ToManaged(int depth = -1)
    {
        if (depth < -1) throw new ArgumentOutOfRangeException(nameof(depth), "depth must be -1 (unlimited) or >= 0");
        var result = new ManagedTree();
        GuestOps.ToJs(this, depth, ref result);
        return result.Value;
    }

    /// <summary>Exports the object's buffer without copying; <paramref name="type"/>
    /// reinterprets the elements (Pyodide's names: i8 u8 u8clamped i16 u16 i32 u32 i64
    /// u64 f32 f64 dataview); null keeps the buffer's own format.</summary>
    public PyBuffer GetBuffer(string? type = null)
    {
        var result = new ManagedBuffer();
        GuestOps.GetBuffer(this, type, ref result);
        return result.Value!;
    }

    /// <summary>Pyodide's <c>then</c>: a proxy of a future settled with
    /// <paramref name="onFulfilled"/>'s result, called with this awaitable's result once the
    /// event loop runs (<see cref="PyodideRuntime.RunPending"/>, <see cref="PyodideRuntime.Await(PyProxy, TimeSpan?)"/>).</summary>
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
    public PyProxy Copy() => GuestOps.Copy(this);

    /// <summary>Releases the object. Idempotent; a no-op for <see cref="PyodideRuntime.Globals"/>,
    /// which the runtime owns, and once the runtime is disposed.</summary>
    public void Dispose()
    {
        if (_ownedByRuntime || Interlocked.Exchange(ref _disposed, 1) != 0) return;
        GC.SuppressFinalize(this);
        GuestOps.Release(Runtime, _handle);
    }
}
