using System.Runtime.InteropServices;
using System.Text;

namespace Pyodide.Native;

/// <summary>The async part of the C ABI: run_python_async, run_pending, await,
/// then/catch/finally and host-completed futures.</summary>
internal static unsafe class AsyncExports
{
    /// <summary>A seconds argument as a wait limit: negative means none.</summary>
    private static TimeSpan? Limit(double seconds, string what)
    {
        if (double.IsNaN(seconds)) throw new ArgumentException($"{what} is NaN");
        return seconds < 0 || seconds >= 1e9 ? null : TimeSpan.FromSeconds(seconds);
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_run_python_async")]
    public static nint RunPythonAsync(nint token, byte* code, nuint length, nint globals, NativeValue* result)
    {
        try
        {
            var runtime = RuntimeExports.Runtimes.Get(token, "runtime");
            string source = Encoding.UTF8.GetString(NativeStrings.Input(code, length, "code"));
            PyProxy? scope = globals == 0 ? null : NativeCodec.Proxies.Get(globals, "globals");
            object? value = runtime.RunPythonAsyncBlocking(source, scope);
            NativeCodec.FromManaged(value, result);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_run_python_async");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_run_pending")]
    public static nint RunPending(nint token, double seconds, byte* idle)
    {
        try
        {
            var runtime = RuntimeExports.Runtimes.Get(token, "runtime");
            bool wentIdle = runtime.RunPending(Limit(seconds, "timeout_s"));
            if (idle != null) *idle = wentIdle ? (byte)1 : (byte)0;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_run_pending");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_await")]
    public static nint Await(nint token, nint awaitable, double seconds, NativeValue* result)
    {
        try
        {
            var runtime = RuntimeExports.Runtimes.Get(token, "runtime");
            var target = NativeCodec.Proxies.Get(awaitable, "awaitable");
            target.HandleFor(runtime);
            NativeCodec.FromManaged(runtime.Await(target, Limit(seconds, "timeout_s")), result);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_await");
        }
    }

    private static nint Chain(nint awaitable, delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> fn, void* env,
                              delegate* unmanaged<void*, void> finalizer, nint* result, PyodideRuntime.ChainKind kind, string function)
    {
        try
        {
            var target = NativeCodec.Proxies.Get(awaitable, "awaitable");
            if (fn == null) throw new ArgumentException("fn is NULL");
            if (result == null) throw new ArgumentException("out is NULL");
            Action? onFinalize = finalizer == null ? null : () => finalizer(env);
            var chained = target.Runtime.Chain(target, new NativeHostFunction(fn, env), onFinalize, kind);
            *result = NativeCodec.Proxies.Add(chained);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, function);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_then")]
    public static nint Then(nint awaitable, delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> fn, void* env,
                            delegate* unmanaged<void*, void> finalizer, nint* result) =>
        Chain(awaitable, fn, env, finalizer, result, PyodideRuntime.ChainKind.Then, "pyproxy_then");

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_catch")]
    public static nint Catch(nint awaitable, delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> fn, void* env,
                             delegate* unmanaged<void*, void> finalizer, nint* result) =>
        Chain(awaitable, fn, env, finalizer, result, PyodideRuntime.ChainKind.Catch, "pyproxy_catch");

    [UnmanagedCallersOnly(EntryPoint = "pyproxy_finally")]
    public static nint Finally(nint awaitable, delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> fn, void* env,
                               delegate* unmanaged<void*, void> finalizer, nint* result) =>
        Chain(awaitable, fn, env, finalizer, result, PyodideRuntime.ChainKind.Finally, "pyproxy_finally");

    [UnmanagedCallersOnly(EntryPoint = "pyodide_future_new")]
    public static nint FutureNew(nint token, nint* result)
    {
        try
        {
            var runtime = RuntimeExports.Runtimes.Get(token, "runtime");
            if (result == null) throw new ArgumentException("out is NULL");
            *result = NativeCodec.Proxies.Add(runtime.CreateFuture());
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_future_new");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_future_resolve")]
    public static nint FutureResolve(nint token, NativeValue* value)
    {
        try
        {
            var future = NativeCodec.Proxies.Get(token, "future");
            if (value == null) throw new ArgumentException("value is NULL");
            var runtime = future.Runtime;
            using var setResult = (PyProxy)future.GetAttr("set_result")!;
            using var call = runtime.Enter();
            uint handle = setResult.HandleFor(runtime);
            NativeCodec.WriteArgs(call.Guest, runtime, value, 1, "value", out uint first);
            NativeCodec.Read(runtime, call.Guest, *call.Guest.Call(handle, first, 1), null);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_future_resolve");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_future_reject")]
    public static nint FutureReject(nint token, nint error)
    {
        try
        {
            var future = NativeCodec.Proxies.Get(token, "future");
            var e = NativeErrors.Table.Get(error, "error");
            string type = e.Kind == PyodideErrorKind.Python ? Marshal.PtrToStringUTF8((nint)e.Type)! : "RuntimeError";
            future.Runtime.RejectFuture(future, type, Marshal.PtrToStringUTF8((nint)e.Message)!);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_future_reject");
        }
    }
}
