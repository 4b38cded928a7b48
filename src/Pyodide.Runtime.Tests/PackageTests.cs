using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Pyodide.Tests;

/// <summary>loadPackage, loadPackagesFromImports and loadedPackages: local and HTTP
/// indexes, dependencies, the download cache, checksums, and a real third-party
/// library (Debian's six, repacked as a wheel). Unsafe and compiled wheels are
/// <see cref="WheelSafetyTests"/>.</summary>
public sealed class PackageTests(ITestOutputHelper output) : PackageTestBase
{
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public void LocalIndexLoadsAndPythonImportsIt()
    {
        var index = NewIndex();
        string wheel = index.Add("pn-alpha", "pn_alpha", "VALUE = 41 + 1\n");
        using var py = Load(index.Directory);
        // Imported (and failed) before the load: the import system's caches must be refreshed.
        Assert.Equal(true, py.RunPython("""
            try:
                import pn_alpha
                found = True
            except ImportError:
                found = False
            not found
            """));
        var messages = new List<string>();
        py.LoadPackage(["pn-alpha"], messages.Add);
        Expect.Long(42, py.RunPython("import pn_alpha\npn_alpha.VALUE"));
        Expect.Str("/home/pyodide/site-packages/pn_alpha.py", py.RunPython("pn_alpha.__file__"));
        string source = Path.Combine(index.Directory, wheel);
        Assert.Equal(["Loading pn-alpha", $"Loaded pn-alpha from {source}"], messages);
        Assert.Equal(new Dictionary<string, string> { ["pn-alpha"] = source }, py.LoadedPackages);
        Assert.True(File.Exists(Path.Combine(py.HomeDirectory, "site-packages", "pn_alpha.py")));
        AssertNoStaging(py);
        // Loading put no names into the user's globals.
        Assert.Equal(false, py.RunPython("any(n in globals() for n in ('importlib', 'invalidate_caches', 'pyodide', 'sys'))"));
        // importlib.metadata sees the dist-info.
        Expect.Str("1.0", py.RunPython("import importlib.metadata\nimportlib.metadata.version('pn_alpha')"));
    }

    [Fact]
    public void AnInstallFromPythonDuringALoadOnAnotherThreadFailsInsteadOfWaiting()
    {
        // The load holds the load lock and will take the runtime's; Python's install
        // holds the runtime's lock (it runs inside a call) and asks for the load lock.
        var index = NewIndex();
        index.Add("pn-a", "pn_a", "A = 1\n");
        index.Add("pn-b", "pn_b", "B = 2\n");
        using var py = Load(index.Directory);
        Exception? fromPython = null;
        py.LoadPackage(["pn-a"], message =>
        {
            if (message != "Loading pn-a") return;
            var install = Task.Run(() =>
            {
                try { py.Install(["pn-b"]); } catch (Exception e) { fromPython = e; }
            });
            Assert.True(install.Wait(TimeSpan.FromSeconds(30)), "micropip.install waited for the load");
        });
        Assert.NotNull(fromPython);
        Assert.Contains("another thread is loading packages", fromPython.Message);
        py.Install(["pn-b"]);
        Expect.Long(3, py.RunPython("import pn_a, pn_b\npn_a.A + pn_b.B"));
    }

    [Fact]
    public void NamesAreNormalizedAndTheLockFileUrlMayBeGivenDirectly()
    {
        var index = NewIndex();
        index.Add("pn-alpha", "pn_alpha", "VALUE = 1\n");
        using var py = Load(Path.Combine(index.Directory, "pyodide-lock.json"));
        py.LoadPackage("PN_Alpha");
        Assert.Equal(["pn-alpha"], py.LoadedPackages.Keys);
        Expect.Long(1, py.RunPython("import pn_alpha\npn_alpha.VALUE"));
    }

    [Fact]
    public void DependenciesLoadFirstEachOnce()
    {
        var index = NewIndex();
        // a → b, c; b → c; c → d. Each module imports its dependencies when imported.
        index.Add("pn-d", "pn_d", "NAME = 'd'\n");
        index.Add("pn-c", "pn_c", "import pn_d\nNAME = 'c' + pn_d.NAME\n", depends: ["pn-d"]);
        index.Add("pn-b", "pn_b", "import pn_c\nNAME = 'b' + pn_c.NAME\n", depends: ["pn_c"]);
        index.Add("pn-a", "pn_a", "import pn_b, pn_c\nNAME = 'a' + pn_b.NAME\n", depends: ["pn-b", "pn-c"]);
        index.Add("pn-unrelated", "pn_unrelated", "");
        using var py = Load(index.Directory);
        var messages = new List<string>();
        py.LoadPackage(["pn-a"], messages.Add);
        Assert.Equal(["Loading pn-d", "Loading pn-c", "Loading pn-b", "Loading pn-a"], messages.Where(m => m.StartsWith("Loading ")));
        Assert.Equal(4, messages.Count(m => m.StartsWith("Loaded ")));
        Assert.Equal(["pn-d", "pn-c", "pn-b", "pn-a"], py.LoadedPackages.Keys);
        Expect.Str("abcd", py.RunPython("import pn_a\npn_a.NAME"));

        // A second load of something depending on loaded packages: only the new one loads.
        index.Add("pn-e", "pn_e", "import pn_a\n", depends: ["pn-a"]);
        messages.Clear();
        py.LoadPackage(["pn-e"], messages.Add);
        Assert.Contains("pn-a already loaded from " + Path.Combine(index.Directory, "pn_a-1.0-py3-none-any.whl"), messages);
        Assert.Equal(["Loading pn-e"], messages.Where(m => m.StartsWith("Loading ")));
    }

    [Fact]
    public void DependencyCycleTerminates()
    {
        var index = NewIndex();
        index.Add("pn-x", "pn_x", "X = 1\n", depends: ["pn-y"]);
        index.Add("pn-y", "pn_y", "Y = 1\n", depends: ["pn-x"]);
        using var py = Load(index.Directory);
        py.LoadPackage("pn-x");
        Assert.Equal(2, py.LoadedPackages.Count);
        Expect.Long(2, py.RunPython("import pn_x, pn_y\npn_x.X + pn_y.Y"));
    }

    [Fact]
    public void AlreadyLoadedIsAMessageNotAnError()
    {
        var index = NewIndex();
        string wheel = index.Add("pn-alpha", "pn_alpha", "VALUE = 1\n");
        using var py = Load(index.Directory);
        py.LoadPackage("pn-alpha");
        var messages = new List<string>();
        var errors = new List<string>();
        py.LoadPackage(["pn-alpha", "PN-ALPHA"], messages.Add, errors.Add);
        Assert.Equal([$"pn-alpha already loaded from {Path.Combine(index.Directory, wheel)}", "No new packages to load"], messages);
        Assert.Empty(errors);
        // Nothing at all is also no error.
        messages.Clear();
        py.LoadPackage([], messages.Add);
        Assert.Equal(["No new packages to load"], messages);
    }

    [Fact]
    public void HttpIndexDownloadsOnceIntoTheCache()
    {
        var index = NewIndex();
        string wheel = index.Add("pn-web", "pn_web", "WHERE = 'web'\n", depends: ["pn-dep"]);
        string dep = index.Add("pn-dep", "pn_dep", "");
        using var server = new TinyHttpServer(index.Directory);

        using (var py = Load(server.Url))
        {
            var messages = new List<string>();
            py.LoadPackage(["pn-web"], messages.Add);
            Expect.Str("web", py.RunPython("import pn_web\npn_web.WHERE"));
            Assert.Contains($"Downloading pn-web from {server.Url}{wheel}", messages);
            Assert.Contains($"Loaded pn-web from {server.Url}{wheel}", messages);
            Assert.Equal(server.Url + wheel, py.LoadedPackages["pn-web"]);
        }
        Assert.Equal(1, server.RequestsFor("pyodide-lock.json"));
        Assert.Equal(1, server.RequestsFor(wheel));
        Assert.Equal(1, server.RequestsFor(dep));
        string sha = Wheels.Sha256(Path.Combine(index.Directory, wheel));
        Assert.True(File.Exists(Path.Combine(CacheDir, sha + ".whl")));
        Assert.Empty(Directory.EnumerateFiles(CacheDir, "*.part"));

        // A new runtime: everything comes from the caches, the server sees nothing.
        using (var py = Load(server.Url))
        {
            var messages = new List<string>();
            py.LoadPackage(["pn-web"], messages.Add);
            Expect.Str("web", py.RunPython("import pn_web\npn_web.WHERE"));
            Assert.DoesNotContain(messages, m => m.StartsWith("Downloading"));
        }
        Assert.Equal(1, server.RequestsFor("pyodide-lock.json"));
        Assert.Equal(1, server.RequestsFor(wheel));
        Assert.Equal(1, server.RequestsFor(dep));
        Assert.Equal(3, server.Requests.Values.Sum());
    }

    [Fact]
    public void ACorruptedCacheFileIsDownloadedAgain()
    {
        var index = NewIndex();
        string wheel = index.Add("pn-web", "pn_web", "OK = True\n");
        using var server = new TinyHttpServer(index.Directory);
        string sha = Wheels.Sha256(Path.Combine(index.Directory, wheel));
        Directory.CreateDirectory(CacheDir);
        File.WriteAllText(Path.Combine(CacheDir, sha + ".whl"), "garbage");
        using var py = Load(server.Url);
        py.LoadPackage("pn-web");
        Assert.Equal(true, py.RunPython("import pn_web\npn_web.OK"));
        Assert.Equal(1, server.RequestsFor(wheel));
        Assert.Equal(sha, Wheels.Sha256(Path.Combine(CacheDir, sha + ".whl")));
    }

    [Fact]
    public void BadChecksumOverHttpIsAnIOErrorAndTheFileIsNotKept()
    {
        var index = NewIndex();
        string wrong = new('0', 64);
        string wheel = index.Add("pn-bad", "pn_bad", "X = 1\n", sha256: wrong);
        string actual = Wheels.Sha256(Path.Combine(index.Directory, wheel));
        using var server = new TinyHttpServer(index.Directory);
        using var py = Load(server.Url);
        var errors = new List<string>();
        var e = ExpectIO(() => py.LoadPackage(["pn-bad"], null, errors.Add));
        Assert.Contains("pn-bad", e.Message);
        Assert.Contains(wrong, e.Message);
        Assert.Contains(actual, e.Message);
        Assert.Equal([e.Message], errors);
        Assert.Empty(Directory.Exists(CacheDir) ? Directory.EnumerateFiles(CacheDir) : []);
        Assert.Empty(Site.Files(py));
        Assert.Empty(py.LoadedPackages);
        Assert.Equal(false, py.RunPython("import importlib.util\nimportlib.util.find_spec('pn_bad') is not None"));
    }

    [Fact]
    public void BadChecksumInALocalIndexInstallsNothing()
    {
        var index = NewIndex();
        index.Add("pn-good", "pn_good", "");
        index.Add("pn-bad", "pn_bad", "", sha256: new string('a', 64), depends: ["pn-good"]);
        using var py = Load(index.Directory);
        var e = ExpectIO(() => py.LoadPackage("pn-bad"));
        Assert.Contains("sha256 mismatch", e.Message);
        // The dependency was fetched first, but nothing is installed when one file is bad.
        Assert.Empty(Site.Files(py));
        Assert.Empty(py.LoadedPackages);
    }

    [Fact]
    public void UnknownPackageIsAnIOErrorNamingIt()
    {
        var index = NewIndex();
        index.Add("pn-alpha", "pn_alpha", "");
        using var py = Load(index.Directory);
        var errors = new List<string>();
        var e = ExpectIO(() => py.LoadPackage(["pn-alpha", "no-such-package"], null, errors.Add));
        Assert.Contains("no-such-package", e.Message);
        Assert.Single(errors);
        // Checked before anything is fetched: the known one was not installed either.
        Assert.Empty(py.LoadedPackages);
        Assert.Empty(Site.Files(py));
    }

    [Fact]
    public void NoIndexConfiguredIsAnIOErrorForNames()
    {
        using var py = Load(null);
        var e = ExpectIO(() => py.LoadPackage("six"));
        Assert.Contains("no package index", e.Message);
    }

    [Fact]
    public void UnreachableIndexIsAnIOError()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        using var py = Load($"http://127.0.0.1:{port}/{Guid.NewGuid():N}/");
        var e = ExpectIO(() => py.LoadPackage("six"));
        Assert.Contains($"127.0.0.1:{port}", e.Message);

        var index = NewIndex();
        using var server = new TinyHttpServer(index.Directory); // serves no lock file: 404
        using var py2 = Load(server.Url);
        var e2 = ExpectIO(() => py2.LoadPackage("six"));
        Assert.Contains("404", e2.Message);
    }

    [Theory]
    [InlineData("this is not json", "not valid JSON")]
    [InlineData("[1, 2]", "top level is not an object")]
    [InlineData("{\"info\": {}}", "no \"packages\"")]
    [InlineData("{\"packages\": []}", "\"packages\" is not an object")]
    [InlineData("{\"packages\": {\"x\": {\"file_name\": \"x-1-py3-none-any.whl\"}}}", "no \"sha256\"")]
    [InlineData("{\"packages\": {\"x\": {\"file_name\": \"x-1-py3-none-any.whl\", \"sha256\": \"abc\"}}}", "not 64 hexadecimal")]
    [InlineData("{\"packages\": {\"x\": {\"sha256\": \"" + "0000000000000000000000000000000000000000000000000000000000000000" + "\"}}}", "no \"file_name\"")]
    [InlineData("{\"packages\": {\"x\": {\"file_name\": \"x-1-py3-none-any.whl\", \"sha256\": \"" + "0000000000000000000000000000000000000000000000000000000000000000" + "\", \"depends\": [\"y\"]}}}", "depends on 'y'")]
    [InlineData("{\"packages\": {\"x\": {\"file_name\": \"x-1-py3-none-any.whl\", \"sha256\": \"" + "0000000000000000000000000000000000000000000000000000000000000000" + "\", \"depends\": \"y\"}}}", "depends is not a list")]
    public void MalformedLockFileIsAnIOError(string json, string problem)
    {
        string dir = Path.Combine(Temp, "malformed");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "pyodide-lock.json"), json);
        using var py = Load(dir);
        var e = ExpectIO(() => py.LoadPackage("x"));
        Assert.Contains("malformed", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.Empty(py.LoadedPackages);

        // And over HTTP.
        using var server = new TinyHttpServer(dir);
        using var py2 = Load(server.Url);
        var e2 = ExpectIO(() => py2.LoadPackage("x"));
        Assert.Contains(problem, e2.Message);
    }

    [Fact]
    public void MissingLockFileIsAnIOError()
    {
        string dir = Path.Combine(Temp, "empty-index");
        Directory.CreateDirectory(dir);
        using var py = Load(dir);
        var e = ExpectIO(() => py.LoadPackage("x"));
        Assert.Contains("pyodide-lock.json", e.Message);
    }

    [Fact]
    public void DirectWheelPath()
    {
        string dir = Path.Combine(Temp, "wheels");
        string path = Path.Combine(dir, "pn_direct-2.0-py3-none-any.whl");
        string sha = Wheels.WritePure(path, "pn_direct", "HELLO = 'direct'\n");
        using var py = Load(null); // no index needed
        var messages = new List<string>();
        py.LoadPackage([path], messages.Add);
        Expect.Str("direct", py.RunPython("import pn_direct\npn_direct.HELLO"));
        Assert.Equal(path, py.LoadedPackages["pn-direct"]);
        Assert.Contains($"Loaded pn-direct from {path}", messages);
        // Again from the same place: a message. From elsewhere: a mismatch.
        messages.Clear();
        py.LoadPackage([path], messages.Add);
        Assert.Contains($"pn-direct already loaded from {path}", messages);
        string other = Path.Combine(Temp, "other", "pn_direct-2.0-py3-none-any.whl");
        Wheels.WritePure(other, "pn_direct", "");
        Assert.Contains("already loaded", ExpectIO(() => py.LoadPackage(other)).Message);

        // With a checksum to check (file:// URL this time).
        using var py2 = Load(null);
        string url = new Uri(path).AbsoluteUri;
        Assert.Contains("sha256 mismatch", ExpectIO(() => py2.LoadPackage($"{url}#sha256={new string('1', 64)}")).Message);
        py2.LoadPackage($"{url}#sha256={sha}");
        Expect.Str("direct", py2.RunPython("import pn_direct\npn_direct.HELLO"));

        using var py3 = Load(null);
        Assert.Contains("does not exist", ExpectIO(() => py3.LoadPackage(Path.Combine(dir, "missing-1.0-py3-none-any.whl"))).Message);
        Assert.Contains("not a wheel file name", ExpectIO(() => py3.LoadPackage(Path.Combine(dir, "bad.whl"))).Message);
        File.WriteAllText(Path.Combine(dir, "pn_junk-1.0-py3-none-any.whl"), "not a zip");
        Assert.Contains("not a valid wheel", ExpectIO(() => py3.LoadPackage(Path.Combine(dir, "pn_junk-1.0-py3-none-any.whl"))).Message);
    }

    [Fact]
    public void DirectWheelOverHttpOverridesTheIndex()
    {
        var index = NewIndex();
        index.Add("pn-dep", "pn_dep", "FROM = 'index'\n");
        index.Add("pn-top", "pn_top", "import pn_dep\n", depends: ["pn-dep"]);
        string custom = Path.Combine(Temp, "custom");
        Wheels.WritePure(Path.Combine(custom, "pn_dep-9.0-py3-none-any.whl"), "pn_dep", "FROM = 'custom'\n");
        using var server = new TinyHttpServer(custom);
        using var py = Load(index.Directory);
        py.LoadPackage([server.Url + "pn_dep-9.0-py3-none-any.whl", "pn-top"]);
        Expect.Str("custom", py.RunPython("import pn_top\npn_top.pn_dep.FROM"));
        Assert.Equal(server.Url + "pn_dep-9.0-py3-none-any.whl", py.LoadedPackages["pn-dep"]);
    }

    [Fact]
    public void LoadPackagesFromImports()
    {
        var index = NewIndex();
        index.Add("pn-alpha", "pn_alpha", "A = 1\n");
        index.Add("pn-beta", "pn_beta_mod", "B = 2\n", imports: ["pn_beta"]);
        index.Add("pn-gamma", "pn_gamma", "");
        using var py = Load(index.Directory);
        var messages = new List<string>();
        py.LoadPackagesFromImports("""
            import json, pn_alpha
            from pn_beta.sub import thing
            import not_a_known_module
            from . import relative
            """, messages.Add);
        Assert.Equal(["pn-alpha", "pn-beta"], py.LoadedPackages.Keys.Order());
        Expect.Long(1, py.RunPython("import pn_alpha\npn_alpha.A"));
        Assert.Equal(false, py.RunPython("'pyodide' in globals() or 'find_imports' in globals()"));
        // Only unknown or no imports: nothing happens, silently.
        messages.Clear();
        py.LoadPackagesFromImports("import os\nx = 1", messages.Add);
        py.LoadPackagesFromImports("", messages.Add);
        Assert.Empty(messages);
        Assert.Equal(2, py.LoadedPackages.Count);
        // A syntax error is Python's.
        var e = Assert.Throws<PythonException>(() => py.LoadPackagesFromImports("import (", messages.Add));
        Assert.Equal("SyntaxError", e.PythonType);
        // Without an index, imports resolve to nothing.
        using var bare = Load(null);
        bare.LoadPackagesFromImports("import pn_alpha");
        Assert.Empty(bare.LoadedPackages);
    }

    [Fact]
    public async Task LoadPackageAsync()
    {
        var index = NewIndex();
        index.Add("pn-alpha", "pn_alpha", "A = 3\n");
        using var py = Load(index.Directory);
        await py.LoadPackageAsync(["pn-alpha"]);
        Expect.Long(3, py.RunPython("import pn_alpha\npn_alpha.A"));
        await Assert.ThrowsAnyAsync<PyodideException>(() => py.LoadPackageAsync(["missing"]));
    }

    [Fact]
    public void BadArgumentsAndDisposedRuntime()
    {
        Assert.Throws<ArgumentException>(() => Runtimes.Load(new PyodideOptions { IndexUrl = "ftp://example.com/" }));
        Assert.Throws<ArgumentException>(() => Runtimes.Load(new PyodideOptions { IndexUrl = "" }));
        var index = NewIndex();
        index.Add("pn-alpha", "pn_alpha", "");
        var py = Load(index.Directory);
        Assert.Throws<ArgumentNullException>(() => py.LoadPackage((IEnumerable<string>)null!));
        Assert.Throws<ArgumentException>(() => py.LoadPackage(["pn-alpha", ""]));
        Assert.Throws<ArgumentException>(() => py.LoadPackage([null!]));
        // A callback may not load packages into the same runtime.
        var inner = Assert.Throws<InvalidOperationException>(() => py.LoadPackage(["pn-alpha"], _ => py.LoadPackage("pn-alpha")));
        Assert.Contains("busy", inner.Message);
        py.Dispose();
        Assert.Throws<ObjectDisposedException>(() => py.LoadPackage("pn-alpha"));
    }

    [Fact]
    public void PackagesVanishWithTheirRuntime()
    {
        var index = NewIndex();
        index.Add("pn-alpha", "pn_alpha", "");
        var py = Load(index.Directory);
        py.LoadPackage("pn-alpha");
        string site = py.SitePackagesDirectory;
        Assert.True(File.Exists(Path.Combine(site, "pn_alpha.py")));
        using var other = Load(index.Directory);
        Assert.Equal(false, other.RunPython("import importlib.util\nimportlib.util.find_spec('pn_alpha') is not None"));
        py.Dispose();
        Assert.False(Directory.Exists(site));
    }

    /// <summary>The real thing: Debian's python3-six (not written here), repacked as a
    /// wheel by native-tests/packages/make-fixture.sh, served over HTTP, used from Python.</summary>
    [Fact]
    public void RealThirdPartyLibrarySixOverHttp()
    {
        string fixture = SixFixture.IndexDirectory;
        using var server = new TinyHttpServer(fixture);
        using var py = Load(server.Url);
        var messages = new List<string>();
        py.LoadPackage(["six"], messages.Add);
        Assert.Equal(true, py.RunPython("import six\nsix.ensure_str(b'x') == 'x' and six.PY3 and not six.PY2"));
        Expect.Str("/home/pyodide/site-packages/six.py", py.RunPython("six.__file__"));
        Expect.Str(SixFixture.Version, py.RunPython("six.__version__"));
        Expect.Str(SixFixture.Version, py.RunPython("import importlib.metadata\nimportlib.metadata.version('six')"));
        // six's lazy "moves" and metaclass helper work in the sandbox.
        Expect.Str("Meta", py.RunPython("""
            class Meta(type):
                pass
            class C(six.with_metaclass(Meta, object)):
                pass
            from six.moves import reduce
            assert reduce(lambda a, b: a + b, [1, 2, 3]) == 6
            type(C).__name__
            """));
        Assert.Contains(messages, m => m.StartsWith("Loaded six from " + server.Url));
        _output.WriteLine(string.Join("\n", messages));
    }

    [Fact]
    public void RealLibraryFromImportsInALocalIndex()
    {
        using var py = Load(SixFixture.IndexDirectory);
        py.LoadPackagesFromImports("import six\nprint(six.text_type)");
        Assert.Equal(["six"], py.LoadedPackages.Keys);
        Expect.Str("str", py.RunPython("import six\nsix.text_type.__name__"));
    }
}
