namespace Pyodide.Tests;

/// <summary>Wheels that must install nothing: entries that climb out of site-packages,
/// symbolic links (in the wheel, or made by Python where the host writes), and
/// compiled extensions, which the sandbox cannot load.</summary>
public sealed class WheelSafetyTests : PackageTestBase
{
    [Theory]
    [InlineData("../evil.py")]
    [InlineData("pn_trav/../../evil.py")]
    [InlineData("/tmp/pyodide-evil-absolute.py")]
    [InlineData("..\\evil.py")]
    public void PathTraversalWheelWritesNothing(string evilEntry)
    {
        var index = NewIndex();
        string fileName = "pn_trav-1.0-py3-none-any.whl";
        // The good entries come first: a naive extractor would already have written them.
        string sha = Wheels.Write(Path.Combine(index.Directory, fileName),
        [
            new("pn_trav/__init__.py", "X = 1\n"),
            new("pn_trav-1.0.dist-info/METADATA", "Name: pn_trav\n"),
            new(evilEntry, "print('escaped')\n"),
        ]);
        index.AddEntry("pn-trav", fileName, sha);
        using var py = Load(index.Directory);
        var e = ExpectIO(() => py.LoadPackage("pn-trav"));
        Assert.Contains("pn-trav", e.Message);
        Assert.Contains(evilEntry, e.Message);

        Assert.False(File.Exists(Path.Combine(py.HomeDirectory, "evil.py")));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(py.HomeDirectory)!, "evil.py")));
        Assert.False(File.Exists("/tmp/pyodide-evil-absolute.py"));
        Assert.Empty(Site.Files(py));
        AssertNoStaging(py);
        Assert.Empty(py.LoadedPackages);
        Assert.Equal(false, py.RunPython("import importlib.util\nimportlib.util.find_spec('pn_trav') is not None"));
    }

    [Fact]
    public void SymlinkEntryIsRefused()
    {
        var index = NewIndex();
        string fileName = "pn_link-1.0-py3-none-any.whl";
        string sha = Wheels.Write(Path.Combine(index.Directory, fileName),
        [
            new("pn_link/__init__.py", ""),
            new("pn_link/escape", SymlinkTo: "../../../.."),
        ]);
        index.AddEntry("pn-link", fileName, sha);
        using var py = Load(index.Directory);
        var e = ExpectIO(() => py.LoadPackage("pn-link"));
        Assert.Contains("symbolic link", e.Message);
        Assert.Empty(Site.Files(py));
        AssertNoStaging(py);
    }

    [Fact]
    public void SymlinkMadeByPythonInSitePackagesIsNotFollowed()
    {
        var index = NewIndex();
        index.Add("pn-alpha", "pn_alpha", "");
        string fileName = "pn_pkg-1.0-py3-none-any.whl";
        string sha = Wheels.Write(Path.Combine(index.Directory, fileName), [new("pn_pkg/__init__.py", "X = 1\n")]);
        index.AddEntry("pn-pkg", fileName, sha);
        using var py = Load(index.Directory);
        // Python may make relative symbolic links in its home that point out of it;
        // the host must not write through them.
        py.RunPython("import os\nos.symlink('../..', '/home/pyodide/site-packages/pn_pkg')");
        string outside = Path.GetFullPath(Path.Combine(py.HomeDirectory, ".."));
        var e = ExpectIO(() => py.LoadPackage("pn-pkg"));
        Assert.Contains("symbolic link", e.Message);
        Assert.False(File.Exists(Path.Combine(outside, "__init__.py")));

        // site-packages itself replaced by a link.
        py.RunPython("os.remove('/home/pyodide/site-packages/pn_pkg')\nos.rmdir('/home/pyodide/site-packages')\nos.symlink('..', '/home/pyodide/site-packages')");
        var e2 = ExpectIO(() => py.LoadPackage("pn-alpha"));
        Assert.Contains("symbolic link", e2.Message);
        Assert.False(File.Exists(Path.Combine(outside, "pn_alpha.py")));
        Assert.False(File.Exists(Path.Combine(py.HomeDirectory, "pn_alpha.py")));
    }

    [Fact]
    public void CompiledExtensionWheelIsRefused()
    {
        var index = NewIndex();
        // A platform tag in the name.
        string platform = "pn_native-1.0-cp311-cp311-linux_x86_64.whl";
        string sha1 = Wheels.WritePure(Path.Combine(index.Directory, platform), "pn_native", "");
        index.AddEntry("pn-native", platform, sha1);
        // A pure-looking name with a .so inside.
        string hidden = "pn_hidden-1.0-py3-none-any.whl";
        string sha2 = Wheels.WritePure(Path.Combine(index.Directory, hidden), "pn_hidden", "",
            new Wheels.Entry("pn_hidden_ext.cpython-311-x86_64-linux-gnu.so", "ELF"));
        index.AddEntry("pn-hidden", hidden, sha2);
        index.Add("pn-user", "pn_user", "", depends: ["pn-hidden"]);
        using var py = Load(index.Directory);

        var e1 = ExpectIO(() => py.LoadPackage("pn-native"));
        Assert.Contains("pure-Python wheels only", e1.Message);
        Assert.Contains("linux_x86_64", e1.Message);
        var e2 = ExpectIO(() => py.LoadPackage("pn-user"));
        Assert.Contains("pure-Python wheels only", e2.Message);
        Assert.Contains(".so", e2.Message);
        Assert.Empty(Site.Files(py));
        Assert.Empty(py.LoadedPackages);
        var e3 = ExpectIO(() => py.LoadPackage(Path.Combine(index.Directory, platform)));
        Assert.Contains("pure-Python wheels only", e3.Message);
    }
}
