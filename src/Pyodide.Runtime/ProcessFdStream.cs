using System.Runtime.InteropServices;

namespace Pyodide;

/// <summary>Writes to one of the process's own file descriptors (1 or 2) with write(2),
/// as C's stdio does. A FileStream would not do: on a regular file (<c>app &gt; log</c>)
/// it writes at its own position (pwrite), so the host's own output and Python's
/// overwrite each other instead of following one another.</summary>
internal sealed unsafe class ProcessFdStream(int fd) : Stream
{
    private const int EINTR = 4;
    private static readonly int EAGAIN = OperatingSystem.IsLinux() ? 11 : 35; // 35 on macOS and the BSDs

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            byte* p = start;
            nint left = buffer.Length;
            while (left > 0)
            {
                nint written = write(fd, p, left);
                if (written >= 0)
                {
                    p += written;
                    left -= written;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EAGAIN) Thread.Sleep(1); // a non-blocking fd that is full
                else if (errno != EINTR) throw new IOException($"write to file descriptor {fd} failed (errno {errno})", errno);
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() { }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Whether the process's own <paramref name="fd"/> (1 or 2) is a terminal.</summary>
    public static bool IsTerminal(int fd)
    {
        if (OperatingSystem.IsWindows()) return fd == 1 ? !Console.IsOutputRedirected : !Console.IsErrorRedirected;
        return isatty(fd) == 1;
    }

    /// <summary>The size of the terminal the process's own <paramref name="fd"/> is, or
    /// null when it is not one.</summary>
    public static (int Columns, int Lines)? TerminalSize(int fd)
    {
        if (OperatingSystem.IsWindows())
            return IsTerminal(fd) ? (Console.WindowWidth, Console.WindowHeight) : null;
        // ioctl is variadic, which a P/Invoke may only call where variadic arguments pass
        // as fixed ones do (x86-64 and arm64 Linux; not Apple's arm64).
        if (!OperatingSystem.IsLinux()) return null;
        const nuint TIOCGWINSZ = 0x5413;
        ushort* size = stackalloc ushort[4]; // struct winsize: rows, columns, two unused
        if (ioctl(fd, TIOCGWINSZ, size) != 0 || size[0] == 0 || size[1] == 0) return null;
        return (size[1], size[0]);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, byte* buffer, nint count);

    [DllImport("libc")]
    private static extern int ioctl(int fd, nuint request, ushort* size);

    [DllImport("libc")]
    private static extern int isatty(int fd);
}
