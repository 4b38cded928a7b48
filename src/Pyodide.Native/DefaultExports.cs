using System.Runtime.InteropServices;

namespace Pyodide.Native;

/// <summary>The process-wide default runtime of the C ABI, pyodide_default: Pyodide 0.17's
/// deprecated global <c>pyodide</c> and its <c>languagePluginLoader</c> promise. Loaded
/// once, on first use, exactly as <c>pyodide_load(NULL, ...)</c> loads (so
/// PYODIDE_ASSET_DIR and PYODIDE_INDEX_URL apply). Every export catches every exception.</summary>
internal static unsafe class DefaultExports
{
    private static readonly Lock Gate = new();
    private static bool s_settled;
    private static nint s_token;
    private static Exception? s_failure;

    private const string DefaultName = "pyodide_default";
    [UnmanagedCallersOnly(EntryPoint = DefaultName)]
    public static nint Default(nint* result)
    {
        try
        {
            Require.NotNull(result);
            // One load however many threads race here: the others wait on the lock.
            // Settled for good either way: a failure is kept and reported to every
            // later caller (a new error each), as Pyodide 0.17's rejected loader promise.
            lock (Gate)
            {
                if (!s_settled)
                {
                    try
                    {
                        // The runtime is never destroyed; its home directory goes at exit.
                        ExitHandler.Register();
                        var runtime = PyodideRuntime.AsProcessDefault(PyodideRuntime.Load(RuntimeExports.Options(null)));
                        s_token = RuntimeExports.Runtimes.Add(runtime);
                    }
                    catch (Exception e)
                    {
                        s_failure = e;
                    }
                    s_settled = true;
                }
            }
            if (s_failure != null) return NativeErrors.From(s_failure, DefaultName);
            *result = s_token;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, DefaultName);
        }
    }
}
