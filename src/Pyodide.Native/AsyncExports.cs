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
        return seconds < 0 || seconds >= Limits.MaxTimeoutSeconds ? null : TimeSpan.FromSeconds(seconds);
    }

    private const string RunPythonAsyncName = "pyodide_run_python_async";
    [UnmanagedCallersOnly(EntryPoint = RunPythonAsyncName)]
    public static nint RunPythonAsync(nint token, byte* code, nuint length, nint globals, NativeValue* result)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            string source = Encoding.UTF8.GetString(NativeStrings.Input(code, length, "code"));
            PyProxy? scope = globals == 0 ? null : NativeCodec.Proxy(globals, "globals");
            object? value = runtime.RunPythonAsyncBlocking(source, scope);
            NativeCodec.FromManaged(value, result);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, RunPythonAsyncName);
        }
    }

    private const string RunPendingName = "pyodide_run_pending";
    [UnmanagedCallersOnly(EntryPoint = RunPendingName)]
    public static nint RunPending(nint token, double seconds, byte* idle)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            bool wentIdle = runtime.RunPending(Limit(seconds, "timeout_s"));
            if (idle != null) *idle = wentIdle ? (byte)1 : (byte)0;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, RunPendingName);
        }
    }

    private const string AwaitName = "pyodide_await";
    [UnmanagedCallersOnly(EntryPoint = AwaitName)]
    public static nint Await(nint token, nint awaitable, double seconds, NativeValue* result)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            var target = NativeCodec.Proxy(awaitable, "awaitable");
            target.HandleFor(runtime);
            NativeCodec.FromManaged(runtime.Await(target, Limit(seconds, "timeout_s")), result);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, AwaitName);
        }
    }

    private static nint Chain(nint awaitable, delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> fn, void* env,
                              delegate* unmanaged<void*, void> finalizer, nint* result, PyodideRuntime.ChainKind kind, string function)
    {
        try
        {
            var target = NativeCodec.Proxy(awaitable, "awaitable");
            Require.NotNull(fn, "fn");
            Require.NotNull(result);
            Action? onFinalize = finalizer == null ? null : () => finalizer(env);
            var chained = target.Runtime.Chain(target, new NativeHostFunction(fn, env), onFinalize, kind);
            *result = ProxyExports.Out(chained);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, function);
        }
    }

    private const string ThenName = "pyproxy_then";
    [UnmanagedCallersOnly(EntryPoint = ThenName)]
    public static nint Then(nint awaitable, delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> fn, void* env,
                            delegate* unmanaged<void*, void> finalizer, nint* result) =>
        Chain(awaitable, fn, env, finalizer, result, PyodideRuntime.ChainKind.Then, ThenName);

    private const string CatchName = "pyproxy_catch";
    [UnmanagedCallersOnly(EntryPoint = CatchName)]
    public static nint Catch(nint awaitable, delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> fn, void* env,
                             delegate* unmanaged<void*, void> finalizer, nint* result) =>
        Chain(awaitable, fn, env, finalizer, result, PyodideRuntime.ChainKind.Catch, CatchName);

    private const string FinallyName = "pyproxy_finally";
    [UnmanagedCallersOnly(EntryPoint = FinallyName)]
    public static nint Finally(nint awaitable, delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> fn, void* env,
                               delegate* unmanaged<void*, void> finalizer, nint* result) =>
        Chain(awaitable, fn, env, finalizer, result, PyodideRuntime.ChainKind.Finally, FinallyName);

    private const string FutureNewName = "pyodide_future_new";
    [UnmanagedCallersOnly(EntryPoint = FutureNewName)]
    public static nint FutureNew(nint token, nint* result)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            Require.NotNull(result);
            *result = ProxyExports.Out(runtime.CreateFuture());
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, FutureNewName);
        }
    }

    private const string FutureResolveName = "pyodide_future_resolve";
    [UnmanagedCallersOnly(EntryPoint = FutureResolveName)]
    public static nint FutureResolve(nint token, NativeValue* value)
    {
        try
        {
            var future = NativeCodec.Proxy(token, "future");
            Require.NotNull(value, "value");
            PyodideRuntime.ResolveFuture(future, new NativeArgs(value, 1, "value"));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, FutureResolveName);
        }
    }

    private const string FutureRejectName = "pyodide_future_reject";
    [UnmanagedCallersOnly(EntryPoint = FutureRejectName)]
    public static nint FutureReject(nint token, nint error)
    {
        try
        {
            var future = NativeCodec.Proxy(token, "future");
            var e = NativeErrors.Table.Get(error, "error");
            string type = e.Kind == PyodideErrorKind.Python ? Marshal.PtrToStringUTF8((nint)e.Type)! : "RuntimeError";
            future.Runtime.RejectFuture(future, type, Marshal.PtrToStringUTF8((nint)e.Message)!);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, FutureRejectName);
        }
    }
}
