using Xunit.Abstractions;

namespace Pyodide.Tests;

/// <summary>micropip: resolving and installing from PEP 691/503 indexes and plain
/// directories served on 127.0.0.1, with Debian's real projects repacked as wheels
/// (native-tests/packages/make-index.sh), and the adversarial entries of that index.</summary>
public sealed class MicropipTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _temp = Directory.CreateTempSubdirectory("pyodide-micropip-tests-").FullName;
    private readonly List<IDisposable> _owned = [];
    private readonly TinyHttpServer _server = new(MicropipIndex.Root);

    public MicropipTests(ITestOutputHelper output) => _output = output;

    public void Dispose()
    {
        foreach (var item in _owned) item.Dispose();
        _server.Dispose();
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { }
    }

    private string Simple => _server.Url + "simple/";

    private PyodideRuntime Load(IReadOnlyList<string>? indexUrls = null, string? lockIndex = null, TimeSpan? timeout = null,
                                string? cacheDir = null)
    {
        var runtime = Runtimes.Load(new PyodideOptions
        {
            IndexUrl = lockIndex,
            MicropipIndexUrls = indexUrls ?? [Simple],
            MicropipTimeout = timeout ?? TimeSpan.FromSeconds(30),
            PackageCacheDir = cacheDir ?? Path.Combine(_temp, "cache"),
            Stdout = _ => { },
            Stderr = _ => { },
        });
        _owned.Add(runtime);
        return runtime;
    }

    private static string Version(PyodideRuntime py, string project) =>
        (string)py.RunPython($"import importlib.metadata\nimportlib.metadata.version('{project}')")!;

    private static bool Installed(PyodideRuntime py, string project) =>
        (bool)py.RunPython($"import importlib.metadata\ntry:\n    importlib.metadata.version('{project}')\n    r = True\nexcept importlib.metadata.PackageNotFoundError:\n    r = False\nr")!;

    /// <summary>The Python exception of a failed install, checked to be of <paramref name="type"/>.</summary>
    private static string Fails(PyodideRuntime py, string type, params string[] requirements)
    {
        var e = Assert.Throws<PythonException>(() => py.Install(requirements));
        Assert.Equal(type, e.PythonType);
        return e.Message;
    }

    [Fact]
    public void TheHostModuleIsRegisteredAtItsFirstImport()
    {
        // Registering it at load was an eighth of a further runtime: now the first import
        // asks the host (pyodide._host's finder), in the middle of the Python call.
        var py = Load([Simple, "file:///nowhere/"]);
        const string Registered = "'_pyodide_micropip' in __import__('sys').modules['pyodide._host']._modules";
        Assert.Equal(false, py.RunPython(Registered));
        Assert.Equal(Simple, py.RunPython("import _pyodide_micropip, json\njson.loads(_pyodide_micropip.index_urls())[0]"));
        Assert.Equal(true, py.RunPython(Registered));
        // It is the host's name all along, imported or not.
        var other = Load();
        Assert.Throws<ArgumentException>(() => other.RegisterModule("_pyodide_micropip", new Dictionary<string, PyodideHostFunction>()));
        Assert.Throws<ArgumentException>(() => py.RegisterModule("_pyodide_micropip", new Dictionary<string, PyodideHostFunction>()));
        // A name nobody registers is still not found, asked of the host or not.
        Assert.Equal("ModuleNotFoundError",
                     Assert.Throws<PythonException>(() => other.RunPython("import _pyodide_nothing_here")).PythonType);
        // Unregistered before its first import: importing it fails.
        other.UnregisterModule("_pyodide_micropip");
        Assert.Equal("ModuleNotFoundError",
                     Assert.Throws<PythonException>(() => other.RunPython("import _pyodide_micropip")).PythonType);
    }

    [Fact]
    public void RealDependencyChainFromAJsonIndex()
    {
        using var py = Load();
        var messages = new List<string>();
        py.Install(["importlib-metadata>=4"], messages.Add);
        _output.WriteLine(string.Join("\n", messages));
        Assert.Equal("4.12.0", Version(py, "importlib-metadata"));
        Assert.Equal("1.0.0", Version(py, "zipp"));
        Assert.Equal("8.10.0", Version(py, "more-itertools")); // zipp 1.0.0 requires it
        // typing-extensions is required only for python_version < "3.8".
        Assert.False(Installed(py, "typing-extensions"));
        Assert.Equal(true, py.RunPython("import importlib_metadata, zipp\nimportlib_metadata.version('zipp') == '1.0.0'"));
        Assert.Contains(messages, m => m.StartsWith("Downloading zipp from " + _server.Url));
        Assert.Equal(_server.Url + "files/zipp-1.0.0-py3-none-any.whl", py.LoadedPackages["zipp"]);
        Assert.True(_server.RequestsFor("simple/importlib-metadata/") >= 1);
    }

    [Fact]
    public void PythonAwaitsMicropipInstallAndLists()
    {
        using var py = Load();
        py.RunPythonAsyncBlocking("import micropip\nawait micropip.install('attrs>=22')");
        Assert.Equal(true, py.RunPython("import attr, attrs\n@attrs.define\nclass P:\n    x: int\nP(3).x == 3 and attr.__version__ == '22.2.0'"));
        Assert.Equal(_server.Url + "files/attrs-22.2.0-py3-none-any.whl",
                     py.RunPython("import micropip\nmicropip.list()['attrs'].source"));
        Assert.Equal("22.2.0", py.RunPython("micropip.list()['attrs'].version"));
    }

    [Fact]
    public void HtmlIndexesAndPlainDirectoriesToo()
    {
        _server.ServeJson = false;
        using var html = Load();
        html.Install(["idna", "more-itertools"]);
        Assert.Equal(true, html.RunPython("import idna, more_itertools\nidna.encode('bücher.de') == b'xn--bcher-kva.de'"));
        Assert.Equal("text/html", html.RunPython("import micropip, json, _pyodide_micropip as h\n" +
                                                  $"json.loads(h.project('{Simple}', 'idna'))['content_type']"));

        using var flatHttp = Load([_server.Url + "flat/"]);
        flatHttp.Install(["six"]);
        Assert.Equal("1.16.0", Version(flatHttp, "six"));

        using var flatLocal = Load([Path.Combine(MicropipIndex.Root, "flat")]);
        flatLocal.Install(["iniconfig"]);
        Assert.Equal("1.1.1", Version(flatLocal, "iniconfig"));
    }

    [Fact]
    public void SeveralIndexesInOrder()
    {
        // The flat directory has no pick-zipp: the second index supplies it.
        using var py = Load([Path.Combine(MicropipIndex.Root, "flat"), Simple]);
        py.Install(["six", "pick-zipp"]);
        Assert.Equal(Path.Combine(MicropipIndex.Root, "flat", "six-1.16.0-py3-none-any.whl"), py.LoadedPackages["six"]);
        Assert.StartsWith(_server.Url, py.LoadedPackages["pick-zipp"]);
    }

    [Fact]
    public void AnIndexWithoutTheProjectIsPassedOver()
    {
        // A simple index that answers 404 for the project and whose root page is far
        // larger than a directory listing (as PyPI's is): not read as a listing.
        string big = Path.Combine(_temp, "big");
        Directory.CreateDirectory(big);
        File.WriteAllText(Path.Combine(big, "index.html"),
                          string.Concat(Enumerable.Range(0, 120_000).Select(i => $"<a href=\"project-{i}/\">project-{i}</a>\n")));
        Assert.True(new FileInfo(Path.Combine(big, "index.html")).Length > 4 << 20);
        using var bigServer = new TinyHttpServer(big);
        using var py = Load([bigServer.Url, Simple]);
        py.Install(["six"]);
        Assert.StartsWith(_server.Url, py.LoadedPackages["six"]);
        Assert.Equal(1, bigServer.RequestsFor("six/"));
    }

    [Fact]
    public void BacktracksToAnOlderVersion()
    {
        // pick-zipp 2.0 needs zipp<1.0, which the index does not have; 1.0 needs zipp>=1.0.
        using var py = Load();
        py.Install(["pick-zipp"]);
        Assert.Equal("1.0", Version(py, "pick-zipp"));
        Assert.Equal("1.0.0", Version(py, "zipp"));
    }

    [Fact]
    public void ExtrasMarkersAndPreReleases()
    {
        using var plain = Load();
        plain.Install(["extras-demo"]);
        Assert.True(Installed(plain, "six"));
        Assert.False(Installed(plain, "idna"));

        using var extra = Load();
        extra.Install(["extras-demo[idna]"]);
        Assert.True(Installed(extra, "six"));
        Assert.Equal("3.3", Version(extra, "idna"));
        // A requirement whose marker is false for this interpreter is skipped.
        extra.Install(["pre-demo", "attrs; python_version < '3'"]);
        Assert.Equal("1.0", Version(extra, "pre-demo"));
        Assert.False(Installed(extra, "attrs"));

        using var pre = Load();
        pre.RunPythonAsyncBlocking("import micropip\nawait micropip.install('pre-demo', pre=True)");
        Assert.Equal("2.0b1", Version(pre, "pre-demo"));

        // An upgrade replaces the installed version (its files and metadata go).
        extra.RunPythonAsyncBlocking("import micropip\nawait micropip.install('pre-demo>1.0', pre=True)");
        Assert.Equal("2.0b1", Version(extra, "pre-demo"));
        Assert.Equal(["pre_demo-2.0b1.dist-info"],
                     Directory.EnumerateDirectories(extra.SitePackagesDirectory, "pre_demo-*").Select(Path.GetFileName));
    }

    [Fact]
    public void YankedRequiresPythonAndUnsatisfiable()
    {
        using var py = Load();
        py.Install(["yanked-demo"]);
        Assert.Equal("1.0", Version(py, "yanked-demo"));
        Assert.Contains("only_yanked-1.0-py3-none-any.whl is yanked (withdrawn)", Fails(py, "ValueError", "only-yanked"));
        Assert.Contains("requires Python >=3.12, this is 3.11.2", Fails(py, "ValueError", "new-python"));
        string conflict = Fails(py, "ValueError", "needs-old-six");
        Assert.Contains("six<1.0 (required by needs-old-six 1.0)", conflict);
        Assert.False(Installed(py, "needs-old-six"));
        Assert.Contains("Can't find a pure Python 3 wheel for: 'no-such-project'", Fails(py, "ValueError", "no-such-project"));
    }

    [Fact]
    public void PlatformWheelsAreRefusedByName()
    {
        using var py = Load();
        string message = Fails(py, "ValueError", "platform-demo");
        Assert.Contains("platform_demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl is built for cp311-cp311-manylinux_2_17_x86_64", message);
        Assert.Contains("cannot run in this WebAssembly interpreter", message);
    }

    [Fact]
    public void KeepGoingReportsEveryMissingRequirement()
    {
        using var py = Load();
        var e = Assert.Throws<PythonException>(() =>
            py.RunPythonAsyncBlocking("import micropip\nawait micropip.install(['only-yanked', 'platform-demo', 'six'], keep_going=True)"));
        Assert.Contains("'only-yanked'", e.Message);
        Assert.Contains("'platform-demo'", e.Message);
        Assert.False(Installed(py, "six"));
    }

    [Fact]
    public void WrongHashesMisnamedFilesAndOffsiteUrlsInstallNothing()
    {
        using var py = Load();
        Assert.Contains("sha256 mismatch", Fails(py, "OSError", "wrong-hash"));
        Assert.Contains("other_thing-1.0-py3-none-any.whl is listed for misnamed but names the project other-thing",
                        Fails(py, "ValueError", "misnamed"));
        Assert.Contains("its metadata names the project 'six', not lying-name", Fails(py, "ValueError", "lying-name"));
        Assert.Contains("which is not on the index's host; refused", Fails(py, "OSError", "offsite"));
        Assert.Empty(Site.Files(py));
        Assert.Empty(py.LoadedPackages);
    }

    [Fact]
    public void RedirectsToAnotherHostAreRefused()
    {
        _server.Redirects["simple/six/"] = _server.Url.Replace("127.0.0.1", "127.0.0.2") + "simple/six/";
        _server.Redirects["simple/iniconfig/"] = Simple + "idna/"; // same host: followed
        using var py = Load();
        string message = Fails(py, "OSError", "six");
        Assert.Contains("redirected to http://127.0.0.2", message);
        Assert.Contains("is listed for iniconfig but names the project idna", Fails(py, "ValueError", "iniconfig"));
    }

    [Fact]
    public void UnsafeWheelsAreRefused()
    {
        using var py = Load();
        Assert.Contains("leaves site-packages (..)", Fails(py, "OSError", "dotdot"));
        Assert.Contains("zip bomb", Fails(py, "OSError", "zip-bomb"));
        Assert.Empty(Site.Files(py));
        Assert.False(File.Exists(Path.Combine(py.HomeDirectory, "escaped.py")));
    }

    [Fact]
    public void AnIndexThatTimesOut()
    {
        using var py = Load([_server.Url + "slow/"], timeout: TimeSpan.FromSeconds(1));
        string message = Fails(py, "OSError", "six");
        Assert.Contains("timed out after 1 s", message);
    }

    [Fact]
    public void PythonCannotPointTheHostElsewhere()
    {
        using var py = Load();
        var e = Assert.Throws<PythonException>(() => py.RunPython("import micropip\nmicropip.set_index_urls(['http://example.com/simple/'])"));
        Assert.Equal("ValueError", e.PythonType);
        Assert.Contains("is not allowed", e.Message);
        e = Assert.Throws<PythonException>(() =>
            py.RunPythonAsyncBlocking("import micropip\nawait micropip.install('six', index_urls='file:///etc/')"));
        Assert.Contains("is not allowed", e.Message);
        // Under a configured URL is fine; so is choosing among them.
        py.RunPython($"micropip.set_index_urls(['{Simple}'])");
        py.Install(["six"]);
        Assert.True(Installed(py, "six"));

        using var none = Load([]);
        Assert.Contains("Can't find a pure Python 3 wheel for: 'six'", Fails(none, "ValueError", "six"));
    }

    [Fact]
    public void TheLockFileIndexKeepsPriority()
    {
        using var py = Load(lockIndex: SixFixture.IndexDirectory);
        py.Install(["extras-demo"]);
        Assert.Equal(Path.Combine(SixFixture.IndexDirectory, "six-1.16.0-py2.py3-none-any.whl"), py.LoadedPackages["six"]);
        Assert.StartsWith(_server.Url, py.LoadedPackages["extras-demo"]);
    }

    [Fact]
    public void FreezeThenLoadTheLockFileLater()
    {
        using var py = Load();
        py.Install(["importlib-metadata"]);
        string lockFile = Path.Combine(_temp, "frozen", "pyodide-lock.json");
        Directory.CreateDirectory(Path.GetDirectoryName(lockFile)!);
        File.WriteAllText(lockFile, (string)py.RunPython("import micropip\nmicropip.freeze()")!);
        int downloads = _server.RequestsFor("files/zipp-1.0.0-py3-none-any.whl");

        using var later = Load(lockIndex: lockFile);
        var messages = new List<string>();
        later.LoadPackage(["importlib-metadata"], messages.Add);
        Assert.Equal(["importlib-metadata", "more-itertools", "zipp"], later.LoadedPackages.Keys.Order());
        Assert.Equal(true, later.RunPython("import importlib_metadata\nimportlib_metadata.version('zipp') == '1.0.0'"));
        // The shared cache served both wheels.
        Assert.Equal(downloads, _server.RequestsFor("files/zipp-1.0.0-py3-none-any.whl"));
        Assert.DoesNotContain(messages, m => m.StartsWith("Downloading"));
    }

    [Fact]
    public void UninstallReinstallAndNothingNew()
    {
        using var py = Load();
        py.Install(["six"]);
        var messages = new List<string>();
        py.Install(["six"], messages.Add);
        Assert.Contains("No new packages to install", messages);
        py.RunPython("import micropip\nmicropip.uninstall('six')");
        Assert.False(Installed(py, "six"));
        Assert.Empty(Site.Files(py));
        Assert.DoesNotContain("six", py.LoadedPackages.Keys);
        Assert.Equal(false, py.RunPython("'six' in micropip.list()"));
        py.RunPythonAsyncBlocking("await micropip.install('six', reinstall=True)");
        Assert.Equal("1.16.0", Version(py, "six"));
    }

    [Fact]
    public void BadArguments()
    {
        using var py = Load();
        Assert.Throws<ArgumentNullException>(() => py.Install(null!));
        Assert.Throws<ArgumentException>(() => py.Install(["six", ""]));
        Assert.Contains("is not a valid requirement", Fails(py, "ValueError", "six >>> 1"));
        var e = Assert.Throws<PythonException>(() => py.RunPython("import _pyodide_micropip as h\nh.project(1, 2)"));
        Assert.Equal("TypeError", e.PythonType);
        e = Assert.Throws<PythonException>(() => py.RunPython($"h.project('{Simple}', '../etc')"));
        Assert.Equal("ValueError", e.PythonType);
        Assert.Throws<ArgumentException>(() => Runtimes.Load(new PyodideOptions { MicropipIndexUrls = ["ftp://x/"] }));
        py.Dispose();
        Assert.Throws<ObjectDisposedException>(() => py.Install(["six"]));
    }
}
