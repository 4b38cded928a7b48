namespace Pyodide.Guest;

/// <summary>A runtime's standard streams as the guest's imports serve them: where
/// sys.stdout and sys.stderr go (the host's handlers, or the process's own fds 1 and 2),
/// what sys.stdin reads, and what each stream's <c>isatty()</c> says.</summary>
internal sealed class GuestStreams
{
    // The process's own fds, written directly: System.Console would initialise
    // the terminal (and emit escape sequences) when they are a TTY.
    private static readonly Stream ProcessStdout = OpenProcessStream(1);
    private static readonly Stream ProcessStderr = OpenProcessStream(2);

    private readonly bool _stdoutIsTerminal, _stderrIsTerminal;
    private readonly Func<int, (int Columns, int Lines)?> _terminalSize;

    public GuestStreams(PyodideOptions options)
    {
        Stdout = options.Stdout ?? (text => ProcessStdout.Write(text));
        Stderr = options.Stderr ?? (text => ProcessStderr.Write(text));
        Stdin = options.Stdin;
        _stdoutIsTerminal = options.Stdout != null ? options.StdoutIsTerminal : ProcessFdStream.IsTerminal(1);
        _stderrIsTerminal = options.Stderr != null ? options.StderrIsTerminal : ProcessFdStream.IsTerminal(2);
        // The host's answer when it gives one; else a stream that is the process's own fd
        // answers with that fd's terminal.
        bool stdoutIsProcess = options.Stdout == null, stderrIsProcess = options.Stderr == null;
        _terminalSize = options.TerminalSize
            ?? (fd => (fd == 1 && stdoutIsProcess) || (fd == 2 && stderrIsProcess) ? ProcessFdStream.TerminalSize(fd) : null);
        Terminal = new HostTerminal(this);
    }

    /// <summary>The terminal behind the streams, as termios sees it.</summary>
    public HostTerminal Terminal { get; }

    /// <summary>Receives sys.stdout.</summary>
    public PyodideOutputHandler Stdout { get; }

    /// <summary>Receives sys.stderr.</summary>
    public PyodideOutputHandler Stderr { get; }

    /// <summary>Supplies sys.stdin; null = none.</summary>
    public PyodideInput? Stdin { get; }

    /// <summary>Whether the stream on guest fd <paramref name="fd"/> (0, 1 or 2) is a terminal.</summary>
    public bool IsTerminal(int fd) => fd switch
    {
        0 => Stdin?.IsTerminal == true,
        1 => _stdoutIsTerminal,
        2 => _stderrIsTerminal,
        _ => false,
    };

    /// <summary>The WASI errno Python's write raises for an output stream that failed with
    /// <paramref name="e"/>: the system error in its HResult, as .NET's streams report one
    /// (a raw errno on Linux and macOS, an HRESULT of a Win32 error on Windows), or EIO.</summary>
    public static int WriteError(IOException e)
    {
        const int WindowsBrokenPipe = unchecked((int)0x8007006D), WindowsPipeClosing = unchecked((int)0x800700E8);
        int errno = e.HResult switch
        {
            WindowsBrokenPipe or WindowsPipeClosing => OpenFiles.Epipe,
            > 0 and < 4096 => e.HResult,
            _ => 0,
        };
        return OpenFiles.Wasi(errno);
    }

    /// <summary>The size of the terminal the stream on guest fd <paramref name="fd"/> shows
    /// on, as the <c>terminal_size</c> import answers: columns &lt;&lt; 16 | lines, or 0 when
    /// it is not a terminal.</summary>
    public int TerminalSize(int fd) =>
        _terminalSize(fd) is (var columns, var lines) && columns is > 0 and <= ushort.MaxValue && lines is > 0 and <= ushort.MaxValue
            ? columns << 16 | lines
            : 0;

    private static Stream OpenProcessStream(int fd)
    {
        if (OperatingSystem.IsWindows()) return fd == 1 ? Console.OpenStandardOutput() : Console.OpenStandardError();
        return new ProcessFdStream(fd);
    }
}
