using System.Runtime.InteropServices;
using System.Text;

namespace Pyodide.Native;

/// <summary>The package half of the C ABI: pyodide_load_package,
/// pyodide_load_packages_from_imports, pyodide_loaded_packages,
/// pyodide_set_index_urls, pyodide_install. Every export catches every exception.</summary>
internal static unsafe class PackageExports
{
    private const string LoadPackageName = "pyodide_load_package";
    [UnmanagedCallersOnly(EntryPoint = LoadPackageName)]
    public static nint LoadPackage(nint token, byte** names, nuint count,
                                   delegate* unmanaged<void*, byte*, nuint, void> onMessage,
                                   delegate* unmanaged<void*, byte*, nuint, void> onError, void* env)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            var list = Strings(names, count, "names");
            runtime.LoadPackage(list, Callback(onMessage, env), Callback(onError, env));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, LoadPackageName);
        }
    }

    private const string SetIndexUrlsName = "pyodide_set_index_urls";
    [UnmanagedCallersOnly(EntryPoint = SetIndexUrlsName)]
    public static nint SetIndexUrls(nint token, byte** urls, nuint count)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            runtime.SetIndexUrls(Strings(urls, count, "urls"));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, SetIndexUrlsName);
        }
    }

    private const string InstallName = "pyodide_install";
    [UnmanagedCallersOnly(EntryPoint = InstallName)]
    public static nint Install(nint token, byte** requirements, nuint count,
                               delegate* unmanaged<void*, byte*, nuint, void> onMessage, void* env)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            runtime.Install(Strings(requirements, count, "requirements"), Callback(onMessage, env));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, InstallName);
        }
    }

    /// <summary>A C array of <paramref name="count"/> non-empty UTF-8 strings.</summary>
    private static List<string> Strings(byte** items, nuint count, string what)
    {
        if (count > 0 && items == null) throw new ArgumentException($"{what} is NULL but n is {count}");
        if (count > Limits.MaxCount) throw new ArgumentException($"n is {count}; at most {Limits.MaxCount} {what}");
        var list = new List<string>((int)count);
        for (nuint i = 0; i < count; i++)
        {
            string item = NativeStrings.InputString(items[i], $"{what}[{i}]");
            if (string.IsNullOrWhiteSpace(item)) throw new ArgumentException($"{what}[{i}] is empty");
            list.Add(item);
        }
        return list;
    }

    private const string LoadPackagesFromImportsName = "pyodide_load_packages_from_imports";
    [UnmanagedCallersOnly(EntryPoint = LoadPackagesFromImportsName)]
    public static nint LoadPackagesFromImports(nint token, byte* code, nuint length,
                                               delegate* unmanaged<void*, byte*, nuint, void> onMessage,
                                               delegate* unmanaged<void*, byte*, nuint, void> onError, void* env)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            string source = Encoding.UTF8.GetString(NativeStrings.Input(code, length, "code"));
            runtime.LoadPackagesFromImports(source, Callback(onMessage, env), Callback(onError, env));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, LoadPackagesFromImportsName);
        }
    }

    private const string LoadedPackagesName = "pyodide_loaded_packages";
    [UnmanagedCallersOnly(EntryPoint = LoadedPackagesName)]
    public static nint LoadedPackages(nint token, NativeValue* result)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            Require.NotNull(result);
            ObjectDisposedException.ThrowIf(runtime.IsDisposed, runtime);
            var loaded = runtime.LoadedPackages;
            NativeValue dict = default;
            dict.Kind = NativeValue.Dict;
            dict.DictKeys = NativeCodec.NewArray((nuint)loaded.Count);
            dict.DictValues = NativeCodec.NewArray((nuint)loaded.Count);
            try
            {
                int i = 0;
                foreach (var (name, source) in loaded)
                {
                    dict.DictKeys[i] = NativeCodec.Str(name);
                    dict.DictValues[i] = NativeCodec.Str(source);
                    dict.DictLen = (nuint)(++i);
                }
            }
            catch
            {
                NativeCodec.Release(&dict);
                throw;
            }
            *result = dict;
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, LoadedPackagesName);
        }
    }

    /// <summary>A C callback as an <see cref="Action{T}"/>: the line as NUL-terminated UTF-8
    /// plus its length; null for a NULL function.</summary>
    private static Action<string>? Callback(delegate* unmanaged<void*, byte*, nuint, void> fn, void* env)
    {
        if (fn == null) return null;
        return text =>
        {
            int length = Encoding.UTF8.GetByteCount(text);
            byte[] bytes = new byte[length + 1];
            Encoding.UTF8.GetBytes(text, bytes);
            fixed (byte* p = bytes) fn(env, p, (nuint)length);
        };
    }
}
