using System.Runtime.InteropServices;
using Pyodide.Operations;

namespace Pyodide.Native;

/// <summary>The <c>pyproxy_*</c> half of the C ABI: each export checks its arguments and
/// makes one call into <see cref="GuestOps"/> or the managed API, in a try whose catch
/// turns the exception into the returned error (one escaping would kill the host).</summary>
internal static unsafe class ProxyExports
{
    private const string GetName = "pyproxy_get";
    [UnmanagedCallersOnly(EntryPoint = GetName)]
    public static nint Get(nint token, NativeValue* key, NativeValue* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(key, "key");
            Require.NotNull(result);
            var sink = new NativeResult(result);
            GuestOps.GetItem(proxy, new NativeArgs(key, 1, "key"), ref sink);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, GetName);
        }
    }

    private const string SetName = "pyproxy_set";
    [UnmanagedCallersOnly(EntryPoint = SetName)]
    public static nint Set(nint token, NativeValue* key, NativeValue* value)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(key, "key");
            Require.NotNull(value, "value");
            GuestOps.SetItem(proxy, new NativeArgs(key, 1, "key/value", last: value));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, SetName);
        }
    }

    private const string HasName = "pyproxy_has";
    [UnmanagedCallersOnly(EntryPoint = HasName)]
    public static nint Has(nint token, NativeValue* key, byte* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(key, "key");
            Require.NotNull(result);
            *result = GuestOps.Contains(proxy, new NativeArgs(key, 1, "key")) ? (byte)1 : (byte)0;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, HasName);
        }
    }

    private const string DeleteName = "pyproxy_delete";
    [UnmanagedCallersOnly(EntryPoint = DeleteName)]
    public static nint Delete(nint token, NativeValue* key)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(key, "key");
            GuestOps.DelItem(proxy, new NativeArgs(key, 1, "key"));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, DeleteName);
        }
    }

    private const string LengthName = "pyproxy_length";
    [UnmanagedCallersOnly(EntryPoint = LengthName)]
    public static nint Length(nint token, nuint* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(result);
            *result = (nuint)GuestOps.Length(proxy);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, LengthName);
        }
    }

    private const string TypeName = "pyproxy_type";
    [UnmanagedCallersOnly(EntryPoint = TypeName)]
    public static nint Type(nint token, NativeValue* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(result);
            var sink = new NativeResult(result);
            GuestOps.TypeName(proxy, ref sink);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, TypeName);
        }
    }

    /// <summary>Checks a C argument array: NULL only when empty, and a plausible count.</summary>
    private static int Arguments(NativeValue* args, nuint count)
    {
        if (args == null && count > 0) throw new ArgumentException($"args is NULL but nargs is {count}");
        if (count > Limits.MaxCount) throw new ArgumentException($"nargs is {count}; at most {Limits.MaxCount} arguments");
        return (int)count;
    }

    private const string CallName = "pyproxy_call";
    [UnmanagedCallersOnly(EntryPoint = CallName)]
    public static nint Call(nint token, NativeValue* args, nuint count, NativeValue* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            var sink = new NativeResult(result);
            GuestOps.Call(proxy, new NativeArgs(args, Arguments(args, count), "argument"), ref sink);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, CallName);
        }
    }

    private const string CallKwargsName = "pyproxy_call_kwargs";
    [UnmanagedCallersOnly(EntryPoint = CallKwargsName)]
    public static nint CallKwargs(nint token, NativeValue* args, nuint count, NativeValue* kwargs, NativeValue* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            int n = Arguments(args, count);
            if (kwargs != null && kwargs->Kind != NativeValue.Dict) throw new ArgumentException("kwargs is not a PYODIDE_DICT");
            var none = new NativeValue { Kind = NativeValue.Dict };
            var sink = new NativeResult(result);
            GuestOps.CallKw(proxy, new NativeArgs(args, n, "argument", last: kwargs != null ? kwargs : &none), ref sink);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, CallKwargsName);
        }
    }

    private const string GetAttrName = "pyproxy_get_attr";
    [UnmanagedCallersOnly(EntryPoint = GetAttrName)]
    public static nint GetAttr(nint token, byte* name, nuint length, NativeValue* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            var text = NativeStrings.Text(name, length, "name");
            Require.NotNull(result);
            var sink = new NativeResult(result);
            GuestOps.GetAttr(proxy, text, ref sink);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, GetAttrName);
        }
    }

    private const string SetAttrName = "pyproxy_set_attr";
    [UnmanagedCallersOnly(EntryPoint = SetAttrName)]
    public static nint SetAttr(nint token, byte* name, nuint length, NativeValue* value)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            var text = NativeStrings.Text(name, length, "name");
            Require.NotNull(value, "value");
            GuestOps.SetAttr(proxy, text, new NativeArgs(value, 1, "value"));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, SetAttrName);
        }
    }

    private const string HasAttrName = "pyproxy_has_attr";
    [UnmanagedCallersOnly(EntryPoint = HasAttrName)]
    public static nint HasAttr(nint token, byte* name, nuint length, byte* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            var text = NativeStrings.Text(name, length, "name");
            Require.NotNull(result);
            *result = GuestOps.HasAttr(proxy, text) ? (byte)1 : (byte)0;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, HasAttrName);
        }
    }

    private const string DelAttrName = "pyproxy_del_attr";
    [UnmanagedCallersOnly(EntryPoint = DelAttrName)]
    public static nint DelAttr(nint token, byte* name, nuint length)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            GuestOps.DelAttr(proxy, NativeStrings.Text(name, length, "name"));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, DelAttrName);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_is_pyproxy")]
    public static byte IsPyProxy(nint token) => NativeCodec.Proxies.TryGet(token) != null ? (byte)1 : (byte)0;

    /// <summary>Hands a new proxy to the caller as a <c>pyproxy_t*</c>; disposes it if that fails.</summary>
    public static nint Out(PyProxy proxy)
    {
        try
        {
            return NativeCodec.Proxies.Add(proxy);
        }
        catch
        {
            proxy.Dispose();
            throw;
        }
    }

    private const string IterName = "pyproxy_iter";
    [UnmanagedCallersOnly(EntryPoint = IterName)]
    public static nint Iter(nint token, nint* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(result);
            *result = Out(GuestOps.Iter(proxy));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, IterName);
        }
    }

    private const string NextName = "pyproxy_next";
    [UnmanagedCallersOnly(EntryPoint = NextName)]
    public static nint Next(nint token, NativeValue* sent, NativeValue* value, byte* done)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(value, "out_value");
            Require.NotNull(done, "out_done");
            var sink = new NativeResult(value);
            bool finished = GuestOps.Next(proxy, new NativeArgs(sent, sent == null ? 0 : 1, "sent value"), ref sink);
            *done = finished ? (byte)1 : (byte)0;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, NextName);
        }
    }

    private const string ToJsName = "pyproxy_to_js";
    [UnmanagedCallersOnly(EntryPoint = ToJsName)]
    public static nint ToJs(nint token, int depth, NativeValue* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(result);
            if (depth < -1) throw new ArgumentException($"depth is {depth}; it must be -1 (unlimited) or >= 0");
            var sink = new NativeTree(result);
            GuestOps.ToJs(proxy, depth, ref sink);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, ToJsName);
        }
    }

    private const string CopyName = "pyproxy_copy";
    [UnmanagedCallersOnly(EntryPoint = CopyName)]
    public static nint Copy(nint token, nint* result)
    {
        try
        {
            var proxy = NativeCodec.Proxy(token);
            Require.NotNull(result);
            *result = Out(GuestOps.Copy(proxy));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, CopyName);
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
