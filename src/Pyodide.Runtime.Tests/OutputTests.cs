using System.Text;

namespace Pyodide.Tests;

/// <summary>PyodideOptions.Stdout/Stderr receive what Python writes; fresh runtimes
/// because the handlers are per runtime.</summary>
public sealed class OutputTests
{
    [Fact]
    public void HandlersReceivePrintsExactBytes()
    {
        var stdout = new OutputCapture();
        var stderr = new OutputCapture();
        using var py = Runtimes.Load(new PyodideOptions { Stdout = stdout.Write, Stderr = stderr.Write });
        stdout.Clear();
        stderr.Clear();

        py.RunPython("print('héllo wörld €', '🐍', 42)");
        Assert.Equal(Encoding.UTF8.GetBytes("héllo wörld € 🐍 42\n"), stdout.Bytes);
        Assert.Empty(stderr.Bytes);

        stdout.Clear();
        py.RunPython("import sys\nprint('to stderr – ß', file=sys.stderr)\nsys.stderr.write('raw')");
        Assert.Equal(Encoding.UTF8.GetBytes("to stderr – ß\nraw"), stderr.Bytes);
        Assert.Empty(stdout.Bytes);

        stderr.Clear();
        py.RunPython("print('a', end='')\nprint('b', 'c', sep='|', end='!')");
        Assert.Equal("ab|c!", stdout.Text);
    }

    [Theory]
    [InlineData(false, false, "False False")]
    [InlineData(true, false, "True False")]
    [InlineData(false, true, "False True")]
    public void IsTerminalIsWhatTheOptionsSay(bool stdout, bool stderr, string expected)
    {
        using var py = Runtimes.Load(new PyodideOptions
        {
            Stdout = _ => { }, Stderr = _ => { }, StdoutIsTerminal = stdout, StderrIsTerminal = stderr,
        });
        Expect.Str(expected, py.RunPython("import sys\nf'{sys.stdout.isatty()} {sys.stderr.isatty()}'"));
    }

    [Fact]
    public void BytesWrittenToTheBufferArriveAsTheyAreInOrder()
    {
        var stdout = new MemoryStream();
        using var py = Runtimes.Load(new PyodideOptions { Stdout = stdout.Write, Stderr = _ => { } });
        py.RunPython("""
            import sys
            print('text', end='|')
            n = sys.stdout.buffer.write(b'\xff\x00raw|')
            sys.stdout.write(f'{n}|{sys.stdout.buffer.name}')
            """);
        byte[] expected = [.. "text|"u8.ToArray(), 0xff, 0, .. "raw|6|<stdout>"u8.ToArray()];
        Assert.Equal(expected, stdout.ToArray());
    }

    [Fact]
    public void ReconfigureAndRewrappingTheBufferChangeTheEncoding()
    {
        var stdout = new MemoryStream();
        using var py = Runtimes.Load(new PyodideOptions { Stdout = stdout.Write, Stderr = _ => { } });
        py.RunPython("""
            import io, sys
            sys.stdout.reconfigure(encoding='latin-1')
            print('caf\u00e9')
            sys.stdout.reconfigure(encoding='utf-8')
            wide = io.TextIOWrapper(sys.stdout.buffer, encoding='utf-16-le')
            wide.write('ok')
            wide.flush()
            wide.detach()
            """);
        Assert.Equal(new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xe9, (byte)'\n', (byte)'o', 0, (byte)'k', 0 }, stdout.ToArray());
    }

    [Fact]
    public void LargeOutput()
    {
        var stdout = new OutputCapture();
        using var py = Runtimes.Load(new PyodideOptions { Stdout = stdout.Write, Stderr = _ => { } });
        stdout.Clear();
        py.RunPython("for i in range(10000):\n    print(i)");
        string expected = string.Concat(Enumerable.Range(0, 10000).Select(i => $"{i}\n"));
        Assert.Equal(expected, stdout.Text);
    }

    [Fact]
    public void OutputOfAFailingCallIsDelivered()
    {
        var stdout = new OutputCapture();
        using var py = Runtimes.Load(new PyodideOptions { Stdout = stdout.Write, Stderr = _ => { } });
        stdout.Clear();
        Assert.Throws<PythonException>(() => py.RunPython("print('before')\n1/0"));
        Assert.Equal("before\n", stdout.Text);
    }

    [Fact]
    public void ThrowingHandlerDoesNotBreakTheRuntime()
    {
        int calls = 0;
        using var py = Runtimes.Load(new PyodideOptions
        {
            Stdout = _ => { calls++; throw new InvalidOperationException("handler failure"); },
            Stderr = _ => throw new Exception("stderr handler failure"),
        });
        Expect.Long(2, py.RunPython("print('ignored')\nimport sys\nprint('x', file=sys.stderr)\n1 + 1"));
        Assert.True(calls > 0);
        int before = calls;
        Expect.Long(3, py.RunPython("print('again')\n3"));
        Assert.True(calls > before, "the handler was not called again after throwing");
    }

    [Theory]
    [InlineData(32, "BrokenPipeError 32")] // EPIPE, as .NET's streams report a closed pipe
    [InlineData(28, "OSError 28")]         // ENOSPC
    [InlineData(0, "OSError 5")]           // an IOException without a system error: EIO
    public void HandlerThrowingIOExceptionFailsPythonsWrite(int hresult, string expected)
    {
        IOException Failure() => hresult != 0 ? new IOException("the stream failed", hresult) : new IOException("the stream failed");
        using var py = Runtimes.Load(new PyodideOptions { Stdout = _ => throw Failure(), Stderr = _ => throw Failure() });
        const string outcomes = "import os, sys\n"
            + "def outcome(write):\n    try:\n        write()\n    except OSError as e:\n        return f'{type(e).__name__} {e.errno}'\n"
            + "    return 'written'\n"
            + "', '.join(outcome(w) for w in (lambda: print('x'), lambda: sys.stdout.buffer.write(b'x'),\n"
            + "                              lambda: os.write(1, b'x'), lambda: print('x', file=sys.stderr)))";
        Expect.Str(string.Join(", ", Enumerable.Repeat(expected, 4)), py.RunPython(outcomes));
        Expect.Long(2, py.RunPython("1 + 1"));
    }

    private const string TerminalSizes = "import os, shutil\n"
        + "def size(fd):\n    try:\n        return tuple(os.get_terminal_size(fd))\n    except OSError as e:\n        return e.errno\n"
        + "f'{size(0)} {size(1)} {size(2)} {tuple(shutil.get_terminal_size())}'";

    [Fact]
    public void TerminalSizeIsWhatTheHostSaysEachTimePythonAsks()
    {
        int asked = 0, columns = 90;
        using var py = Runtimes.Load(new PyodideOptions
        {
            Stdout = _ => { }, Stderr = _ => { },
            TerminalSize = fd => { asked++; return fd == 1 ? (columns, 20) : null; },
        });
        Expect.Str("25 (90, 20) 25 (90, 20)", py.RunPython(TerminalSizes));
        Assert.Equal(4, asked);
        columns = 132; // resized
        Expect.Str("25 (132, 20) 25 (132, 20)", py.RunPython(TerminalSizes));
    }

    [Fact]
    public void WithoutTerminalSizeAHandlersStreamIsNoTerminal()
    {
        using var py = Runtimes.Load(new PyodideOptions { Stdout = _ => { }, Stderr = _ => { }, StdoutIsTerminal = true });
        Expect.Str("25 25 25 (80, 24)", py.RunPython(TerminalSizes));
    }

    [Fact]
    public void HandlerMayCallBackIntoTheRuntimeButNotDisposeIt()
    {
        PyodideRuntime? py = null;
        PyProxy? proxy = null;
        var seen = new List<Exception>();
        var results = new List<object?>();
        int reentered = 0;
        void Handler(ReadOnlySpan<byte> utf8)
        {
            if (py == null || proxy == null || utf8.IsEmpty) return; // start-up output; print's empty end=''
            reentered++;
            // print() output arrives on the calling thread: calling back in works,
            // like a host function; disposing the runtime mid-call is refused.
            try { results.Add(py.RunPython("40 + 2")); } catch (Exception e) { seen.Add(e); }
            try { results.Add(proxy.Length); } catch (Exception e) { seen.Add(e); }
            try { results.Add(py.Globals["y"]); } catch (Exception e) { seen.Add(e); }
            try { py.Dispose(); } catch (Exception e) { seen.Add(e); }
        }
        py = Runtimes.Load(new PyodideOptions { Stdout = Handler, Stderr = _ => { } });
        try
        {
            proxy = Expect.Proxy(py.RunPython("x = [1, 2]\ny = 'why'\nx"));
            py.RunPython("print('reenter', end='')");
            Assert.Equal(1, reentered);
            Assert.Equal([42L, 2L, "why"], results);
            Assert.IsType<InvalidOperationException>(Assert.Single(seen));
            // The runtime survived all of it.
            Assert.False(py.IsDisposed);
            Assert.Equal(2, proxy.Length);
            Expect.Long(3, py.RunPython("sum(x)"));
        }
        finally
        {
            proxy?.Dispose();
            py.Dispose();
        }
    }

    [Fact]
    public void BytesWrittenBelowSysStdoutArriveInOrderOnTheCallingThread()
    {
        var stdout = new OutputCapture();
        var stderr = new OutputCapture();
        var threads = new HashSet<int>();
        using var py = Runtimes.Load(new PyodideOptions
        {
            Stdout = text => { threads.Add(Environment.CurrentManagedThreadId); stdout.Write(text); },
            Stderr = stderr.Write,
        });
        stdout.Clear();
        stderr.Clear();
        threads.Clear();
        // os.write's bytes pass as they are (not UTF-8 here), between print's.
        py.RunPython("import os\nprint('a')\nos.write(1, b'b\\xff\\n')\nprint('c')\nos.write(2, b'err\\n')");
        Assert.Equal([.. "a\nb"u8, 0xff, .. "\nc\n"u8], stdout.Bytes);
        Assert.Equal("err\n", stderr.Text);
        Assert.Equal([Environment.CurrentManagedThreadId], threads);

        // C code writing to fd 2: faulthandler's traceback.
        stderr.Clear();
        py.RunPython("import faulthandler\ndef where():\n    faulthandler.dump_traceback(2, all_threads=False)\nwhere()");
        Assert.Contains("in where", stderr.Text);

        // A closed fd 1 is closed: the next write fails as on any closed fd.
        stdout.Clear();
        Assert.Equal(true, py.RunPython("import errno\nos.close(1)\ntry:\n    os.write(1, b'lost')\nexcept OSError as e:\n    r = e.errno == errno.EBADF\nr"));
        Assert.Empty(stdout.Bytes);
        py.RunPython("print('sys.stdout is not fd 1')");
        Assert.Equal("sys.stdout is not fd 1\n", stdout.Text);
    }

    [Fact]
    public void HandlerOfBytesBelowSysStdoutMayNotCallItsRuntime()
    {
        PyodideRuntime? py = null;
        using var other = Runtimes.Load(new PyodideOptions { Stdout = _ => { }, Stderr = _ => { } });
        var seen = new List<Exception>();
        var results = new List<object?>();
        void Handler(ReadOnlySpan<byte> bytes)
        {
            if (py == null || bytes.IsEmpty) return;
            try { results.Add(py.RunPython("40 + 2")); } catch (Exception e) { seen.Add(e); }
            try { py.Dispose(); } catch (Exception e) { seen.Add(e); }
            results.Add(other.RunPython("6 * 7"));
        }
        py = Runtimes.Load(new PyodideOptions { Stdout = Handler, Stderr = _ => { } });
        try
        {
            Expect.Long(1, py.RunPython("import os\nos.write(1, b'x')"));
            Assert.Equal(2, seen.Count);
            Assert.Contains("may not call into its runtime", Assert.IsType<InvalidOperationException>(seen[0]).Message);
            Assert.IsType<InvalidOperationException>(seen[1]);
            Assert.Equal([42L], results);
            Assert.False(py.IsDisposed);
            Expect.Long(3, py.RunPython("1 + 2"));
        }
        finally
        {
            py.Dispose();
        }
    }

    [Fact]
    public void ProxyDisposedInsideHandlerIsReleasedAfterwards()
    {
        PyProxy? toDispose = null;
        PyodideRuntime? py = null;
        py = Runtimes.Load(new PyodideOptions { Stdout = _ => toDispose?.Dispose(), Stderr = _ => { } });
        using (py)
        {
            uint baseline = py.LiveHandles;
            toDispose = Expect.Proxy(py.RunPython("object()"));
            Assert.Equal(baseline + 1, py.LiveHandles);
            py.RunPython("print('x')");
            Assert.True(toDispose.IsDisposed);
            py.RunPython("None");
            Assert.Equal(baseline, py.LiveHandles);
        }
    }

    [Fact]
    public void DefaultOutputDoesNotThrow()
    {
        using var py = Runtimes.Load();
        Assert.Null(py.RunPython("print('default stdout from a test')"));
    }
}
