using System.Runtime.InteropServices;
using Pyodide.Guest;
using Pyodide.Operations;

namespace Pyodide.Native;

/// <summary>A C <c>pyodide_host_fn</c> as a host module function.</summary>
internal sealed unsafe class NativeHostFunction(delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> fn, void* env)
    : IHostFunction
{
    public uint Invoke(PyodideRuntime runtime, GuestInstance guest, uint args, uint count, GuestInstance.AnswerWriter answer)
    {
        var call = new FunctionCall(fn, env);
        return NativeCallFrame.Run(runtime, guest, args, count, answer, ref call);
    }

    private readonly struct FunctionCall(delegate* unmanaged<void*, NativeValue*, nuint, NativeValue*, nint> fn, void* env) : INativeCall
    {
        public nint Invoke(NativeValue* args, int count, NativeValue* result) => fn(env, args, (nuint)count, result);
    }
}

/// <summary><c>pyodide_register_module</c>, <c>pyodide_unregister_module</c>, <c>pyodide_error_new</c>.</summary>
internal static unsafe class HostModuleExports
{
    private const string RegisterName = "pyodide_register_module";
    [UnmanagedCallersOnly(EntryPoint = RegisterName)]
    public static nint Register(nint token, byte* name, NativeHostMember* members, nuint count, void* env,
                                delegate* unmanaged<void*, void> finalizer)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            string moduleName = NativeStrings.InputString(name, "name");
            if (members == null && count > 0) throw new ArgumentException($"members is NULL but n is {count}");
            if (count > Limits.MaxCount) throw new ArgumentException($"n is {count}; at most {Limits.MaxCount} members");
            var functions = new List<(string, IHostFunction)>();
            var constants = new List<(string Name, nint Value)>();
            for (nuint i = 0; i < count; i++)
            {
                NativeHostMember* m = &members[i];
                string memberName = NativeStrings.InputString(m->Name, $"members[{i}].name");
                if (memberName.Length == 0) throw new ArgumentException($"members[{i}].name is empty");
                if (m->Fn != null) functions.Add((memberName, new NativeHostFunction(m->Fn, env)));
                else if (m->Value != null) constants.Add((memberName, (nint)m->Value));
                else throw new ArgumentException($"members[{i}] ('{memberName}') has neither fn nor value");
            }
            Action? onFinalize = finalizer == null ? null : () => finalizer(env);
            runtime.RegisterModule(moduleName, functions, constants.Count == 0 ? null : (guest, module) =>
            {
                foreach (var (constantName, value) in constants)
                    GuestOps.SetAttr(guest, runtime, module, new ManagedText(constantName), new NativeArgs((NativeValue*)value, 1, constantName));
            }, onFinalize);
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, RegisterName);
        }
    }

    private const string UnregisterName = "pyodide_unregister_module";
    [UnmanagedCallersOnly(EntryPoint = UnregisterName)]
    public static nint Unregister(nint token, byte* name)
    {
        try
        {
            var runtime = RuntimeExports.Runtime(token);
            runtime.UnregisterModule(NativeStrings.InputString(name, "name"));
            return 0;
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, UnregisterName);
        }
    }

    private const string ErrorNewName = "pyodide_error_new";
    [UnmanagedCallersOnly(EntryPoint = ErrorNewName)]
    public static nint ErrorNew(byte* type, byte* message)
    {
        try
        {
            string typeName = NativeStrings.InputString(type, "type");
            if (typeName.Length == 0) throw new ArgumentException("type is empty");
            string text = NativeStrings.InputString(message, "message");
            return NativeErrors.New(PyodideErrorKind.Python, typeName, text);
        }
        catch (Exception e)
        {
            return NativeErrors.From(e, ErrorNewName);
        }
    }
}
