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
