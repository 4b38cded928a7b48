using System.Text;

namespace Pyodide;

/// <summary>Fills <paramref name="buffer"/> with the next bytes of input and returns how
/// many it wrote: 0 at the end of input. An exception becomes an <c>OSError</c> in Python.</summary>
public delegate int PyodideReadHandler(Span<byte> buffer);

/// <summary>A runtime's standard input (<see cref="PyodideOptions.Stdin"/>), as Pyodide's
/// <c>setStdin</c> gives one: a <see cref="Stream"/> or a <see cref="TextReader"/> (both
/// convert implicitly), or a read function. Python's <c>sys.stdin</c>, <c>input()</c> and
/// <c>sys.stdin.buffer</c> read from it.</summary>
/// <remarks>Reads run on the thread of the call that is running Python, while that call
/// holds the runtime (other calls wait). <see cref="PyodideRuntime.Interrupt"/> does not
/// wait for a blocked read: its KeyboardInterrupt is raised in Python as soon as the read
/// returns, whatever the read returned, so a source that can be woken (a pipe, a queue)
/// should return when the host interrupts. The same holds for a call's deadline.</remarks>
public sealed class PyodideInput
{
    private readonly PyodideReadHandler _read;

    /// <summary>Input from a read function.</summary>
    public PyodideInput(PyodideReadHandler read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _read = read;
    }

    /// <summary>Whether Python's <c>sys.stdin.isatty()</c> is true; false by default.</summary>
    public bool IsTerminal { get; init; }

    /// <summary>The stream's bytes, as they are.</summary>
    public static implicit operator PyodideInput(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new PyodideInput(stream.Read);
    }

    /// <summary>The reader's text, encoded as UTF-8.</summary>
    public static implicit operator PyodideInput(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new PyodideInput(new Utf8Encoder(reader).Read);
    }

    /// <summary>Called by the runtime: the next bytes into <paramref name="buffer"/>.</summary>
    internal int Read(Span<byte> buffer)
    {
        int n = _read(buffer);
        if (n < 0 || n > buffer.Length)
            throw new InvalidOperationException($"the stdin read function returned {n} for a {buffer.Length}-byte buffer");
        return n;
    }

    /// <summary>Text to UTF-8 in bounded pieces: a character whose bytes do not fit the
    /// caller's buffer waits in <see cref="_pending"/> for the next read, so any buffer
    /// size works and a large input never sits in memory whole.</summary>
    private sealed class Utf8Encoder(TextReader reader)
    {
        private readonly char[] _chars = new char[4096];
        private readonly byte[] _pending = new byte[Encoding.UTF8.GetMaxByteCount(4096)];
        private readonly Encoder _encoder = new UTF8Encoding(false).GetEncoder();
        private int _pendingStart, _pendingEnd;
        private bool _ended;

        public int Read(Span<byte> buffer)
        {
            if (_pendingStart == _pendingEnd)
            {
                if (_ended) return 0;
                int chars = reader.Read(_chars, 0, _chars.Length);
                _ended = chars == 0;
                // flush at the end, so a lone high surrogate left over becomes U+FFFD.
                _pendingEnd = _encoder.GetBytes(_chars, 0, chars, _pending, 0, flush: _ended);
                _pendingStart = 0;
                if (_pendingEnd == 0) return _ended ? 0 : Read(buffer);
            }
            int n = Math.Min(buffer.Length, _pendingEnd - _pendingStart);
            _pending.AsSpan(_pendingStart, n).CopyTo(buffer);
            _pendingStart += n;
            return n;
        }
    }
}
