using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pyodide.Native;

/// <summary>Accessors of <c>pyodide_error_t</c>. An invalid error handle reads as a
/// USAGE error with a fixed explanation rather than crashing.</summary>
internal static unsafe class ErrorExports
{
    private static byte* InvalidType => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference("UsageError\0"u8));

    private static byte* InvalidMessage => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(
        "invalid pyodide_error_t (NULL, already deleted, or not an error)\0"u8));

    [UnmanagedCallersOnly(EntryPoint = "pyodide_error_kind")]
    public static int Kind(nint error) => (int)(NativeErrors.Table.TryGet(error)?.Kind ?? PyodideErrorKind.Usage);

    [UnmanagedCallersOnly(EntryPoint = "pyodide_error_type")]
    public static byte* Type(nint error) => NativeErrors.Table.TryGet(error) is { } e ? e.Type : InvalidType;

    [UnmanagedCallersOnly(EntryPoint = "pyodide_error_message")]
    public static byte* Message(nint error) => NativeErrors.Table.TryGet(error) is { } e ? e.Message : InvalidMessage;

    [UnmanagedCallersOnly(EntryPoint = "pyodide_error_exit_status")]
    public static byte ExitStatus(nint error, int* status)
    {
        if (NativeErrors.Table.TryGet(error)?.ExitStatus is not int exit) return 0;
        if (status != null) *status = exit;
        return 1;
    }

    [UnmanagedCallersOnly(EntryPoint = "pyodide_error_delete")]
    public static void Delete(nint error) => NativeErrors.Table.Remove(error)?.Free();
}
