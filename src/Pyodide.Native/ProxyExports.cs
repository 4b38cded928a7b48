using System.Runtime.InteropServices;
using Pyodide.Guest;

namespace Pyodide.Native;

/// <summary>The <c>pyproxy_*</c> half of the C ABI.</summary>
internal static unsafe class ProxyExports
{
    private static PyProxy Proxy(nint token) => NativeCodec.Proxies.Get(token, "proxy");

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_get")]
    public static nint Get(nint token, NativeValue* key, NativeValue* result)
    {
        try
        {
            var proxy = Proxy(token);
            if (key == null) throw new ArgumentException("key is NULL");
            if (result == null) throw new ArgumentException("out is NULL");
            using var call = proxy.Runtime.Enter();
            uint handle = proxy.HandleFor(proxy.Runtime);
            NativeCodec.WriteArgs(call.Guest, proxy.Runtime, key, 1, "key", out uint keySlot);
            NativeCodec.Read(proxy.Runtime, call.Guest, *call.Guest.GetItem(handle, keySlot), result);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_get");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_set")]
    public static nint Set(nint token, NativeValue* key, NativeValue* value)
    {
        try
        {
            var proxy = Proxy(token);
            if (key == null) throw new ArgumentException("key is NULL");
            if (value == null) throw new ArgumentException("value is NULL");
            using var call = proxy.Runtime.Enter();
            uint handle = proxy.HandleFor(proxy.Runtime);
            // Key and value go into adjacent slots: one input block, one guest call.
            NativeValue* pair = stackalloc NativeValue[2];
            pair[0] = *key;
            pair[1] = *value;
            NativeCodec.WriteArgs(call.Guest, proxy.Runtime, pair, 2, "key/value", out uint keySlot);
            call.Guest.SetItem(handle, keySlot, keySlot + Slot.Size);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_set");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_has")]
    public static nint Has(nint token, NativeValue* key, byte* result)
    {
        try
        {
            var proxy = Proxy(token);
            if (key == null) throw new ArgumentException("key is NULL");
            if (result == null) throw new ArgumentException("out is NULL");
            using var call = proxy.Runtime.Enter();
            uint handle = proxy.HandleFor(proxy.Runtime);
            NativeCodec.WriteArgs(call.Guest, proxy.Runtime, key, 1, "key", out uint keySlot);
            *result = call.Guest.Contains(handle, keySlot) ? (byte)1 : (byte)0;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_has");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_delete")]
    public static nint Delete(nint token, NativeValue* key)
    {
        try
        {
            var proxy = Proxy(token);
            if (key == null) throw new ArgumentException("key is NULL");
            using var call = proxy.Runtime.Enter();
            uint handle = proxy.HandleFor(proxy.Runtime);
            NativeCodec.WriteArgs(call.Guest, proxy.Runtime, key, 1, "key", out uint keySlot);
            call.Guest.DelItem(handle, keySlot);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_delete");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_length")]
    public static nint Length(nint token, nuint* result)
    {
        try
        {
            var proxy = Proxy(token);
            if (result == null) throw new ArgumentException("out is NULL");
            using var call = proxy.Runtime.Enter();
            *result = (nuint)call.Guest.Length(proxy.HandleFor(proxy.Runtime));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_length");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_type")]
    public static nint Type(nint token, NativeValue* result)
    {
        try
        {
            var proxy = Proxy(token);
            if (result == null) throw new ArgumentException("out is NULL");
            using var call = proxy.Runtime.Enter();
            NativeCodec.Read(proxy.Runtime, call.Guest, *call.Guest.TypeName(proxy.HandleFor(proxy.Runtime)), result);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_type");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_call")]
    public static nint Call(nint token, NativeValue* args, nuint count, NativeValue* result)
    {
        try
        {
            var proxy = Proxy(token);
            if (args == null && count > 0) throw new ArgumentException($"args is NULL but nargs is {count}");
            if (count > 65536) throw new ArgumentException($"nargs is {count}; at most 65536 arguments");
            using var call = proxy.Runtime.Enter();
            uint handle = proxy.HandleFor(proxy.Runtime);
            NativeCodec.WriteArgs(call.Guest, proxy.Runtime, args, (int)count, "argument", out uint first);
            NativeCodec.Read(proxy.Runtime, call.Guest, *call.Guest.Call(handle, first, (uint)count), result);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_call");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_get_attr")]
    public static nint GetAttr(nint token, byte* name, nuint length, NativeValue* result)
    {
        try
        {
            var proxy = Proxy(token);
            var utf8 = NativeStrings.Input(name, length, "name");
            if (result == null) throw new ArgumentException("out is NULL");
            using var call = proxy.Runtime.Enter();
            uint handle = proxy.HandleFor(proxy.Runtime);
            uint address = WriteName(call.Guest, utf8);
            NativeCodec.Read(proxy.Runtime, call.Guest, *call.Guest.GetAttr(handle, address, (uint)utf8.Length), result);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_get_attr");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_set_attr")]
    public static nint SetAttr(nint token, byte* name, nuint length, NativeValue* value)
    {
        try
        {
            var proxy = Proxy(token);
            var utf8 = NativeStrings.Input(name, length, "name");
            if (value == null) throw new ArgumentException("value is NULL");
            using var call = proxy.Runtime.Enter();
            uint handle = proxy.HandleFor(proxy.Runtime);
            NativeCodec.WriteArgs(call.Guest, proxy.Runtime, value, 1, "value", out uint valueSlot, utf8, out uint address);
            call.Guest.SetAttr(handle, address, (uint)utf8.Length, valueSlot);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_set_attr");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_has_attr")]
    public static nint HasAttr(nint token, byte* name, nuint length, byte* result)
    {
        try
        {
            var proxy = Proxy(token);
            var utf8 = NativeStrings.Input(name, length, "name");
            if (result == null) throw new ArgumentException("out is NULL");
            using var call = proxy.Runtime.Enter();
            uint handle = proxy.HandleFor(proxy.Runtime);
            uint address = WriteName(call.Guest, utf8);
            *result = call.Guest.HasAttr(handle, address, (uint)utf8.Length) ? (byte)1 : (byte)0;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_has_attr");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_del_attr")]
    public static nint DelAttr(nint token, byte* name, nuint length)
    {
        try
        {
            var proxy = Proxy(token);
            var utf8 = NativeStrings.Input(name, length, "name");
            using var call = proxy.Runtime.Enter();
            uint handle = proxy.HandleFor(proxy.Runtime);
            uint address = WriteName(call.Guest, utf8);
            call.Guest.DelAttr(handle, address, (uint)utf8.Length);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_del_attr");
        }
    }

    private static uint WriteName(GuestInstance guest, ReadOnlySpan<byte> utf8)
    {
        var writer = guest.BeginInput(0, utf8.Length);
        utf8.CopyTo(writer.ReserveBytes(utf8.Length, out uint address));
        return address;
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_call_kwargs")]
    public static nint CallKwargs(nint token, NativeValue* args, nuint count, NativeValue* kwargs, NativeValue* result)
    {
        try
        {
            var proxy = Proxy(token);
            if (args == null && count > 0) throw new ArgumentException($"args is NULL but nargs is {count}");
            if (count > 65536) throw new ArgumentException($"nargs is {count}; at most 65536 arguments");
            if (kwargs != null && kwargs->Kind != NativeValue.Dict) throw new ArgumentException("kwargs is not a PYODIDE_DICT");
            // Positional arguments and the kwargs dict go into one block of adjacent slots.
            int n = (int)count;
            var all = (NativeValue*)NativeMemory.Alloc((nuint)(n + 1), (nuint)sizeof(NativeValue));
            try
            {
                for (int i = 0; i < n; i++) all[i] = args[i];
                all[n] = kwargs != null ? *kwargs : new NativeValue { Kind = NativeValue.Dict };
                using var call = proxy.Runtime.Enter();
                uint handle = proxy.HandleFor(proxy.Runtime);
                NativeCodec.WriteArgs(call.Guest, proxy.Runtime, all, n + 1, "argument", out uint first);
                Slot* slot = call.Guest.CallKw(handle, first, (uint)n, first + (uint)(n * Slot.Size));
                NativeCodec.Read(proxy.Runtime, call.Guest, *slot, result);
            }
            finally
            {
                NativeMemory.Free(all);
            }
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_call_kwargs");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_is_pyproxy")]
    public static byte IsPyProxy(nint token) => NativeCodec.Proxies.TryGet(token) != null ? (byte)1 : (byte)0;

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_iter")]
    public static nint Iter(nint token, nint* result)
    {
        try
        {
            var proxy = Proxy(token);
            if (result == null) throw new ArgumentException("out is NULL");
            var iterator = proxy.Iter();
            try
            {
                *result = NativeCodec.Proxies.Add(iterator);
            }
            catch
            {
                iterator.Dispose();
                throw;
            }
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_iter");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_next")]
    public static nint Next(nint token, NativeValue* sent, NativeValue* value, byte* done)
    {
        try
        {
            var proxy = Proxy(token);
            if (value == null) throw new ArgumentException("out_value is NULL");
            if (done == null) throw new ArgumentException("out_done is NULL");
            using var call = proxy.Runtime.Enter();
            uint handle = proxy.HandleFor(proxy.Runtime);
            uint sentSlot = 0;
            if (sent != null) NativeCodec.WriteArgs(call.Guest, proxy.Runtime, sent, 1, "sent value", out sentSlot);
            Slot* slot = call.Guest.Next(handle, sentSlot, out bool finished);
            NativeCodec.Read(proxy.Runtime, call.Guest, *slot, value);
            *done = finished ? (byte)1 : (byte)0;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_next");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_to_js")]
    public static nint ToJs(nint token, int depth, NativeValue* result)
    {
        try
        {
            var proxy = Proxy(token);
            if (result == null) throw new ArgumentException("out is NULL");
            if (depth < -1) throw new ArgumentException($"depth is {depth}; it must be -1 (unlimited) or >= 0");
            using var call = proxy.Runtime.Enter();
            Slot* tree = call.Guest.ToJs(proxy.HandleFor(proxy.Runtime), depth);
            NativeCodec.ReadTree(proxy.Runtime, call.Guest, *tree, result);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_to_js");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_copy")]
    public static nint Copy(nint token, nint* result)
    {
        try
        {
            var proxy = Proxy(token);
            if (result == null) throw new ArgumentException("out is NULL");
            *result = NativeCodec.Proxies.Add(proxy.Copy());
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyproxy_copy");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_destroy")]
    public static void Destroy(nint token)
    {
        try
        {
            NativeCodec.DestroyProxy(token);
        }
        catch (Exception)
        {
            // Void: nothing to report. The token is already gone from the table.
        }
    }
}
