// The .NET idiom: PyodideRuntime and PyProxy are IDisposable; Python exceptions are
// PythonException. Run with `dotnet run` (after ./build.sh, which builds the assets).
using Pyodide;

// The assets are found in pyodide/ beside the program; every option has a default.
using var py = PyodideRuntime.Load(new PyodideOptions { Timeout = TimeSpan.FromSeconds(30) });

// The value of a final expression is the result: plain values arrive as .NET values.
Console.WriteLine(py.RunPython("sum(i * i for i in range(10))"));             // 285

// Globals are a dictionary-like proxy; other objects are proxies to dispose.
py.Globals["name"] = "world";
using (var greet = (PyProxy)py.RunPython("lambda who: f'hello {who}'")!)
    Console.WriteLine(greet.Call(py.Globals["name"]));                        // hello world

// A .NET function Python can import (Pyodide's registerJsModule).
py.RegisterModule("host", new Dictionary<string, PyodideHostFunction>
{
    ["twice"] = args => (long)args[0]! * 2,
});
Console.WriteLine(py.RunPython("import host\nhost.twice(21)"));               // 42

// Any other .NET object is a host object: Python uses its public members, sandboxed.
var orc = new Monster();
py.Globals["orc"] = orc;
Console.WriteLine(py.RunPython("orc.Hit(3)\nf'{type(orc).__name__}: {orc.Hp} hp'"));  // Monster: 7 hp

// A buffer seen in place: the span is Python's memory, no copy either way.
using (var data = (PyProxy)py.RunPython("import array\ndata = array.array('d', [1.5, 2.5, 3.5])\ndata")!)
using (var buffer = data.GetBuffer())
{
    Span<double> values = buffer.AsSpan<double>();
    values[0] = 10;
    Console.WriteLine($"{buffer.Format} x {values.Length}: {py.RunPython("sum(data)")}"); // d x 3: 16
}

// Iteration and deep conversion.
using (var squares = (PyProxy)py.RunPython("[i * i for i in range(5)]")!)
    Console.WriteLine(string.Join(",", squares));                             // 0,1,4,9,16

try
{
    py.RunPython("1 / 0");
}
catch (PythonException e)
{
    Console.WriteLine($"caught {e.PythonType}");                              // caught ZeroDivisionError
}

public class Monster
{
    public int Hp { get; set; } = 10;
    public int Hit(int damage) => Hp -= damage;
}
