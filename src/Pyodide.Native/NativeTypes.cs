using System.Runtime.InteropServices;

namespace Pyodide.Native;

/// <summary><c>pyodide_value_t</c> (include/pyodide.h): a 4-byte kind, then a
/// 24-byte union at offset 8.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal unsafe struct NativeValue
{
    public const int None = 0, Bool = 1, Int = 2, Float = 3, Str = 4, Bytes = 5, List = 6, Dict = 7, Proxy = 8;

    [FieldOffset(0)] public int Kind;
    [FieldOffset(8)] public byte B;
    [FieldOffset(8)] public long I;
    [FieldOffset(8)] public double F;
    /// <summary>STR/BYTES data, LIST items, DICT keys, or the proxy token.</summary>
    [FieldOffset(8)] public nint Ptr;
    /// <summary>STR/BYTES/LIST length, or DICT values.</summary>
    [FieldOffset(16)] public nint Second;
    /// <summary>DICT length.</summary>
    [FieldOffset(24)] public nuint Third;
}

/// <summary><c>pyodide_mount_t</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeMount
{
    public byte* HostPath;
    public byte* GuestPath;
    public byte ReadOnly;
}

/// <summary><c>pyodide_config_t</c> (104 bytes on 64-bit hosts). Callers built against an
/// earlier layout (80 bytes: up to <c>io_env</c>; 88: with <c>unguarded</c>) still work:
/// the fields past their <c>size</c> take their defaults.</summary>
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
