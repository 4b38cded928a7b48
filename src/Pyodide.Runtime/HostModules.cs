using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Pyodide.Guest;
using Pyodide.Operations;

namespace Pyodide;

/// <summary>A .NET function Python can call. Arguments arrive converted as
/// <see cref="PyodideRuntime.RunPython"/> results do (proxies among them are the
/// callee's to dispose); the result converts back as a <see cref="PyProxy.Call"/>
/// argument does. Throw a <see cref="PythonException"/> to raise that Python type.</summary>
public delegate object? PyodideHostFunction(object?[] args);

/// <summary>One function of a host module, in the form each API surface provides.</summary>
internal interface IHostFunction
{
    /// <summary>Reads <paramref name="count"/> argument slots at <paramref name="args"/>, calls
    /// the function, writes the result through <paramref name="answer"/> and returns the
    /// payload block it allocated (0 if none).</summary>
    uint Invoke(PyodideRuntime runtime, GuestInstance guest, uint args, uint count, GuestInstance.AnswerWriter answer);
}

/// <summary>The host modules of one runtime and the dispatch of Python's calls to
/// their functions (the guest's <c>call_host</c> import) and to host objects
/// (<c>host_object</c>, through <see cref="Objects"/>).</summary>
internal sealed class HostModuleRegistry : IHostCallHandler
{
    private sealed class Module(string name, Action? finalizer, bool callback = false)
    {
        public readonly string Name = name;
        /// <summary>A lone callback (then/catch/finally), finalized when Python drops it.</summary>
        public readonly bool Callback = callback;
        public readonly List<uint> Ids = [];
        public Action? Finalizer = finalizer;
        public int ActiveCalls;
        public bool Unregistered;
    }

    private readonly Dictionary<uint, (Module Module, IHostFunction Function)> _functions = new();
    private readonly Dictionary<string, Module> _modules = new();
    // Modules registered at their first import (Defer), by name.
    private readonly Dictionary<string, (IReadOnlyList<(string Name, IHostFunction Function)> Functions, Action? Finalizer)> _deferred = new();
    private uint _nextId = 1;

    public PyodideRuntime Runtime = null!;

    /// <summary>The runtime's host objects, whose operations come the same way.</summary>
    public readonly HostObjectRegistry Objects = new();

    public uint CallObject(GuestInstance guest, uint id, uint op, uint args, uint count, GuestInstance.AnswerWriter answer, out bool done) =>
        Objects.Invoke(Runtime, guest, id, op, args, count, answer, out done);

    public void DropObject(uint id) => Objects.Drop(id);

    public uint Call(GuestInstance guest, uint id, uint args, uint count, GuestInstance.AnswerWriter answer)
    {
        if (!_functions.TryGetValue(id, out var entry))
        {
            // The argument handles were handed to us: nobody will read them now.
            guest.ReleaseHandles(args, count);
            throw new InvalidOperationException("the host module of this function was unregistered");
        }
        var module = entry.Module;
        module.ActiveCalls++;
        try
        {
            return entry.Function.Invoke(Runtime, guest, args, count, answer);
        }
        finally
        {
            // Unregistered while this call ran: the finalizer waits for it.
            if (--module.ActiveCalls == 0 && module.Unregistered) RunFinalizer(module);
        }
    }

    public void Drop(uint id)
    {
        if (!_functions.TryGetValue(id, out var entry) || !entry.Module.Callback) return;
        _functions.Remove(id);
        entry.Module.Unregistered = true;
        if (entry.Module.ActiveCalls == 0) RunFinalizer(entry.Module);
    }

    /// <summary>A new Python callable (as a handle) for a lone callback; its finalizer runs
    /// once Python no longer holds it, or when the runtime is disposed.</summary>
    public uint Callback(GuestInstance guest, IHostFunction function, Action? finalizer, out uint id)
    {
        var module = new Module("callback", finalizer, callback: true);
        uint callbackId = id = _nextId++;
        uint handle = GuestOps.HostFunction(guest, Runtime, new ManagedText("callback"), callbackId);
        module.Ids.Add(callbackId);
        _functions[callbackId] = (module, function);
        return handle;
    }

    /// <summary>The call that was to use callback <paramref name="id"/> failed: its finalizer
    /// must not run (the caller keeps its environment), whatever Python does with it now.</summary>
    public void Forget(uint id)
    {
        if (_functions.Remove(id, out var entry)) entry.Module.Finalizer = null;
    }

    /// <summary>Registers <paramref name="name"/> with its functions, then lets
    /// <paramref name="setConstants"/> add attributes to the module (given as a handle).
    /// The caller holds the runtime's lock. On failure nothing stays registered and the
    /// finalizer is not run.</summary>
    public void Register(GuestInstance guest, string name, IReadOnlyList<(string Name, IHostFunction Function)> functions,
                         Action<uint>? setConstants, Action? finalizer)
    {
        CheckFree(name);
        var module = new Module(name, finalizer);
        var moduleName = new ManagedText(name);
        uint moduleHandle = GuestOps.HostModule(guest, Runtime, moduleName);
        try
        {
            foreach (var (functionName, function) in functions)
            {
                if (string.IsNullOrEmpty(functionName)) throw new ArgumentException("a host function has no name");
                uint id = _nextId++;
                var text = new ManagedText(functionName);
                uint fn = GuestOps.HostFunction(guest, Runtime, text, id);
                try
                {
                    GuestOps.SetAttr(guest, Runtime, moduleHandle, text, new HandleArg(fn));
                }
                finally
                {
                    guest.Release(fn);
                }
                module.Ids.Add(id);
                _functions[id] = (module, function);
            }
            setConstants?.Invoke(moduleHandle);
        }
        catch
        {
            foreach (uint id in module.Ids) _functions.Remove(id);
            try { GuestOps.HostUnregister(guest, Runtime, moduleName); }
            catch (PyodideException) { }
            throw;
        }
        finally
        {
            guest.Release(moduleHandle);
        }
        _modules[name] = module;
    }

    /// <summary>Makes <paramref name="name"/> a host module that is registered when Python
    /// first imports it (<c>pyodide._host</c>'s finder asks the host for names it does not
    /// know): nothing crosses into the guest until then. For the runtime's own modules,
    /// which most runtimes never import.</summary>
    public void Defer(string name, IReadOnlyList<(string Name, IHostFunction Function)> functions, Action? finalizer)
    {
        CheckFree(name);
        _deferred[name] = (functions, finalizer);
    }

    /// <summary>The <c>host_module_wanted</c> import: registers <paramref name="name"/> if it
    /// was deferred (a call of its own into the guest) and says whether it did.</summary>
    public bool RegisterDeferred(string name)
    {
        if (!_deferred.Remove(name, out var entry)) return false;
        try
        {
            Runtime.RegisterModule(name, entry.Functions, null, entry.Finalizer);
        }
        catch
        {
            _deferred[name] = entry; // the next import tries again
            throw;
        }
        return true;
    }

    /// <summary>Later imports of <paramref name="name"/> fail and its functions refuse calls;
    /// the finalizer runs now, or when the last call into the module returns.</summary>
    public void Unregister(GuestInstance guest, string name)
    {
        if (_deferred.Remove(name, out var deferred))
        {
            deferred.Finalizer?.Invoke();
            return;
        }
        if (!_modules.Remove(name, out var module)) throw new ArgumentException($"no host module named '{name}' is registered");
        foreach (uint id in module.Ids) _functions.Remove(id);
        module.Unregistered = true;
        try
        {
            GuestOps.HostUnregister(guest, Runtime, new ManagedText(name));
        }
        finally
        {
            if (module.ActiveCalls == 0) RunFinalizer(module);
        }
    }

    /// <summary>The runtime is gone: every finalizer not yet run runs now.</summary>
    public void FinalizeAll()
    {
        foreach (var module in _modules.Values) RunFinalizer(module);
        foreach (var (module, _) in _functions.Values.Where(f => f.Module.Callback).ToList()) RunFinalizer(module);
        foreach (var (_, finalizer) in _deferred.Values) finalizer?.Invoke();
        _deferred.Clear();
        _modules.Clear();
        _functions.Clear();
        Objects.FinalizeAll();
    }

    private static void RunFinalizer(Module module)
    {
        var finalizer = module.Finalizer;
        module.Finalizer = null; // exactly once
        finalizer?.Invoke();
    }

    /// <summary>Throws unless <paramref name="name"/> is a valid module name that no module,
    /// registered or deferred, has.</summary>
    private void CheckFree(string name)
    {
        ValidateName(name);
        if (_modules.ContainsKey(name) || _deferred.ContainsKey(name))
            throw new ArgumentException($"a host module named '{name}' is already registered");
    }

    private static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || !name.Split('.').All(IsIdentifier))
            throw new ArgumentException($"'{name}' is not a valid module name");
    }

    /// <summary>Whether <paramref name="part"/> is an identifier: a letter or '_', then letters, digits or '_'.</summary>
    internal static bool IsIdentifier(string part) =>
        part.Length > 0 && (char.IsLetter(part[0]) || part[0] == '_') && part.All(c => char.IsLetterOrDigit(c) || c == '_');
}

/// <summary>A <see cref="PyodideHostFunction"/> as a host module function.</summary>
internal sealed unsafe class ManagedHostFunction(PyodideHostFunction function) : IHostFunction
{
    /// <summary>A module's functions by name, in the form the registry takes.</summary>
    public static List<(string Name, IHostFunction Function)> ListOf(IReadOnlyDictionary<string, PyodideHostFunction> functions) =>
        functions.Select(f => (f.Key, (IHostFunction)new ManagedHostFunction(f.Value))).ToList();

    public uint Invoke(PyodideRuntime runtime, GuestInstance guest, uint args, uint count, GuestInstance.AnswerWriter answer)
    {
        var slots = (Slot*)guest.Checked(args, (ulong)count * Slot.Size);
        var values = new object?[count];
        for (int i = 0; i < count; i++) values[i] = ManagedCodec.Read(runtime, guest, slots[i]);
        return GuestOps.Answer(answer, runtime, new ManagedArgs(function(values)));
    }
}

/// <summary>A <see cref="Func{T, TResult}"/> as a host module function of one argument:
/// long, int, double and bool arguments and results cross without boxing, so a call
/// from Python allocates nothing in managed code.</summary>
internal sealed unsafe class TypedHostFunction<TArg, TResult>(string name, Func<TArg, TResult> function) : IHostFunction
{
    public uint Invoke(PyodideRuntime runtime, GuestInstance guest, uint args, uint count, GuestInstance.AnswerWriter answer)
    {
        if (count != 1) throw new PythonException("TypeError", $"{name}() takes 1 argument ({count} given)");
        var slot = (Slot*)guest.Checked(args, Slot.Size);
        TArg arg;
        try
        {
            arg = ManagedCodec.ReadAs<TArg>(runtime, guest, *slot);
        }
        catch (InvalidCastException)
        {
            throw new PythonException("TypeError", $"{name}() argument must be {typeof(TArg).Name}");
        }
        return GuestOps.Answer(answer, runtime, new TypedArg<TResult>(function(arg)));
    }
}

public sealed partial class PyodideRuntime
{
    /// <summary><see cref="RegisterModule(string, IReadOnlyDictionary{string, PyodideHostFunction}, IReadOnlyDictionary{string, object?}?, Action?)"/>
    /// for functions of one typed argument: a long, int, double or bool argument or result
    /// crosses without boxing, so Python's calls allocate nothing in managed code. An
    /// argument of another kind, or another number of arguments, is a TypeError in Python.</summary>
    /// <exception cref="ArgumentException">The name is invalid or already registered.</exception>
    public void RegisterModule<TArg, TResult>(string name, IReadOnlyDictionary<string, Func<TArg, TResult>> functions,
                                              Action? finalizer = null)
    {
        ArgumentNullException.ThrowIfNull(functions);
        foreach (var f in functions) ArgumentNullException.ThrowIfNull(f.Value, nameof(functions));
        RegisterModule(name, functions.Select(f => (f.Key, (IHostFunction)new TypedHostFunction<TArg, TResult>(f.Key, f.Value))).ToList(),
                       null, finalizer);
    }

    /// <summary>Makes <c>import name</c> give Python a module of .NET functions (Pyodide's
    /// registerJsModule). Modules of the standard library take precedence.</summary>
    /// <param name="name">A dotted Python module name.</param>
    /// <param name="functions">The module's functions by name.</param>
    /// <param name="constants">Further attributes, converted like call arguments.</param>
    /// <param name="finalizer">Runs exactly once: on <see cref="UnregisterModule"/> (after any call
    /// into the module still running returns) or when the runtime is disposed.</param>
    /// <exception cref="ArgumentException">The name is invalid or already registered.</exception>
    public void RegisterModule(string name, IReadOnlyDictionary<string, PyodideHostFunction> functions,
                               IReadOnlyDictionary<string, object?>? constants = null, Action? finalizer = null)
    {
        ArgumentNullException.ThrowIfNull(functions);
        if (constants != null && constants.Keys.Any(string.IsNullOrEmpty))
            throw new ArgumentException("a host module constant has no name", nameof(constants));
        var list = ManagedHostFunction.ListOf(functions);
        RegisterModule(name, list, constants == null ? null : (guest, module) =>
        {
            foreach (var (key, value) in constants) GuestOps.SetAttr(guest, this, module, new ManagedText(key), new ManagedArgs(value));
        }, finalizer);
    }

    /// <summary>Registers the public instance methods of <paramref name="target"/> as a module's
    /// functions. Arguments convert to the parameter types (numbers, strings, bool, byte[],
    /// <see cref="PyProxy"/>, or object).</summary>
    public void RegisterModuleMethods<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] T>(string name, T target)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(target);
        var functions = new Dictionary<string, PyodideHostFunction>();
        foreach (var method in typeof(T).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        {
            if (method.IsSpecialName || functions.ContainsKey(method.Name)) continue;
            var parameters = method.GetParameters();
            functions[method.Name] = args =>
            {
                if (args.Length != parameters.Length)
                    throw new PythonException("TypeError", $"{method.Name}() takes {parameters.Length} arguments ({args.Length} given)");
                var converted = new object?[args.Length];
                for (int i = 0; i < args.Length; i++) converted[i] = Conversion.To(args[i], parameters[i].ParameterType, $"{method.Name}()");
                try
                {
                    return method.Invoke(target, converted);
                }
                catch (TargetInvocationException e) when (e.InnerException != null)
                {
                    throw e.InnerException;
                }
            };
        }
        RegisterModule(name, functions);
    }

    /// <summary>Makes later <c>import name</c> fail (a module already imported stays in
    /// <c>sys.modules</c>, as in Pyodide); calls into it raise RuntimeError from now on.</summary>
    /// <exception cref="ArgumentException">No module of that name is registered.</exception>
    public void UnregisterModule(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var call = Enter();
        _hostModules.Unregister(call.Guest, name);
    }

    /// <summary>For the C ABI: registers functions given as <see cref="IHostFunction"/>s.</summary>
    internal void RegisterModule(string name, IReadOnlyList<(string Name, IHostFunction Function)> functions,
                                 Action<GuestInstance, uint>? setConstants, Action? finalizer)
    {
        using var call = Enter();
        var guest = call.Guest;
        _hostModules.Register(guest, name, functions, setConstants == null ? null : (Action<uint>)(module => setConstants(guest, module)), finalizer);
    }
}
