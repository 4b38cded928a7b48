using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Pyodide.Operations;

namespace Pyodide.Native;

/// <summary>The runtime half of the C ABI: config, load/destroy, run_python, globals,
/// values. Every export catches every exception: one escaping an
/// [UnmanagedCallersOnly] method would kill the host process.</summary>
internal static unsafe class RuntimeExports
{
    public static readonly HandleTable<PyodideRuntime> Runtimes = new(0x5052, "pyodide_t");

    private static readonly nuint ConfigSize = (nuint)sizeof(NativeConfig);

    /// <summary>The earlier pyodide_config_t layouts, which older callers pass: the first,
    /// up to io_env; the second, with unguarded; the third, with stdin_fn and stdin_isatty;
    /// the fourth, with snapshot; the fifth, with stdout_isatty and stderr_isatty; the
    /// sixth, with stdout_status_fn and stderr_status_fn.</summary>
    private static readonly nuint ConfigSizeV1 = (nuint)Marshal.OffsetOf<NativeConfig>(nameof(NativeConfig.Unguarded));
    private static readonly nuint ConfigSizeV2 = (nuint)Marshal.OffsetOf<NativeConfig>(nameof(NativeConfig.StdinFn));
    private static readonly nuint ConfigSizeV3 = (nuint)Marshal.OffsetOf<NativeConfig>(nameof(NativeConfig.Snapshot));
    private static readonly nuint ConfigSizeV4 = (nuint)Marshal.OffsetOf<NativeConfig>(nameof(NativeConfig.StdoutIsatty));
    private static readonly nuint ConfigSizeV5 = (nuint)Marshal.OffsetOf<NativeConfig>(nameof(NativeConfig.StdoutStatusFn));
    private static readonly nuint ConfigSizeV6 = (nuint)Marshal.OffsetOf<NativeConfig>(nameof(NativeConfig.TerminalSizeFn));
    private static readonly nuint[] EarlierConfigSizes = [ConfigSizeV1, ConfigSizeV2, ConfigSizeV3, ConfigSizeV4, ConfigSizeV5, ConfigSizeV6];

    [UnmanagedCallersOnly(EntryPoint = "pyodide_config_init")]
    public static void ConfigInit(NativeConfig* config)
    {
        if (config == null) return;
        *config = default;
        config->Size = ConfigSize;
    }

    /// <summary>PyodideRuntime.Version, NUL-terminated, at an address that never moves.</summary>
    private static readonly byte[] VersionUtf8 = NulTerminated(PyodideRuntime.Version);

    private static byte[] NulTerminated(string text)
    {
        var bytes = GC.AllocateArray<byte>(System.Text.Encoding.UTF8.GetByteCount(text) + 1, pinned: true);
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_version")]
    public static byte* Version() => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(VersionUtf8));

    [UnmanagedCallersOnly(EntryPoint = "pyodide_version_number")]
    public static uint VersionNumber() => HeaderVersion.Number;

    /// <summary>The runtime behind a <c>pyodide_t*</c> argument.</summary>
    public static PyodideRuntime Runtime(nint token) => Runtimes.Get(token, "runtime");

    private const string LoadName = "pyodide_load";
    [UnmanagedCallersOnly(EntryPoint = LoadName)]
    public static nint Load(NativeConfig* config, nint* result)
    {
        try
        {
            Require.NotNull(result);
            ExitHandler.Register(); // a runtime never destroyed leaves no directory behind
            var runtime = PyodideRuntime.Load(Options(config));
            *result = Runtimes.Add(runtime);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, LoadName);
        }
    }

    internal static PyodideOptions Options(NativeConfig* config)
    {
        if (config == null) return new PyodideOptions { AssetDir = DefaultAssetDir() };
        // An earlier layout, the current one, or a larger, newer one.
        if (config->Size < ConfigSize && Array.IndexOf(EarlierConfigSizes, config->Size) < 0)
            throw new ArgumentException($"config->size is {config->Size}, expected {ConfigSize} (call pyodide_config_init)");
        bool unguarded = config->Size >= ConfigSizeV2 && config->Unguarded != 0;
        var stdinFn = config->Size >= ConfigSizeV3 ? config->StdinFn : null;
        bool stdinIsatty = config->Size >= ConfigSizeV3 && config->StdinIsatty != 0;
        byte* snapshot = config->Size >= ConfigSizeV4 ? config->Snapshot : null;
        bool stdoutIsatty = config->Size >= ConfigSizeV5 && config->StdoutIsatty != 0;
        bool stderrIsatty = config->Size >= ConfigSizeV5 && config->StderrIsatty != 0;
        var stdoutStatusFn = config->Size >= ConfigSizeV6 ? config->StdoutStatusFn : null;
        var stderrStatusFn = config->Size >= ConfigSizeV6 ? config->StderrStatusFn : null;
        var terminalSizeFn = config->Size >= ConfigSize ? config->TerminalSizeFn : null;
        if (!double.IsFinite(config->TimeoutSeconds) || config->TimeoutSeconds < 0)
            throw new ArgumentException($"config->timeout_s is {config->TimeoutSeconds}; it must be a finite number >= 0");
        if (config->MountCount > 0 && config->Mounts == null)
            throw new ArgumentException($"config->mounts is NULL but nmounts is {config->MountCount}");
        if (config->MountCount > 1024) throw new ArgumentException($"config->nmounts is {config->MountCount}");

        var mounts = new List<PyodideMount>();
        for (nuint i = 0; i < config->MountCount; i++)
        {
            NativeMount* m = &config->Mounts[i];
            mounts.Add(new PyodideMount(
                NativeStrings.InputString(m->HostPath, $"config->mounts[{i}].host_path"),
                NativeStrings.InputString(m->GuestPath, $"config->mounts[{i}].guest_path"),
                m->ReadOnly != 0));
        }
        void* env = config->IoEnv;
        var stdoutFn = config->StdoutFn;
        var stderrFn = config->StderrFn;
        return new PyodideOptions
        {
            AssetDir = config->AssetDir != null ? NativeStrings.InputString(config->AssetDir, "config->asset_dir") : DefaultAssetDir(),
            IndexUrl = config->IndexUrl != null ? NativeStrings.InputString(config->IndexUrl, "config->index_url") : null,
            MemoryLimit = config->MemoryLimit,
            Timeout = config->TimeoutSeconds > 0 && config->TimeoutSeconds < Limits.MaxTimeoutSeconds ? TimeSpan.FromSeconds(config->TimeoutSeconds) : null,
            Mounts = mounts,
            Unguarded = unguarded,
            Stdout = Output(stdoutStatusFn, stdoutFn, env, "stdout_status_fn"),
            Stderr = Output(stderrStatusFn, stderrFn, env, "stderr_status_fn"),
            StdoutIsTerminal = stdoutIsatty,
            StderrIsTerminal = stderrIsatty,
            TerminalSize = terminalSizeFn == null ? null : fd => TerminalSizeFrom(terminalSizeFn, env, fd),
            Stdin = stdinFn == null ? null : new PyodideInput(buffer => ReadFrom(stdinFn, env, buffer)) { IsTerminal = stdinIsatty },
            Snapshot = snapshot != null ? NativeStrings.InputString(snapshot, "config->snapshot") : null,
        };
    }

    /// <summary>Calls a host's <c>stdin_fn</c>; -1 (or any answer that does not fit the
    /// buffer) becomes an OSError in Python.</summary>
    private static int ReadFrom(delegate* unmanaged<void*, byte*, nuint, nint> fn, void* env, Span<byte> buffer)
    {
        nint n;
        fixed (byte* p = buffer) n = fn(env, p, (nuint)buffer.Length);
        if (n < 0 || n > buffer.Length)
            throw new IOException(n == -1 ? "stdin_fn reported an error" : $"stdin_fn returned {n} for a {buffer.Length}-byte buffer");
        return (int)n;
    }

    /// <summary>Calls a host's <c>terminal_size_fn</c>: the size it gives, or null.</summary>
    private static (int Columns, int Lines)? TerminalSizeFrom(delegate* unmanaged<void*, int, int*, int*, byte> fn, void* env, int fd)
    {
        int columns = 0, lines = 0;
        return fn(env, fd, &columns, &lines) != 0 ? (columns, lines) : null;
    }

    /// <summary>The handler a stream's callbacks make: the status callback when set (an
    /// errno it returns fails Python's write, see GuestStreams.WriteError), else the plain
    /// one; null (the process's own stream) without either.</summary>
    private static PyodideOutputHandler? Output(delegate* unmanaged<void*, byte*, nuint, int> statusFn,
                                                delegate* unmanaged<void*, byte*, nuint, void> fn, void* env, string name)
    {
        if (statusFn != null)
            return text =>
            {
                int errno;
                fixed (byte* p = text) errno = statusFn(env, p, (nuint)text.Length);
                if (errno != 0) throw new IOException($"{name} reported errno {errno}", errno);
            };
        if (fn != null) return text => { fixed (byte* p = text) fn(env, p, (nuint)text.Length); };
        return null;
    }

    /// <summary>$PYODIDE_ASSET_DIR when set and not empty (deprecated, see pyodide_default),
    /// else the pyodide/ folder beside libpyodide.so, wherever the host process lives.</summary>
    private static string DefaultAssetDir()
    {
        if (PyodideOptions.FromEnvironment(PyodideOptions.AssetDirVariable) is { } fromEnvironment) return fromEnvironment;
        if (OperatingSystem.IsLinux())
        {
            DlInfo info;
            delegate* unmanaged<NativeConfig*, nint*, nint> self = &Load;
            if (dladdr(self, &info) != 0 && info.FileName != null)
            {
                string library = Marshal.PtrToStringUTF8((nint)info.FileName)!;
                return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(library))!, "pyodide");
            }
        }
        return PyodideOptions.DefaultAssetDir;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public byte* FileName;
        public void* FileBase;
        public byte* SymbolName;
        public void* SymbolAddress;
    }

    [DllImport("libc.so.6")]
    private static extern int dladdr(void* address, DlInfo* info);

    [UnmanagedCallersOnly(EntryPoint = "pyodide_destroy")]
    public static void Destroy(nint token)
    {
        try
        {
            var runtime = Runtimes.TryGet(token);
            if (runtime == null || runtime.IsProcessDefault) return; // pyodide_default's lives until exit
            runtime.Dispose();
            Runtimes.Remove(token);
        }
        catch (Exception)
        {
            // Destroying from inside one of the runtime's own callbacks: refused,
            // the runtime stays usable; nothing to report from a void function.
        }
    }

    private const string InterruptName = "pyodide_interrupt";
    [UnmanagedCallersOnly(EntryPoint = InterruptName)]
    public static nint Interrupt(nint token)
    {
        try
        {
            // No runtime lock: the call to interrupt holds it.
            Runtime(token).Interrupt();
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, InterruptName);
        }
    }

    private const string SignalName = "pyodide_signal";
    [UnmanagedCallersOnly(EntryPoint = SignalName)]
    public static nint Signal(nint token, int signum, int* action)
    {
        try
        {
            // No runtime lock, as for pyodide_interrupt: a running call holds it.
            var delivered = Runtime(token).Signal(signum);
            if (action != null) *action = (int)delivered;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, SignalName);
        }
    }

    private const string SetTimeoutName = "pyodide_set_timeout";
    [UnmanagedCallersOnly(EntryPoint = SetTimeoutName)]
    public static nint SetTimeout(nint token, double seconds)
    {
        try
        {
            Runtime(token).TimeoutSeconds = seconds;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, SetTimeoutName);
        }
    }

    private const string SnapshotSaveName = "pyodide_snapshot_save";
    [UnmanagedCallersOnly(EntryPoint = SnapshotSaveName)]
    public static nint SnapshotSave(nint token, byte* path)
    {
        try
        {
            var runtime = Runtime(token);
            runtime.SaveSnapshot(NativeStrings.InputString(path, "path"));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, SnapshotSaveName);
        }
    }

    private const string RunPythonName = "pyodide_run_python";
    [UnmanagedCallersOnly(EntryPoint = RunPythonName)]
    public static nint RunPython(nint token, byte* code, nuint length, nint globals, NativeValue* result)
    {
        try
        {
            var runtime = Runtime(token);
            var source = NativeStrings.Text(code, length, "code");
            var scope = globals == 0 ? null : NativeCodec.Proxy(globals, "globals");
            var sink = new NativeResult(result);
            GuestOps.Run(runtime, source, scope, null, ref sink);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, RunPythonName);
        }
    }

    private const string PyImportName = "pyodide_pyimport";
    [UnmanagedCallersOnly(EntryPoint = PyImportName)]
    public static nint PyImport(nint token, byte* name, NativeValue* result)
    {
        try
        {
            var runtime = Runtime(token);
            string key = NativeStrings.InputString(name, "name");
            Require.NotNull(result);
#pragma warning disable CS0618 // the deprecated function of Pyodide 0.17's API maps onto the deprecated member
            NativeCodec.FromManaged(runtime.PyImport(key), result);
#pragma warning restore CS0618
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, PyImportName);
        }
    }

    private const string PyodidePyName = "pyodide_pyodide_py";
    [UnmanagedCallersOnly(EntryPoint = PyodidePyName)]
    public static nint PyodidePy(nint token, nint* result)
    {
        try
        {
            var runtime = Runtime(token);
            Require.NotNull(result);
            *result = ProxyExports.Out(runtime.PyodidePy());
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, PyodidePyName);
        }
    }

    private const string GlobalsName = "pyodide_globals";
    [UnmanagedCallersOnly(EntryPoint = GlobalsName)]
    public static nint Globals(nint token, nint* result)
    {
        try
        {
            var runtime = Runtime(token);
            Require.NotNull(result);
            *result = ProxyExports.Out(GuestOps.Globals(runtime, ownedByRuntime: false));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, GlobalsName);
        }
    }

    private const string ToPyName = "pyodide_to_py";
    [UnmanagedCallersOnly(EntryPoint = ToPyName)]
    public static nint ToPy(nint token, NativeValue* value, int depth, nint* result)
    {
        try
        {
            var runtime = Runtime(token);
            Require.NotNull(value, "value");
            Require.NotNull(result);
            if (depth < -1) throw new ArgumentException($"depth is {depth}; it must be -1 (unlimited) or >= 0");
            *result = ProxyExports.Out(GuestOps.ToPy(runtime, new NativeArgs(value, 1, "the value"), depth));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, ToPyName);
        }
    }

    private const string StatsName = "pyodide_stats";
    [UnmanagedCallersOnly(EntryPoint = StatsName)]
    public static nint Stats(nint token, NativeStats* result)
    {
        try
        {
            var runtime = Runtime(token);
            Require.NotNull(result);
            if (result->Size < (nuint)sizeof(NativeStats))
                throw new ArgumentException($"out->size is {result->Size}, expected {sizeof(NativeStats)} (sizeof(pyodide_stats_t))");
            result->MemoryBytes = runtime.MemorySize;
            result->GuestObjects = runtime.HostHeldObjects;
            result->ProcessProxies = (ulong)NativeCodec.Proxies.Count;
            result->ProcessBuffers = (ulong)BufferExports.Buffers.Count;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, StatsName);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_value_release")]
    public static void ValueRelease(NativeValue* value)
    {
        try
        {
            if (value != null) NativeCodec.Release(value);
        }
        catch (Exception)
        {
            // Nothing to report from a void function; the value is left as it was.
        }
    }
}
