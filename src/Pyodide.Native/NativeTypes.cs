using System.Runtime.InteropServices;

namespace Pyodide.Native;

/// <summary><c>pyodide_value_t</c> (include/pyodide.h): a 4-byte kind, then a
/// 24-byte union at offset 8, one field per member of the C union.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal unsafe struct NativeValue
{
    public const int None = 0, Bool = 1, Int = 2, Float = 3, Str = 4, Bytes = 5, List = 6, Dict = 7, Proxy = 8, Host = 9;

    [FieldOffset(0)] public int Kind;
    /// <summary>BOOL: <c>of.b</c> (a C bool: 0 or 1).</summary>
    [FieldOffset(8)] public byte BoolValue;
    /// <summary>INT: <c>of.i</c>.</summary>
    [FieldOffset(8)] public long IntValue;
    /// <summary>FLOAT: <c>of.f</c>.</summary>
    [FieldOffset(8)] public double FloatValue;
    /// <summary>STR and BYTES: <c>of.str.ptr</c>.</summary>
    [FieldOffset(8)] public byte* StrData;
    /// <summary>STR and BYTES: <c>of.str.len</c> (for STR input, PYODIDE_STRLEN = NUL-terminated).</summary>
    [FieldOffset(16)] public nuint StrLen;
    /// <summary>LIST: <c>of.list.items</c>.</summary>
    [FieldOffset(8)] public NativeValue* ListItems;
    /// <summary>LIST: <c>of.list.len</c>.</summary>
    [FieldOffset(16)] public nuint ListLen;
    /// <summary>DICT: <c>of.dict.keys</c>.</summary>
    [FieldOffset(8)] public NativeValue* DictKeys;
    /// <summary>DICT: <c>of.dict.values</c>.</summary>
    [FieldOffset(16)] public NativeValue* DictValues;
    /// <summary>DICT: <c>of.dict.len</c>.</summary>
    [FieldOffset(24)] public nuint DictLen;
    /// <summary>PROXY: <c>of.proxy</c>, a <c>pyproxy_t*</c> token.</summary>
    [FieldOffset(8)] public nint ProxyToken;
    /// <summary>HOST: <c>of.host.cls</c>, the caller's <c>pyodide_host_class_t*</c>.</summary>
    [FieldOffset(8)] public NativeHostClassLayout* HostClass;
    /// <summary>HOST: <c>of.host.obj</c>.</summary>
    [FieldOffset(16)] public nint HostObject;
}

/// <summary><c>pyodide_mount_t</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeMount
{
    public byte* HostPath;
    public byte* GuestPath;
    public byte ReadOnly;
}

/// <summary><c>pyodide_config_t</c> (144 bytes on 64-bit hosts). Callers built against an
/// earlier layout (80 bytes: up to <c>io_env</c>; 88: with <c>unguarded</c>; 104: with
/// <c>stdin_fn</c> and <c>stdin_isatty</c>; 112: with <c>snapshot</c>; 120: with
/// <c>stdout_isatty</c> and <c>stderr_isatty</c>; 136: with <c>stdout_status_fn</c> and
/// <c>stderr_status_fn</c>) still work: the fields past their <c>size</c> take their
/// defaults.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeConfig
{
    public nuint Size;
    public byte* AssetDir;
    public byte* IndexUrl;
    public ulong MemoryLimit;
    public double TimeoutSeconds;
    public NativeMount* Mounts;
    public nuint MountCount;
    public delegate* unmanaged<void*, byte*, nuint, void> StdoutFn;
    public delegate* unmanaged<void*, byte*, nuint, void> StderrFn;
    public void* IoEnv;
    // Each extension is read only when Size covers it.
    public byte Unguarded;
    public delegate* unmanaged<void*, byte*, nuint, nint> StdinFn;
    public byte StdinIsatty;
    public byte* Snapshot;
    public byte StdoutIsatty;
    public byte StderrIsatty;
    public delegate* unmanaged<void*, byte*, nuint, int> StdoutStatusFn;
    public delegate* unmanaged<void*, byte*, nuint, int> StderrStatusFn;
    public delegate* unmanaged<void*, int, int*, int*, byte> TerminalSizeFn;
}

/// <summary><c>pybuffer_t</c> (96 bytes on 64-bit hosts).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeBuffer
{
    public byte* Data;
    public nint Offset;
    public byte* First;
    public nuint NBytes;
    public nuint ItemSize;
    public nuint NDim;
    public nint* Shape;
    public nint* Strides;
    public nint* ByteStrides;
    public byte* Format;
    public byte ReadOnly;
    public byte CContiguous;
    public byte FContiguous;
    public nint Reserved;
}

/// <summary><c>pyodide_stats_t</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeStats
{
    public nuint Size;
    public ulong MemoryBytes;
    public ulong GuestObjects;
    public ulong ProcessProxies;
    public ulong ProcessBuffers;
}

/// <summary><c>pyodide_host_member_t</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeHostMember
{
    public byte* Name;
    public delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> Fn;
    public NativeValue* Value;
}

/// <summary><c>pyodide_host_class_t</c> (120 bytes on 64-bit hosts). A class built against
/// the first layout (64 bytes: through <c>finalize</c>) still works: the members past its
/// <c>size</c> count as NULL.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeHostClassLayout
{
    public nuint Size;
    public byte* Name;
    public delegate* unmanaged<void*, byte*, nuint, NativeValue*, nint> GetAttr;
    public delegate* unmanaged<void*, byte*, nuint, NativeValue*, nint> SetAttr;
    public delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> Call;
    public delegate* unmanaged<void*, NativeValue*, NativeValue*, nint> GetItem;
    public delegate* unmanaged<void*, nuint*, nint> Length;
    public delegate* unmanaged<void*, void> Finalize;
    // Added after the first layout.
    public delegate* unmanaged<void*, NativeValue*, nint> Dir;
    public delegate* unmanaged<void*, NativeValue*, NativeValue*, nint> SetItem;
    public delegate* unmanaged<void*, NativeValue*, nint> Iter;
    public delegate* unmanaged<void*, NativeValue*, byte*, nint> Next;
    public byte** Methods;
    public nuint MethodCount;
    public delegate* unmanaged<void*, nuint, NativeValue*, nuint, NativeValue*, nint> CallMethod;

    /// <summary>The size of the first layout, the least a caller may pass.</summary>
    public static readonly int FirstLayoutSize = (int)Marshal.OffsetOf<NativeHostClassLayout>(nameof(Dir));
}
