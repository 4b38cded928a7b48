using System.Text;

namespace Pyodide.Tests;

/// <summary><see cref="PyodideOptions.Stdin"/>: Pyodide's <c>setStdin</c> for .NET hosts,
/// from a <see cref="Stream"/>, a <see cref="TextReader"/> or a read function.</summary>
public sealed class StdinTests
{
    private static PyodideRuntime LoadWith(PyodideInput stdin, PyodideOutputHandler? stdout = null) =>
        Runtimes.Load(new PyodideOptions { Stdin = stdin, Stdout = stdout ?? (_ => { }), Stderr = _ => { } });

    [Fact]
    public void StreamBytesArriveExactly()
    {
        byte[] data = [.. "first\n"u8, 0, 0xff, 0xfe, .. "\r\nlast"u8];
        using var py = LoadWith(new MemoryStream(data));
        Expect.Str(Convert.ToHexStringLower(data), py.RunPython("import sys\nsys.stdin.buffer.read().hex()"));
    }

    [Fact]
    public void TextReaderFeedsInputAndLines()
    {
        var output = new StringBuilder();
        using var py = LoadWith(new StringReader("Grace\nHopper\nnon-ASCII: h\u00e9llo \U0001F40D\n"),
            text => output.Append(Encoding.UTF8.GetString(text)));
        Expect.Str("Grace Hopper", py.RunPython("input('first? ') + ' ' + input()"));
        Assert.Equal("first? ", output.ToString());
        Expect.Str("non-ASCII: h\u00e9llo \U0001F40D\n", py.RunPython("import sys\nsys.stdin.readline()"));
        Assert.Equal("EOFError", Assert.Throws<PythonException>(() => py.RunPython("input()")).PythonType);
    }

    [Fact]
    public void TextReaderLargerThanAnyBufferIsEncodedInPieces()
    {
        // 3-byte characters straddle the encoder's 4096-char pieces and Python's reads.
        string text = string.Concat(Enumerable.Repeat("\u20ac-", 50_000));
        using var py = LoadWith(new StringReader(text));
        Expect.Long(Encoding.UTF8.GetByteCount(text), py.RunPython("import sys\nlen(sys.stdin.buffer.read())"));
        using var again = LoadWith(new StringReader(text));
        Expect.Long(100_000, again.RunPython("import sys\nlen(sys.stdin.read())"));
    }

    [Fact]
    public void ReadFunctionOneByteAtATimeDecodesSplitCharacters()
    {
        byte[] data = Encoding.UTF8.GetBytes("\u00e9\u20ac\U0001F40D\nline two\n");
        int position = 0, calls = 0;
        var input = new PyodideInput(buffer =>
        {
            calls++;
            if (position == data.Length) return 0;
            buffer[0] = data[position++];
            return 1;
        });
        using var py = LoadWith(input);
        Expect.Str("['\u00e9\u20ac\U0001F40D\\n', 'line two\\n']", py.RunPython("import sys\nrepr(list(sys.stdin))"));
        Assert.True(calls > data.Length);
    }

    [Fact]
    public void ThrowingReadIsOSErrorAndTheRuntimeCarriesOn()
    {
        using var py = LoadWith(new PyodideInput(_ => throw new IOException("disk on fire")));
        var e = Assert.Throws<PythonException>(() => py.RunPython("input()"));
        Assert.Equal("OSError", e.PythonType);
        Expect.Long(2, py.RunPython("1 + 1"));
    }

    [Fact]
    public void NoStdinIsEndOfInputAndNotATerminal()
    {
        using var py = Runtimes.LoadQuiet();
        Assert.Equal("EOFError", Assert.Throws<PythonException>(() => py.RunPython("input()")).PythonType);
        Expect.Str("('', False)", py.RunPython("import sys\nrepr((sys.stdin.read(), sys.stdin.isatty()))"));
    }

    [Fact]
    public void IsTerminalIsWhatTheHostSays()
    {
        using var py = LoadWith(new PyodideInput(_ => 0) { IsTerminal = true });
        Assert.Equal(true, py.RunPython("import sys\nsys.stdin.isatty()"));
    }

    [Fact]
    public void InputAtATerminalReadsALineAsPython3Does()
    {
        // Where stdin and stdout are terminals, input() reads through PyOS_Readline as
        // python3's does (bridge/readline.c): the prompt goes to stderr and one line is
        // taken, a byte at a time, leaving the rest for sys.stdin. With readline imported
        // it edits at the terminal, which the test process's descriptors are not, so it
        // reads the same way (the history keeps only edited lines). Where stdout is no
        // terminal, input() writes its prompt to stdout and reads through sys.stdin.
        byte[] typed = "Ada\nLovelace\nrest\n"u8.ToArray();
        int at = 0;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        PyodideInput Input() => new(buffer =>
        {
            int n = Math.Min(buffer.Length, typed.Length - at);
            typed.AsSpan(at, n).CopyTo(buffer);
            at += n;
            return n;
        }) { IsTerminal = true };
        PyodideOptions Options(bool stdoutIsTerminal) => new()
        {
            Stdin = Input(), StdoutIsTerminal = stdoutIsTerminal,
            Stdout = b => stdout.Append(Encoding.UTF8.GetString(b)), Stderr = b => stderr.Append(Encoding.UTF8.GetString(b)),
        };
        using (var py = Runtimes.Load(Options(stdoutIsTerminal: true)))
        {
            Expect.Str("Ada|Lovelace|rest\n|0|True True", py.RunPython("""
                import os, readline, sys
                first = input('name? ')
                second = input('surname? ')
                '|'.join([first, second, sys.stdin.read(), str(readline.get_current_history_length()),
                          f'{os.isatty(0)} {os.isatty(1)}'])
                """));
            Assert.Equal("name? surname? ", stderr.ToString());
            Assert.Equal("", stdout.ToString());
        }
        at = 0;
        stderr.Clear();
        using (var py = Runtimes.Load(Options(stdoutIsTerminal: false)))
        {
            Expect.Str("Ada False", py.RunPython("import os\nf'{input(\"name? \")} {os.isatty(1)}'"));
            Assert.Equal("name? ", stdout.ToString());
            Assert.Equal("", stderr.ToString());
        }
    }

    [Fact]
    public void InterruptDuringInputAtATerminalRaisesKeyboardInterrupt()
    {
        using var wake = new SemaphoreSlim(0);
        using var blocked = new ManualResetEventSlim();
        using var py = Runtimes.Load(new PyodideOptions
        {
            Stdin = new PyodideInput(_ =>
            {
                blocked.Set();
                wake.Wait(TimeSpan.FromSeconds(60)); // bounded: a broken interrupt fails, not hangs
                return 0;
            }) { IsTerminal = true },
            StdoutIsTerminal = true, Stdout = _ => { }, Stderr = _ => { },
        });
        py.RunPython("import readline");
        var call = Task.Run(() => py.RunPython("input('> ')"));
        Assert.True(blocked.Wait(TimeSpan.FromSeconds(60)));
        py.Interrupt();
        wake.Release();
        var e = Assert.Throws<PythonException>(() => call.GetAwaiter().GetResult());
        Assert.Equal("KeyboardInterrupt", e.PythonType);
        Expect.Str("still here", py.RunPython("'still here'"));
    }

    [Fact]
    public void TermiosFindsATerminalOnlyBehindTheProcesssOwnTerminalDescriptors()
    {
        // termios acts on the process's own descriptor behind a stream that says it is a
        // terminal (Guest/HostTerminal.cs): the test process's are no terminals, so every
        // stream is as a pipe is to python3 (ENOTTY), a descriptor not open is EBADF, and
        // getpass reads the password from the host's stdin after its warning that it cannot
        // turn echo off (its fallback when there is no terminal).
        byte[] typed = "s3cret\n"u8.ToArray();
        int at = 0;
        using var py = LoadWith(new PyodideInput(buffer =>
        {
            int n = Math.Min(buffer.Length, typed.Length - at);
            typed.AsSpan(at, n).CopyTo(buffer);
            at += n;
            return n;
        }) { IsTerminal = true });
        Expect.Str("ENOTTY ENOTTY ENOTTY EBADF ENOTTY TypeError s3cret GetPassWarning", py.RunPython("""
            import errno, getpass, termios, warnings
            def outcome(call):
                try:
                    call()
                    return 'ok'
                except termios.error as e:
                    return errno.errorcode[e.args[0]]
                except TypeError as e:
                    return 'TypeError'
            results = [outcome(lambda: termios.tcgetattr(fd)) for fd in (0, 1, 2, 77)]
            results.append(outcome(lambda: termios.tcsetattr(0, termios.TCSANOW, [0] * 7)))
            results.append(outcome(lambda: termios.tcsetattr(0, termios.TCSANOW, [])))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always')
                results.append(getpass.getpass())
            results.append(caught[0].category.__name__)
            ' '.join(results)
            """));
    }

    [Fact]
    public void InterruptDuringABlockedReadRaisesKeyboardInterrupt()
    {
        using var wake = new SemaphoreSlim(0);
        using var blocked = new ManualResetEventSlim();
        using var py = LoadWith(new PyodideInput(_ =>
        {
            blocked.Set();
            // Bounded, so a broken interrupt fails the test instead of hanging it.
            wake.Wait(TimeSpan.FromSeconds(60));
            return 0;
        }));
        var call = Task.Run(() => py.RunPython("input()"));
        Assert.True(blocked.Wait(TimeSpan.FromSeconds(60)));
        py.Interrupt(); // returns although the read holds the runtime
        Assert.False(call.IsCompleted);
        wake.Release();
        var e = Assert.Throws<PythonException>(() => call.GetAwaiter().GetResult());
        Assert.Equal("KeyboardInterrupt", e.PythonType);
        Expect.Long(2, py.RunPython("1 + 1"));
    }
}
