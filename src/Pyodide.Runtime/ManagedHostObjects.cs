using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Pyodide.Guest;
using Pyodide.Operations;

namespace Pyodide;

public sealed partial class PyodideRuntime
{
    /// <summary>Gives <paramref name="value"/> to Python by reference, as a host object, where
    /// it would otherwise be converted: a list or dictionary then stays the program's, and
    /// Python's <c>x[i] = v</c>, <c>del x[k]</c> and <c>x.Add(v)</c> change it. (Any object
    /// that is not a plain value, a list or a dictionary is a host object anyway; a
    /// collection a host object's member returns is one too.) In a trimmed or NativeAOT
    /// program, giving an object this way also keeps the public members of
    /// <typeparamref name="T"/> that Python may use.</summary>
    public static object ByReference<[DynamicallyAccessedMembers(HostTypeAccessor.Members)] T>(T value) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(value);
        return new ByReference(value);
    }
}

/// <summary>A .NET type as a host class of one runtime (its accessor is shared by all).</summary>
internal sealed class ManagedHostClass : HostClass
{
    public readonly HostTypeAccessor Accessor;

    private ManagedHostClass(HostTypeAccessor accessor) : base(accessor.Name, accessor.Flags, accessor.MethodNames) =>
        Accessor = accessor;

    /// <summary>The class of <paramref name="type"/> in <paramref name="runtime"/>, registered with
    /// its guest the first time; an <see cref="ArgumentException"/> for a forbidden type.
    /// Inside a call (the lock held).</summary>
    public static ManagedHostClass For(PyodideRuntime runtime, Type type)
    {
        runtime.ThrowIfGuestDead();
        var key = new HostClassKey(0, type);
        var registry = runtime.HostObjects;
        if (registry.TryGetClass(key, out var known)) return (ManagedHostClass)known;
        return (ManagedHostClass)registry.AddClass(runtime, key, new ManagedHostClass(HostTypeAccessor.For(type)));
    }

    public override uint Invoke(PyodideRuntime runtime, GuestInstance guest, in HostObjectRef target, HostObjectOp op, int method,
                                uint args, uint count, GuestInstance.AnswerWriter answer, ref bool done) =>
        Accessor.Invoke(runtime, guest, target.Managed!, op, method, args, count, answer, ref done);

    /// <summary>The object is the program's: Python letting go only drops the reference
    /// (an enumerator Python iterated is ours, and is disposed).</summary>
    public override void Finalize(in HostObjectRef target) =>
        ((target.Managed as HostEnumerator)?.Enumerator as IDisposable)?.Dispose();
}

/// <summary>A call whose argument and result types are scalars (long, int, double, bool),
/// made through a typed delegate built once: nothing is boxed or allocated per call.</summary>
internal abstract unsafe class FastCall
{
    public abstract uint Invoke(PyodideRuntime runtime, GuestInstance guest, object target, Slot* args, GuestInstance.AnswerWriter answer);

    private static bool IsScalar(Type t) => t == typeof(long) || t == typeof(int) || t == typeof(double) || t == typeof(bool);

    /// <summary>The typed call of <paramref name="method"/> (an instance method of a class, of
    /// up to two scalar parameters and a scalar result), or null when it has no such form,
    /// or this runtime cannot make one (without dynamic code, for a new instantiation).</summary>
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Without the instantiation the call takes MethodInvoker's path.")]
    [UnconditionalSuppressMessage("Trimming", "IL2055", Justification = "The generic types are kept by DynamicDependency.")]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors, typeof(FastCall<,>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors, typeof(FastCall<,,>))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors, typeof(FastCall<,,,>))]
    public static FastCall? TryCreate(MethodInfo method)
    {
        var parameters = method.GetParameters();
        if (parameters.Length > 2 || !IsScalar(method.ReturnType) || parameters.Any(p => !IsScalar(p.ParameterType)) ||
            method.DeclaringType is not { IsValueType: false, ContainsGenericParameters: false } declaring)
            return null;
        Type generic = parameters.Length switch { 0 => typeof(FastCall<,>), 1 => typeof(FastCall<,,>), _ => typeof(FastCall<,,,>) };
        Type[] arguments = [declaring, .. parameters.Select(p => p.ParameterType), method.ReturnType];
        try
        {
            return (FastCall?)Activator.CreateInstance(generic.MakeGenericType(arguments), method);
        }
        catch (Exception)
        {
            return null;
        }
    }

    protected static TArg Arg<TArg>(PyodideRuntime runtime, GuestInstance guest, in Slot slot)
    {
        try
        {
            return ManagedCodec.ReadAs<TArg>(runtime, guest, slot);
        }
        catch (InvalidCastException e)
        {
            throw new PythonException("TypeError", e.Message.Replace("the result is", "the argument is"));
        }
    }
}

internal sealed unsafe class FastCall<TTarget, TResult>(MethodInfo method) : FastCall where TTarget : class
{
    private readonly Func<TTarget, TResult> _f = method.CreateDelegate<Func<TTarget, TResult>>();

    public override uint Invoke(PyodideRuntime runtime, GuestInstance guest, object target, Slot* args, GuestInstance.AnswerWriter answer) =>
        GuestOps.Answer(answer, runtime, new TypedArg<TResult>(_f((TTarget)target)));
}

internal sealed unsafe class FastCall<TTarget, TArg, TResult>(MethodInfo method) : FastCall where TTarget : class
{
    private readonly Func<TTarget, TArg, TResult> _f = method.CreateDelegate<Func<TTarget, TArg, TResult>>();

    public override uint Invoke(PyodideRuntime runtime, GuestInstance guest, object target, Slot* args, GuestInstance.AnswerWriter answer) =>
        GuestOps.Answer(answer, runtime, new TypedArg<TResult>(_f((TTarget)target, Arg<TArg>(runtime, guest, args[0]))));
}

internal sealed unsafe class FastCall<TTarget, TArg1, TArg2, TResult>(MethodInfo method) : FastCall where TTarget : class
{
    private readonly Func<TTarget, TArg1, TArg2, TResult> _f = method.CreateDelegate<Func<TTarget, TArg1, TArg2, TResult>>();

    public override uint Invoke(PyodideRuntime runtime, GuestInstance guest, object target, Slot* args, GuestInstance.AnswerWriter answer) =>
        GuestOps.Answer(answer, runtime, new TypedArg<TResult>(
            _f((TTarget)target, Arg<TArg1>(runtime, guest, args[0]), Arg<TArg2>(runtime, guest, args[1]))));
}

/// <summary>Python values (as the managed codec reads them) into .NET parameter types.</summary>
internal static class Conversion
{
    /// <summary><paramref name="value"/> as a <paramref name="type"/>; a TypeError (Python's)
    /// naming <paramref name="what"/> when it has no such form.</summary>
    public static object? To(object? value, Type type, string what)
    {
        if (value == null)
        {
            if (!type.IsValueType || Nullable.GetUnderlyingType(type) != null) return null;
            throw new PythonException("TypeError", $"{what}: None cannot be a {type.Name}");
        }
        if (type.IsInstanceOfType(value)) return value;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (Fits(value, target) > 0 && value is IConvertible)
        {
            try
            {
                return Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
                throw new PythonException("TypeError", $"{what}: {value} does not fit in a {target.Name}");
            }
        }
        throw new PythonException("TypeError", $"{what}: a {KindOf(value)} cannot be a {type.Name}");
    }

    /// <summary>How well <paramref name="args"/> fit <paramref name="parameters"/>: -1 not at all,
    /// else the sum of each argument's fit (2 exact, 1 converted).</summary>
    public static int Score(object?[] args, ParameterInfo[] parameters)
    {
        if (args.Length != parameters.Length) return -1;
        int score = 0;
        for (int i = 0; i < args.Length; i++)
        {
            int fit = Fits(args[i], parameters[i].ParameterType);
            if (fit < 0) return -1;
            score += fit;
        }
        return score;
    }

    private static int Fits(object? value, Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (value == null) return !type.IsValueType || target != type ? 1 : -1;
        if (value.GetType() == target) return 2;
        if (type.IsInstanceOfType(value)) return 1;
        return value switch
        {
            long when target == typeof(int) || target == typeof(short) || target == typeof(sbyte) || target == typeof(byte) ||
                      target == typeof(ushort) || target == typeof(uint) || target == typeof(ulong) || target == typeof(double) ||
                      target == typeof(float) || target == typeof(decimal) => 1,
            double when target == typeof(float) || target == typeof(decimal) => 1,
            _ => -1,
        };
    }

    /// <summary>The Python name of a value's kind, for messages.</summary>
    public static string KindOf(object? value) => value switch
    {
        null => "None", bool => "bool", long => "int", double => "float", string => "str", byte[] => "bytes",
        PyProxy => "Python object", _ => value.GetType().Name,
    };
}

/// <summary>A .NET <see cref="Task"/> a host object's member returns, as an asyncio future
/// of the runtime's loop: completed with the task's result (or failed with its exception)
/// when the task completes, on whichever thread that happens.</summary>
internal static class HostTasks
{
    public static PyProxy Future(PyodideRuntime runtime, Task task)
    {
        var future = runtime.CreateFuture();
        var pending = GuestOps.Copy(future); // the continuation's own, disposed by it
        task.ContinueWith(done =>
        {
            try
            {
                if (done.IsCompletedSuccessfully) runtime.ResolveFuture(pending, ResultOf(done));
                else if (done.IsCanceled)
                {
                    using var cancel = (PyProxy)pending.GetAttr("cancel")!;
                    cancel.Call();
                }
                else
                {
                    var error = done.Exception!.InnerExceptions.Count == 1 ? done.Exception.InnerException! : done.Exception;
                    runtime.RejectFuture(pending, error is PythonException p ? p.PythonType : "RuntimeError", error.Message);
                }
            }
            catch (Exception)
            {
                // The runtime was disposed meanwhile, or the future was cancelled: nobody waits.
            }
            finally
            {
                pending.Dispose();
            }
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return future;
    }

    /// <summary>A <c>Task&lt;T&gt;</c>'s result; null for a plain <see cref="Task"/> (whose
    /// runtime type may be a <c>Task</c> of an internal placeholder).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "Without the property the result is None.")]
    private static object? ResultOf(Task task)
    {
        var type = task.GetType();
        if (!type.IsGenericType || type.GetGenericArguments()[0] is not { IsVisible: true }) return null;
        return type.GetProperty(nameof(Task<int>.Result))?.GetValue(task);
    }
}
