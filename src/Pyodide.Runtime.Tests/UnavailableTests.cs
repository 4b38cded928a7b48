namespace Pyodide.Tests;

/// <summary>What the sandbox cannot have (python/pyodide/_unavailable.py): each
/// fails with the usual exception type, whose message says why.</summary>
public sealed class UnavailableTests(RuntimeFixture fixture) : IClassFixture<RuntimeFixture>
{
    private readonly PyodideRuntime _py = fixture.Runtime;

    private const string Describe = """
        def describe(code):
            try:
                exec(code, {})
                return 'no error'
            except BaseException as e:
                return f'{type(e).__name__}: {e}'
        """;

    private string Outcome(string code)
    {
        _py.Globals["unavailable_code"] = code;
        return Assert.IsType<string>(_py.RunPython(Describe + "\ndescribe(unavailable_code)"));
    }

    [Theory]
    [InlineData("import ctypes", "ModuleNotFoundError: No module named 'ctypes': WebAssembly code cannot load or call native libraries")]
    [InlineData("import _ctypes", "ModuleNotFoundError: No module named '_ctypes': WebAssembly code cannot load or call native libraries")]
    [InlineData("import ssl", "ModuleNotFoundError: No module named '_ssl': the sandbox has no OpenSSL and no network")]
    [InlineData("import _posixsubprocess", "ModuleNotFoundError: No module named '_posixsubprocess': the sandbox cannot start processes")]
    [InlineData("import mmap", "ModuleNotFoundError: No module named 'mmap': WASI has no memory-mapped files")]
    [InlineData("import subprocess\nsubprocess.run(['ls'])", "OSError: [Errno 95] wasi does not support processes.")]
    [InlineData("import threading\nthreading.Thread(target=print).start()", "RuntimeError: can't start new thread: the sandbox runs one thread")]
    [InlineData("import _thread\n_thread.start_new_thread(print, ())", "RuntimeError: can't start new thread: the sandbox runs one thread")]
    [InlineData("import concurrent.futures as f\nf.ThreadPoolExecutor().submit(print)", "RuntimeError: can't start new thread: the sandbox runs one thread")]
    [InlineData("import multiprocessing\nmultiprocessing.Process(target=print).start()", "ModuleNotFoundError: No module named 'multiprocessing.popen_fork': the sandbox cannot start processes")]
    [InlineData("import concurrent.futures as f\nf.ProcessPoolExecutor().submit(print)", "ModuleNotFoundError: No module named '_multiprocessing': the sandbox cannot start processes")]
    [InlineData("import socket\nsocket.socket()", "OSError: [Errno 95] Operation not supported: the sandbox has no sockets")]
    [InlineData("import socket\nsocket.create_connection(('127.0.0.1', 80))", "gaierror: [Errno 95] name lookups need the network: the sandbox has no sockets")]
    [InlineData("import urllib.request\nurllib.request.urlopen('http://example.com')", "URLError: <urlopen error [Errno 95] name lookups need the network: the sandbox has no sockets")]
    [InlineData("import _socket\n_socket.socket()", "OSError: [Errno 95] Operation not supported: the sandbox has no sockets")]
    public void FailsNamingTheReason(string code, string expectedStart)
    {
        Assert.StartsWith(expectedStart, Outcome(code));
    }

    [Fact]
    public void FallbacksOnImportErrorStillWork()
    {
        // The errors are ImportErrors, so the usual optional-import idiom keeps working.
        Expect.Str("fallback", _py.RunPython("""
            try:
                import ssl
                result = 'ssl'
            except ImportError:
                result = 'fallback'
            result
            """));
        Assert.Equal(true, _py.RunPython("import hashlib\nhashlib.sha256(b'').hexdigest().startswith('e3b0')"));
    }

    [Fact]
    public void AHostModuleMayStandIn()
    {
        using var py = Runtimes.LoadQuiet();
        py.RegisterModule("mmap", new Dictionary<string, Func<long, long>> { ["twice"] = i => i * 2 });
        Expect.Long(42, py.RunPython("import mmap\nmmap.twice(21)"));
    }
}
