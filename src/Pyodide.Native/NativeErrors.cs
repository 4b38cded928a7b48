using System.Runtime.InteropServices;
using System.Text;

namespace Pyodide.Native;

/// <summary>An owned <c>pyodide_error_t</c>: kind and NUL-terminated UTF-8 strings
/// in native memory, valid until <c>pyodide_error_delete</c>.</summary>
internal sealed unsafe class NativeError
{
    public readonly PyodideErrorKind Kind;
    public readonly byte* Type;
    public readonly byte* Message;
    /// <summary>The status of the os._exit that ended the runtime, if one did.</summary>
    public readonly int? ExitStatus;

    public NativeError(PyodideErrorKind kind, string type, string message, int? exitStatus = null)
    {
        Kind = kind;
        Type = NativeStrings.Copy(type);
        Message = NativeStrings.Copy(message);
        ExitStatus = exitStatus;
    }

    public void Free()
    {
        NativeMemory.Free(Type);
        NativeMemory.Free(Message);
    }
}

/// <summary>Turns exceptions into <c>pyodide_error_t*</c>: the one place that decides
/// an error's kind.</summary>
internal static class NativeErrors
{
    public static readonly HandleTable<NativeError> Table = new(0x5045, "pyodide_error_t");

    /// <summary>The error for an exception caught at the export <paramref name="function"/>.</summary>
    public static nint From(Exception e, string function)
    {
        var (kind, type, message) = e switch
        {
            PythonException p => (PyodideErrorKind.Python, p.PythonType, p.Traceback),
            PyodideException p => (p.Kind, TypeName(p.Kind), $"{function}: {p.Message}"),
            // ObjectDisposedException appends "Object name: ..." on a second line.
            ArgumentException or ObjectDisposedException or InvalidOperationException =>
                (PyodideErrorKind.Usage, TypeName(PyodideErrorKind.Usage), $"{function}: {e.Message.Split('\n')[0]}"),
            OutOfMemoryException =>
                (PyodideErrorKind.Limit, TypeName(PyodideErrorKind.Limit), $"{function}: out of host memory"),
            _ => (PyodideErrorKind.Fatal, TypeName(PyodideErrorKind.Fatal),
                  $"{function}: internal error (a bug in Pyodide.Native): {e.GetType().Name}: {e.Message}"),
        };
        return New(kind, type, message, (e as PyodideException)?.ExitStatus);
    }

    public static nint New(PyodideErrorKind kind, string type, string message, int? exitStatus = null)
    {
        try
        {
            return Table.Add(new NativeError(kind, type, message, exitStatus));
        }
        catch (OutOfMemoryException)
        {
            return 0; // cannot even report: the least bad answer
        }
    }

    public static string TypeName(PyodideErrorKind kind) => kind switch
    {
        PyodideErrorKind.Python => "PythonError",
        PyodideErrorKind.Usage => "UsageError",
        PyodideErrorKind.Limit => "LimitError",
        PyodideErrorKind.IO => "IOError",
        _ => "FatalError",
    };
}

/// <summary>UTF-8 strings crossing the C ABI.</summary>
internal static unsafe class NativeStrings
{
    /// <summary>A malloc'd NUL-terminated UTF-8 copy; free with NativeMemory.Free.</summary>
    public static byte* Copy(string text) => Copy(text, out _);

    /// <summary><see cref="Copy(string)"/>, also giving the length in bytes.</summary>
    public static byte* Copy(string text, out int length)
    {
        length = Encoding.UTF8.GetByteCount(text);
        byte* p = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(text, new Span<byte>(p, length));
        p[length] = 0;
        return p;
    }

    /// <summary>A malloc'd NUL-terminated copy of raw bytes.</summary>
    public static byte* Copy(ReadOnlySpan<byte> bytes)
    {
        byte* p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        p[bytes.Length] = 0;
        return p;
    }

    /// <summary>The caller's bytes: <paramref name="length"/> of them, or up to the
    /// NUL when it is PYODIDE_STRLEN. Checked to be valid UTF-8.</summary>
    public static ReadOnlySpan<byte> Input(byte* text, nuint length, string what)
    {
        if (text == null) throw new ArgumentException($"{what} is NULL");
        ReadOnlySpan<byte> span = length == nuint.MaxValue
            ? MemoryMarshal.CreateReadOnlySpanFromNullTerminated(text)
            : length > int.MaxValue ? throw new ArgumentException($"{what} is longer than 2 GiB")
            : new ReadOnlySpan<byte>(text, (int)length);
        if (!System.Text.Unicode.Utf8.IsValid(span)) throw new ArgumentException($"{what} is not valid UTF-8");
        return span;
    }

    /// <summary><see cref="Input"/> as text for the guest (code, a name).</summary>
    public static Utf8Text Text(byte* text, nuint length, string what)
    {
        var span = Input(text, length, what);
        return new Utf8Text(text, span.Length);
    }

    /// <summary>A NUL-terminated UTF-8 argument as a .NET string.</summary>
    public static string InputString(byte* text, string what) =>
        Encoding.UTF8.GetString(Input(text, nuint.MaxValue, what));
}

/// <summary>Checks of the pointers a C caller passes.</summary>
internal static unsafe class Require
{
    /// <summary>An <see cref="ArgumentException"/> ("out is NULL") unless <paramref name="pointer"/>
    /// is set: every required pointer argument, out-parameters included.</summary>
    public static void NotNull(void* pointer, string what = "out")
    {
        if (pointer == null) throw new ArgumentException($"{what} is NULL");
    }
}
