using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Pyodide.Guest;

namespace Pyodide.Native;

/// <summary>The runtime half of the C ABI: config, load/destroy, run_python, globals,
/// values. Every export catches every exception: one escaping an
/// [UnmanagedCallersOnly] method would kill the host process.</summary>
internal static unsafe class RuntimeExports
{
    public static readonly HandleTable<PyodideRuntime> Runtimes = new(0x5052, "pyodide_t");

    private static readonly nuint ConfigSize = (nuint)sizeof(NativeConfig);

    /// <summary>The earlier pyodide_config_t layouts, which older callers pass: the first,
    /// up to io_env, and the second, with unguarded.</summary>
    private static readonly nuint ConfigSizeV1 = (nuint)Marshal.OffsetOf<NativeConfig>(nameof(NativeConfig.Unguarded));
    private static readonly nuint ConfigSizeV2 = (nuint)Marshal.OffsetOf<NativeConfig>(nameof(NativeConfig.StdinFn));

    [UnmanagedCallersOnly(EntryPoint = "pyodide_config_init")]
    public static void ConfigInit(NativeConfig* config)
    {
        if (config == null) return;
        *config = default;
        config->Size = ConfigSize;
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_version")]
    public static byte* Version() => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference("0.1.0\0"u8));

    [UnmanagedCallersOnly(EntryPoint = "pyodide_load")]
    public static nint Load(NativeConfig* config, nint* result)
    {
        try
        {
            if (result == null) return NativeErrors.Usage("pyodide_load", "out is NULL");
            var runtime = PyodideRuntime.Load(Options(config));
            *result = Runtimes.Add(runtime);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_load");
        }
    }

    internal static PyodideOptions Options(NativeConfig* config)
    {
        if (config == null) return new PyodideOptions { AssetDir = DefaultAssetDir() };
        // An earlier layout, the current one, or a larger, newer one.
        if (config->Size != ConfigSizeV1 && config->Size != ConfigSizeV2 && config->Size < ConfigSize)
            throw new ArgumentException($"config->size is {config->Size}, expected {ConfigSize} (call pyodide_config_init)");
        bool unguarded = config->Size >= ConfigSizeV2 && config->Unguarded != 0;
        var stdinFn = config->Size >= ConfigSize ? config->StdinFn : null;
        bool stdinIsatty = config->Size >= ConfigSize && config->StdinIsatty != 0;
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
            // Past ~30 years a deadline means none (TimeSpan could not even hold 1e300 s).
            Timeout = config->TimeoutSeconds > 0 && config->TimeoutSeconds < 1e9 ? TimeSpan.FromSeconds(config->TimeoutSeconds) : null,
            Mounts = mounts,
            Unguarded = unguarded,
            Stdout = stdoutFn == null ? null : text => Forward(stdoutFn, env, text),
            Stderr = stderrFn == null ? null : text => Forward(stderrFn, env, text),
            Stdin = stdinFn == null ? null : new PyodideInput(buffer => ReadFrom(stdinFn, env, buffer)) { IsTerminal = stdinIsatty },
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

    private static void Forward(delegate* unmanaged<void*, byte*, nuint, void> fn, void* env, ReadOnlySpan<byte> text)
    {
        fixed (byte* p = text) fn(env, p, (nuint)text.Length);
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

    [UnmanagedCallersOnly(EntryPoint = "pyodide_interrupt")]
    public static nint Interrupt(nint token)
    {
        try
        {
            // No runtime lock: the call to interrupt holds it.
            Runtimes.Get(token, "runtime").Interrupt();
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_interrupt");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_set_timeout")]
    public static nint SetTimeout(nint token, double seconds)
    {
        try
        {
            Runtimes.Get(token, "runtime").TimeoutSeconds = seconds;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_set_timeout");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_run_python")]
    public static nint RunPython(nint token, byte* code, nuint length, nint globals, NativeValue* result)
    {
        try
        {
            var runtime = Runtimes.Get(token, "runtime");
            var source = NativeStrings.Input(code, length, "code");
            using var call = runtime.Enter();
            uint globalsHandle = globals == 0 ? 0 : NativeCodec.Proxies.Get(globals, "globals").HandleFor(runtime);
            var writer = call.Guest.BeginInput(0, source.Length);
            source.CopyTo(writer.ReserveBytes(source.Length, out uint address));
            Slot* slot = call.Guest.Run(address, (uint)source.Length, globalsHandle);
            NativeCodec.Read(runtime, call.Guest, *slot, result);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_run_python");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_pyimport")]
    public static nint PyImport(nint token, byte* name, NativeValue* result)
    {
        try
        {
            var runtime = Runtimes.Get(token, "runtime");
            string key = NativeStrings.InputString(name, "name");
            if (result == null) throw new ArgumentException("out is NULL");
#pragma warning disable CS0618 // the deprecated seed function maps onto the deprecated member
            NativeCodec.FromManaged(runtime.PyImport(key), result);
#pragma warning restore CS0618
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_pyimport");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_pyodide_py")]
    public static nint PyodidePy(nint token, nint* result)
    {
        try
        {
            var runtime = Runtimes.Get(token, "runtime");
            if (result == null) throw new ArgumentException("out is NULL");
            *result = NativeCodec.Proxies.Add(runtime.PyodidePy());
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_pyodide_py");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_globals")]
    public static nint Globals(nint token, nint* result)
    {
        try
        {
            var runtime = Runtimes.Get(token, "runtime");
            if (result == null) throw new ArgumentException("out is NULL");
            using var call = runtime.Enter();
            *result = NativeCodec.Proxies.Add(new PyProxy(runtime, call.Guest.Globals()));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_globals");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_to_py")]
    public static nint ToPy(nint token, NativeValue* value, int depth, nint* result)
    {
        try
        {
            var runtime = Runtimes.Get(token, "runtime");
            if (value == null) throw new ArgumentException("value is NULL");
            if (result == null) throw new ArgumentException("out is NULL");
            if (depth < -1) throw new ArgumentException($"depth is {depth}; it must be -1 (unlimited) or >= 0");
            if (depth >= 0 && NativeCodec.Nesting(value) > depth)
                throw new ArgumentException($"the value nests more than {depth} levels deep");
            using var call = runtime.Enter();
            NativeCodec.WriteArgs(call.Guest, runtime, value, 1, "value", out uint slot);
            uint handle = call.Guest.ToPy(slot);
            *result = NativeCodec.Proxies.Add(new PyProxy(runtime, handle));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_to_py");
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_stats")]
    public static nint Stats(nint token, NativeStats* result)
    {
        try
        {
            var runtime = Runtimes.Get(token, "runtime");
            if (result == null) throw new ArgumentException("out is NULL");
            if (result->Size < (nuint)sizeof(NativeStats))
                throw new ArgumentException($"out->size is {result->Size}, expected {sizeof(NativeStats)} (sizeof(pyodide_stats_t))");
            using var call = runtime.Enter();
            result->MemoryBytes = call.Guest.MemorySize;
            result->GuestObjects = runtime.HostHeldObjects;
            result->ProcessProxies = (ulong)NativeCodec.Proxies.Count;
            result->ProcessBuffers = (ulong)BufferExports.Buffers.Count;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, "pyodide_stats");
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
