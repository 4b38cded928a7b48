namespace Pyodide;

/// <summary>What Python does with a signal (<see cref="PyodideRuntime.Signal"/>), as the C
/// ABI's <c>pyodide_signal_action_t</c> names it.</summary>
public enum PyodideSignalAction
{
    /// <summary>Python's default (<c>signal.SIG_DFL</c>, or SIGINT's own handler): nothing was delivered.</summary>
    Default = 0,
    /// <summary>Python ignores the signal (<c>signal.SIG_IGN</c>): nothing was delivered.</summary>
    Ignored = 1,
    /// <summary>Python has a handler of its own: it was delivered, and the handler runs.</summary>
    Handled = 2,
}

/// <summary>What went wrong, as the C ABI's <c>pyodide_error_kind_t</c> names it.</summary>
public enum PyodideErrorKind
{
    /// <summary>A Python exception.</summary>
    Python = 1,
    /// <summary>API misuse: a disposed object, a bad argument.</summary>
    Usage,
    /// <summary>A memory or time limit was hit, or the call was interrupted.</summary>
    Limit,
    /// <summary>A package or file could not be loaded.</summary>
    IO,
    /// <summary>The interpreter trapped and the runtime is dead.</summary>
    Fatal,
}

/// <summary>An error reported by the runtime (other than plain argument misuse,
/// which raises the usual <see cref="ArgumentException"/> family).</summary>
public class PyodideException : Exception
{
    /// <summary>Creates an error of the given kind.</summary>
    public PyodideException(PyodideErrorKind kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    /// <summary>The kind of error.</summary>
    public PyodideErrorKind Kind { get; }

    /// <summary>The status Python passed to <c>os._exit</c> when it ended the runtime
    /// that way (a <see cref="PyodideErrorKind.Fatal"/> error: the runtime is dead, as a
    /// python3 process that called it would be); null for any other error.</summary>
    public int? ExitStatus { get; init; }
}

/// <summary>A Python exception that escaped into the host.</summary>
public sealed class PythonException : PyodideException
{
    /// <summary>Creates the host view of a Python exception.</summary>
    public PythonException(string pythonType, string traceback)
        : base(PyodideErrorKind.Python, traceback) => PythonType = pythonType;

    /// <summary>The exception's class name, e.g. <c>ZeroDivisionError</c>.</summary>
    public string PythonType { get; }

    /// <summary>The traceback exactly as Python prints it.</summary>
    public string Traceback => Message;
}
