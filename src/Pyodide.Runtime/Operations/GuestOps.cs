using System.Runtime.CompilerServices;
using Pyodide.Guest;

namespace Pyodide.Operations;

/// <summary>Every operation on a guest object, written once: take the runtime's lock for
/// one call, check the proxy, lay the input out in guest memory, make the one guest call,
/// hand the result to the caller's codec. The managed API (<see cref="PyProxy"/>,
/// <see cref="PyodideRuntime"/>) and the C exports (src/Pyodide.Native) are adapters that
/// check their arguments and call one of these with their codec's structs; since those
/// are structs, each operation is compiled once per codec and nothing is boxed.</summary>
internal static unsafe class GuestOps
{
    /// <summary>The runtime's lock held for one call on <c>target</c>'s object (see
    /// <see cref="PyodideRuntime.Enter"/>), with the proxy checked to be usable there.</summary>
    private ref struct ProxyCall
    {
        private PyodideRuntime.CallScope _scope;
        public readonly PyodideRuntime Runtime;
        public readonly uint Handle;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ProxyCall(PyProxy target)
        {
            Runtime = target.Runtime;
            _scope = Runtime.Enter();
            try
            {
                Handle = target.HandleFor(Runtime);
            }
            catch
            {
                _scope.Dispose();
                throw;
            }
        }

        public readonly GuestInstance Guest => _scope.Guest;

        public void Dispose() => _scope.Dispose();
    }

    /// <summary>Lays out <paramref name="input"/> and then <paramref name="text"/> in the
    /// current call's input buffer. Returns the first slot's guest address (0 for no input).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Input<TIn, TText>(GuestInstance guest, PyodideRuntime runtime, in TIn input, in TText text,
                                          out uint textAddress, int maxNesting = Limits.MaxNesting)
        where TIn : struct, IGuestInput where TText : struct, IGuestText
    {
        int count = input.Count, textBytes = text.ByteCount;
        var size = new InputSize(count, textBytes, maxNesting);
        input.Measure(runtime, ref size);
        var writer = guest.BeginInput(size.Slots, size.Bytes);
        Slot* top = writer.ReserveSlots(count, out uint first);
        input.Write(ref writer, runtime, top);
        text.Write(writer.ReserveBytes(textBytes, out textAddress));
        return count == 0 ? 0 : first;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Input<TIn>(GuestInstance guest, PyodideRuntime runtime, in TIn input)
        where TIn : struct, IGuestInput =>
        Input(guest, runtime, input, default(NoText), out _);

    private static uint Text<TText>(GuestInstance guest, PyodideRuntime runtime, in TText text)
        where TText : struct, IGuestText
    {
        Input(guest, runtime, default(NoInput), text, out uint address);
        return address;
    }

    /// <summary>A host function's result, written through the guest's answer slot; returns
    /// the payload block it needed (0 if none).</summary>
    public static uint Answer<TIn>(GuestInstance.AnswerWriter answer, PyodideRuntime runtime, in TIn value)
        where TIn : struct, IGuestInput
    {
        var size = new InputSize(1, 0, Limits.MaxNesting);
        value.Measure(runtime, ref size);
        var writer = answer.Begin(size.Slots, size.Bytes, out uint block);
        value.Write(ref writer, runtime, writer.ReserveSlots(1, out _));
        return block;
    }

    /// <summary>Pyodide's runPython: <paramref name="code"/> run in <paramref name="globals"/>
    /// (null: <c>__main__</c>'s), the value of its final expression as the result.</summary>
    public static void Run<TText, TOut>(PyodideRuntime runtime, in TText code, PyProxy? globals, double? timeoutSeconds,
                                        ref TOut result)
        where TText : struct, IGuestText where TOut : struct, IGuestResult
    {
        using var call = runtime.Enter(timeoutSeconds);
        uint scope = globals == null ? 0 : globals.HandleFor(runtime);
        Input(call.Guest, runtime, default(NoInput), code, out uint address);
        result.Take(runtime, call.Guest, *call.Guest.Run(address, (uint)code.ByteCount, scope));
    }

    /// <summary>A new proxy of <c>__main__.__dict__</c>.</summary>
    public static PyProxy Globals(PyodideRuntime runtime, bool ownedByRuntime)
    {
        using var call = runtime.Enter();
        return new PyProxy(runtime, call.Guest.Globals(), ownedByRuntime);
    }

    /// <summary><c>obj[key]</c>.</summary>
    public static void GetItem<TKey, TOut>(PyProxy target, in TKey key, ref TOut result)
        where TKey : struct, IGuestInput where TOut : struct, IGuestResult
    {
        using var call = new ProxyCall(target);
        uint slot = Input(call.Guest, call.Runtime, key);
        result.Take(call.Runtime, call.Guest, *call.Guest.GetItem(call.Handle, slot));
    }

    /// <summary><c>obj[key] = value</c>, with key and value as two adjacent slots.</summary>
    public static void SetItem<TPair>(PyProxy target, in TPair keyAndValue) where TPair : struct, IGuestInput
    {
        using var call = new ProxyCall(target);
        uint slot = Input(call.Guest, call.Runtime, keyAndValue);
        call.Guest.SetItem(call.Handle, slot, slot + Slot.Size);
    }

    /// <summary><c>del obj[key]</c>.</summary>
    public static void DelItem<TKey>(PyProxy target, in TKey key) where TKey : struct, IGuestInput
    {
        using var call = new ProxyCall(target);
        call.Guest.DelItem(call.Handle, Input(call.Guest, call.Runtime, key));
    }

    /// <summary><c>key in obj</c>.</summary>
    public static bool Contains<TKey>(PyProxy target, in TKey key) where TKey : struct, IGuestInput
    {
        using var call = new ProxyCall(target);
        return call.Guest.Contains(call.Handle, Input(call.Guest, call.Runtime, key));
    }

    /// <summary><c>len(obj)</c>.</summary>
    public static ulong Length(PyProxy target)
    {
        using var call = new ProxyCall(target);
        return call.Guest.Length(call.Handle);
    }

    /// <summary>Pyodide's <c>PyProxy.type</c>, as a STR result.</summary>
    public static void TypeName<TOut>(PyProxy target, ref TOut result) where TOut : struct, IGuestResult
    {
        using var call = new ProxyCall(target);
        result.Take(call.Runtime, call.Guest, *call.Guest.TypeName(call.Handle));
    }

    /// <summary><c>obj(*args)</c>.</summary>
    public static void Call<TArgs, TOut>(PyProxy target, in TArgs args, ref TOut result)
        where TArgs : struct, IGuestInput where TOut : struct, IGuestResult
    {
        using var call = new ProxyCall(target);
        uint first = Input(call.Guest, call.Runtime, args);
        result.Take(call.Runtime, call.Guest, *call.Guest.Call(call.Handle, first, (uint)args.Count));
    }

    /// <summary><c>obj(*args, **kwargs)</c>: the last of <paramref name="argsThenKwargs"/>
    /// is the DICT of keyword arguments.</summary>
    public static void CallKw<TArgs, TOut>(PyProxy target, in TArgs argsThenKwargs, ref TOut result)
        where TArgs : struct, IGuestInput where TOut : struct, IGuestResult
    {
        using var call = new ProxyCall(target);
        uint first = Input(call.Guest, call.Runtime, argsThenKwargs);
        uint positional = (uint)argsThenKwargs.Count - 1;
        result.Take(call.Runtime, call.Guest, *call.Guest.CallKw(call.Handle, first, positional, first + positional * Slot.Size));
    }

    /// <summary><c>getattr(obj, name)</c>.</summary>
    public static void GetAttr<TName, TOut>(PyProxy target, in TName name, ref TOut result)
        where TName : struct, IGuestText where TOut : struct, IGuestResult
    {
        using var call = new ProxyCall(target);
        uint address = Text(call.Guest, call.Runtime, name);
        result.Take(call.Runtime, call.Guest, *call.Guest.GetAttr(call.Handle, address, (uint)name.ByteCount));
    }

    /// <summary><c>setattr(obj, name, value)</c>.</summary>
    public static void SetAttr<TName, TValue>(PyProxy target, in TName name, in TValue value)
        where TName : struct, IGuestText where TValue : struct, IGuestInput
    {
        using var call = new ProxyCall(target);
        SetAttr(call.Guest, call.Runtime, call.Handle, name, value);
    }

    /// <summary><c>setattr</c> on an object the caller holds a handle to, inside a call.</summary>
    public static void SetAttr<TName, TValue>(GuestInstance guest, PyodideRuntime runtime, uint target, in TName name, in TValue value)
        where TName : struct, IGuestText where TValue : struct, IGuestInput
    {
        uint slot = Input(guest, runtime, value, name, out uint address);
        guest.SetAttr(target, address, (uint)name.ByteCount, slot);
    }

    /// <summary><c>hasattr(obj, name)</c>.</summary>
    public static bool HasAttr<TName>(PyProxy target, in TName name) where TName : struct, IGuestText
    {
        using var call = new ProxyCall(target);
        return call.Guest.HasAttr(call.Handle, Text(call.Guest, call.Runtime, name), (uint)name.ByteCount);
    }

    /// <summary><c>delattr(obj, name)</c>.</summary>
    public static void DelAttr<TName>(PyProxy target, in TName name) where TName : struct, IGuestText
    {
        using var call = new ProxyCall(target);
        call.Guest.DelAttr(call.Handle, Text(call.Guest, call.Runtime, name), (uint)name.ByteCount);
    }

    /// <summary>A proxy of <c>iter(obj)</c>.</summary>
    public static PyProxy Iter(PyProxy target)
    {
        using var call = new ProxyCall(target);
        return new PyProxy(call.Runtime, call.Guest.Iter(call.Handle));
    }

    /// <summary>One step of an iterator or generator, sending the one value of
    /// <paramref name="sent"/> (None when it has none). True when the iterator is done:
    /// the result is then the generator's return value.</summary>
    public static bool Next<TSent, TOut>(PyProxy target, in TSent sent, ref TOut result)
        where TSent : struct, IGuestInput where TOut : struct, IGuestResult
    {
        using var call = new ProxyCall(target);
        uint slot = Input(call.Guest, call.Runtime, sent);
        Slot* value = call.Guest.Next(call.Handle, slot, out bool done);
        result.Take(call.Runtime, call.Guest, *value);
        return done;
    }

    /// <summary>Pyodide's <c>toJs</c>: a deep conversion, containers deeper than
    /// <paramref name="depth"/> (-1: any) left as proxies.</summary>
    public static void ToJs<TTree>(PyProxy target, int depth, ref TTree result) where TTree : struct, IGuestTree
    {
        using var call = new ProxyCall(target);
        result.TakeTree(call.Runtime, call.Guest, *call.Guest.ToJs(call.Handle, depth));
    }

    /// <summary>Pyodide's <c>toPy</c>: a Python object built from a host value whose
    /// containers nest at most <paramref name="depth"/> levels (-1: up to the library's limit).</summary>
    public static PyProxy ToPy<TIn>(PyodideRuntime runtime, in TIn value, int depth) where TIn : struct, IGuestInput
    {
        using var call = runtime.Enter();
        uint slot = Input(call.Guest, runtime, value, default(NoText), out _, depth >= 0 ? depth : Limits.MaxNesting);
        return new PyProxy(runtime, call.Guest.ToPy(slot));
    }

    /// <summary>A second proxy of the same object; <paramref name="ownedByRuntime"/> for
    /// one the runtime keeps for itself.</summary>
    public static PyProxy Copy(PyProxy target, bool ownedByRuntime = false)
    {
        using var call = new ProxyCall(target);
        return new PyProxy(call.Runtime, call.Guest.Dup(call.Handle), ownedByRuntime);
    }

    /// <summary>Exports the object's buffer, seen as <paramref name="type"/> (null: its own
    /// format); the export is released if <paramref name="result"/> cannot take it.</summary>
    public static void GetBuffer<TBuffer>(PyProxy target, string? type, ref TBuffer result) where TBuffer : struct, IGuestBuffer
    {
        using var call = new ProxyCall(target);
        uint export = call.Guest.GetBuffer(call.Handle, out var info);
        try
        {
            result.Take(call.Runtime, call.Guest, export, BufferGeometry.From(call.Guest, info, type));
        }
        catch
        {
            call.Guest.Release(export);
            throw;
        }
    }

    /// <summary>Drops a handle the host held (a proxy, a buffer export). Nothing to do once
    /// the runtime is gone; from a handler of output written below sys.stdout, which
    /// may not call in, it is released when the call that wrote is over.</summary>
    public static void Release(PyodideRuntime runtime, uint handle)
    {
        if (runtime.IsDisposed) return;
        try
        {
            using var call = runtime.Enter();
            if (!call.Guest.IsDead) call.Guest.Release(handle);
        }
        catch (ObjectDisposedException)
        {
            // The runtime went away meanwhile: it freed the object with everything else.
        }
        catch (InvalidOperationException)
        {
            runtime.Orphan(handle);
        }
    }

    /// <summary>A new Python callable (as a handle) that calls host function <paramref name="id"/>.</summary>
    public static uint HostFunction<TName>(GuestInstance guest, PyodideRuntime runtime, in TName name, uint id)
        where TName : struct, IGuestText =>
        guest.HostFunction(Text(guest, runtime, name), (uint)name.ByteCount, id);

    /// <summary>Registers an empty module importable as <paramref name="name"/>; returns a handle to it.</summary>
    public static uint HostModule<TName>(GuestInstance guest, PyodideRuntime runtime, in TName name)
        where TName : struct, IGuestText =>
        guest.HostModule(Text(guest, runtime, name), (uint)name.ByteCount);

    /// <summary>Registers a host class in the guest (in a call of its own, so it may happen
    /// while a codec measures another call's input); returns its guest id.</summary>
    public static uint HostClass(PyodideRuntime runtime, HostClass cls)
    {
        using var call = runtime.Enter();
        var name = new ManagedText(cls.Name);
        uint first = Input(call.Guest, runtime, new ManagedArgs(cls.Methods), name, out uint address);
        return call.Guest.HostClass(address, (uint)name.ByteCount, cls.Flags, first, (uint)cls.Methods.Length);
    }

    /// <summary>A new proxy of the object a slot holds (a host object met where a proxy is
    /// wanted: a C object read by the .NET codec, or the reverse).</summary>
    public static PyProxy ProxyOf(PyodideRuntime runtime, in Slot slot)
    {
        using var call = runtime.Enter();
        uint address = Input(call.Guest, runtime, new SlotArg(slot));
        return new PyProxy(runtime, call.Guest.ToPy(address));
    }

    /// <summary>Makes later imports of <paramref name="name"/> fail.</summary>
    public static void HostUnregister<TName>(GuestInstance guest, PyodideRuntime runtime, in TName name)
        where TName : struct, IGuestText =>
        guest.HostUnregister(Text(guest, runtime, name), (uint)name.ByteCount);
}
