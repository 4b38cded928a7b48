using System.Runtime.InteropServices;

namespace Pyodide.Guest;

/// <summary>The terminal behind a runtime's standard streams, as termios (bridge/termios.c)
/// reads and sets it: the process's own descriptor of the same number, when the runtime's
/// stream says it is a terminal (<see cref="GuestStreams.IsTerminal"/>) and the process's
/// descriptor is one; pyodide-run's streams are its own. Anything else is ENOTTY, as for a
/// file or a pipe. The modes a runtime changed are put back when it ends, so that code in
/// the sandbox cannot leave the host's terminal without echo or in raw mode. Linux only
/// (its <c>struct termios</c>); elsewhere no stream is a terminal to termios.</summary>
internal sealed unsafe partial class HostTerminal(GuestStreams streams)
{
    /// <summary>What <c>pyodide.terminal</c> passes (bridge/termios.c, terminal_request_t):
    /// the modes (speeds as <c>cfgetispeed</c> gives them) and one command's argument.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Request
    {
        public uint Iflag, Oflag, Cflag, Lflag, Ispeed, Ospeed;
        public fixed byte Cc[ControlCharacters];
        public int Argument;
    }

    public enum Command { Get = 0, Set = 1, Drain = 2, Flush = 3, Flow = 4, SendBreak = 5, GetWindowSize = 6, SetWindowSize = 7 }

    // The modes of each process fd before this runtime first set them.
    private readonly Dictionary<int, byte[]> _original = [];

    /// <summary>Carries out <paramref name="command"/> on the terminal behind guest fd
    /// <paramref name="fd"/>: gets or sets (<see cref="Request.Argument"/>: TCSANOW, TCSADRAIN,
    /// TCSAFLUSH) its modes, drains, flushes (the queue), suspends or resumes (the action),
    /// sends a break (the duration), or gets or sets the window size (rows | columns &lt;&lt; 16).
    /// 0 or a WASI errno.</summary>
    public int Control(int fd, Command command, ref Request request)
    {
        if (!OperatingSystem.IsLinux() || fd is < 0 or > 2 || !streams.IsTerminal(fd) || isatty(fd) != 1) return NotATerminal;
        byte* modes = stackalloc byte[LinuxTermiosSize];
        ushort* window = stackalloc ushort[4]; // struct winsize: rows, columns, two unused
        switch (command)
        {
            case Command.Get:
                if (tcgetattr(fd, modes) != 0) return Error();
                request.Iflag = Field(modes, 0);
                request.Oflag = Field(modes, 1);
                request.Cflag = Field(modes, 2);
                request.Lflag = Field(modes, 3);
                request.Ispeed = cfgetispeed(modes);
                request.Ospeed = cfgetospeed(modes);
                for (int i = 0; i < ControlCharacters; i++) request.Cc[i] = modes[CcOffset + i];
                return 0;
            case Command.Set:
                if (tcgetattr(fd, modes) != 0) return Error(); // keeps what Python does not see (c_line)
                if (!_original.ContainsKey(fd)) _original[fd] = new ReadOnlySpan<byte>(modes, LinuxTermiosSize).ToArray();
                ((uint*)modes)[0] = request.Iflag;
                ((uint*)modes)[1] = request.Oflag;
                ((uint*)modes)[2] = request.Cflag;
                ((uint*)modes)[3] = request.Lflag;
                for (int i = 0; i < ControlCharacters; i++) modes[CcOffset + i] = request.Cc[i];
                if (cfsetispeed(modes, request.Ispeed) != 0 || cfsetospeed(modes, request.Ospeed) != 0) return Error();
                while (tcsetattr(fd, request.Argument, modes) != 0)
                    if (!Interrupted()) return Error();
                return 0;
            case Command.Drain:
                while (tcdrain(fd) != 0)
                    if (!Interrupted()) return Error();
                return 0;
            case Command.Flush: return tcflush(fd, request.Argument) == 0 ? 0 : Error();
            case Command.Flow: return tcflow(fd, request.Argument) == 0 ? 0 : Error();
            case Command.SendBreak: return tcsendbreak(fd, request.Argument) == 0 ? 0 : Error();
            case Command.GetWindowSize:
                if (ioctl(fd, GetWindowSize, window) != 0) return Error();
                request.Argument = window[0] | window[1] << 16;
                return 0;
            case Command.SetWindowSize:
                if (ioctl(fd, GetWindowSize, window) != 0) return Error();
                window[0] = (ushort)request.Argument;
                window[1] = (ushort)(request.Argument >> 16);
                return ioctl(fd, SetWindowSize, window) == 0 ? 0 : Error();
            default:
                return Invalid;
        }
    }

    /// <summary>Puts back the modes of every terminal the runtime changed, as they were before.</summary>
    public void Restore()
    {
        foreach (var (fd, modes) in _original)
            fixed (byte* saved = modes)
                tcsetattr(fd, TcsaNow, saved);
        _original.Clear();
    }

    private static uint Field(byte* modes, int index) => ((uint*)modes)[index];

    private static int Error() => OpenFiles.Wasi(Marshal.GetLastPInvokeError());

    private static bool Interrupted() => Marshal.GetLastPInvokeError() == Eintr;

    // glibc's struct termios: four tcflag_t, c_line, c_cc[NCCS], c_ispeed, c_ospeed.
    private const int LinuxTermiosSize = 60, CcOffset = 17, ControlCharacters = 32;
    private const int TcsaNow = 0, Eintr = 4;
    private const nuint GetWindowSize = 0x5413, SetWindowSize = 0x5414; // TIOCGWINSZ, TIOCSWINSZ
    private const int NotATerminal = 59, Invalid = 28; // WASI's ENOTTY, EINVAL

    [LibraryImport("libc")]
    private static partial int isatty(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcgetattr(int fd, byte* modes);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcsetattr(int fd, int when, byte* modes);

    [LibraryImport("libc")]
    private static partial uint cfgetispeed(byte* modes);

    [LibraryImport("libc")]
    private static partial uint cfgetospeed(byte* modes);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int cfsetispeed(byte* modes, uint speed);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int cfsetospeed(byte* modes, uint speed);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcdrain(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcflush(int fd, int queue);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcflow(int fd, int action);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tcsendbreak(int fd, int duration);

    // Variadic: called only on Linux, where variadic arguments pass as fixed ones do on
    // x86-64 and arm64 (as ProcessFdStream.TerminalSize).
    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, nuint request, ushort* window);
}
