using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Pyodide.Guest;
using Pyodide.Operations;

namespace Pyodide;

/// <summary>How Python reaches the objects of one .NET type, worked out once per type (and
/// shared by every runtime): the members <see cref="HostSandbox"/> lets through as
/// attributes and methods, indexers, <see cref="IList"/>/<see cref="IDictionary"/> as
/// sequence and mapping, <see cref="IEnumerable"/> as iterable, delegates as callables.
/// Reflection runs here, when the type is first met; a call goes through an invoker made
/// then (<see cref="MethodInvoker"/>, or a typed delegate for scalar signatures, which
/// allocates nothing per call).</summary>
internal sealed unsafe class HostTypeAccessor
{
    private static readonly ConcurrentDictionary<Type, HostTypeAccessor> Cache = new();

    /// <summary>What of a type the accessor reads (for trimming annotations).</summary>
    public const DynamicallyAccessedMemberTypes Members = DynamicallyAccessedMemberTypes.PublicProperties |
        DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicMethods |
        DynamicallyAccessedMemberTypes.Interfaces;

    public readonly Type Type;
    public readonly string Name;
    public readonly uint Flags;
    public readonly string[] MethodNames;
    private readonly MethodGroup[] _methods;
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly PropertyInfo? _indexer;
    private readonly Type? _itemType, _keyType;

    /// <summary>The accessor of <paramref name="type"/>; an <see cref="ArgumentException"/>
    /// (TypeError in Python) for a type the sandbox forbids.</summary>
    public static HostTypeAccessor For(Type type)
    {
        if (HostSandbox.IsForbidden(type)) throw new ArgumentException($"a {type.FullName} cannot be given to Python");
        return Cache.GetOrAdd(type, t => new HostTypeAccessor(t));
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Interfaces the trimmer removed are simply not used.")]
    private HostTypeAccessor(Type type)
    {
        Type = type;
        int tick = type.Name.IndexOf('`');
        Name = tick > 0 ? type.Name[..tick] : type.Name;
        var (properties, fields, methods) = HostSandbox.Members(type);
        foreach (var p in properties)
        {
            if (p.GetIndexParameters().Length == 1) _indexer ??= p;
            else if (p.GetIndexParameters().Length == 0) _members.TryAdd(p.Name, new Member(p));
        }
        foreach (var f in fields) _members.TryAdd(f.Name, new Member(f));
        _methods = methods.Where(m => !_members.ContainsKey(m.Name)).GroupBy(m => m.Name, StringComparer.Ordinal)
                          .Select(g => new MethodGroup(g.Key, g.ToArray())).ToArray();
        MethodNames = _methods.Select(m => m.Name).ToArray();

        uint flags = HostClass.Flag(HostObjectOp.Dir);
        if (_members.Count > 0) flags |= HostClass.Flag(HostObjectOp.GetAttr) | HostClass.Flag(HostObjectOp.SetAttr);
        if (typeof(Delegate).IsAssignableFrom(type)) flags |= HostClass.Flag(HostObjectOp.Call);
        if (typeof(IList).IsAssignableFrom(type) || typeof(IDictionary).IsAssignableFrom(type) || _indexer != null)
            flags |= HostClass.Flag(HostObjectOp.GetItem) | HostClass.Flag(HostObjectOp.SetItem);
        if (typeof(ICollection).IsAssignableFrom(type)) flags |= HostClass.Flag(HostObjectOp.Length);
        if (typeof(IEnumerable).IsAssignableFrom(type)) flags |= HostClass.Flag(HostObjectOp.Iter);
        if (type == typeof(HostEnumerator)) flags = HostClass.Flag(HostObjectOp.Next);
        Flags = flags;
        var list = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IList<>));
        var dict = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        _itemType = dict?.GetGenericArguments()[1] ?? list?.GetGenericArguments()[0];
        _keyType = dict?.GetGenericArguments()[0];
    }

    /// <summary>Carries out <paramref name="op"/> on <paramref name="target"/> (see
    /// <see cref="HostClass.Invoke"/>).</summary>
    public uint Invoke(PyodideRuntime runtime, GuestInstance guest, object target, HostObjectOp op, int method,
                       uint args, uint count, GuestInstance.AnswerWriter answer, ref bool done)
    {
        var slots = (Slot*)guest.Checked(args, (ulong)count * Slot.Size);
        if (op == HostObjectOp.CallMethod && (uint)method < (uint)_methods.Length)
        {
            var group = _methods[method];
            var fast = group.Fast(count);
            if (fast != null) return fast.Invoke(runtime, guest, target, slots, answer);
            return Answer(answer, runtime, group.Call(Name, target, ReadAll(runtime, guest, slots, count)));
        }
        // Proxies among the values are the object's to keep or dispose, as a host function's are.
        var values = ReadAll(runtime, guest, slots, count);
        switch (op)
        {
            case HostObjectOp.GetAttr when count == 1 && values[0] is string name:
            {
                var member = Attribute(name);
                if (member.Fast != null) return member.Fast.Invoke(runtime, guest, target, slots, answer);
                return Answer(answer, runtime, member.Get(target));
            }
            case HostObjectOp.SetAttr when count is 1 or 2 && values[0] is string name:
                if (count == 1) throw new PythonException("TypeError", $"cannot delete attribute '{name}' of a {Name}");
                Attribute(name).Set(Name, target, values[1]);
                return Answer(answer, runtime, null);
            case HostObjectOp.Call when target is Delegate d:
                return Answer(answer, runtime, CallDelegate(d, values));
            case HostObjectOp.GetItem when count == 1:
                return Answer(answer, runtime, GetItem(target, values[0]));
            case HostObjectOp.SetItem when count is 1 or 2:
                SetItem(target, values[0], count == 2 ? values[1] : null, delete: count == 1);
                return Answer(answer, runtime, null);
            case HostObjectOp.Length when target is ICollection c:
                return GuestOps.Answer(answer, runtime, new TypedArg<long>(c.Count));
            case HostObjectOp.Dir:
                return GuestOps.Answer(answer, runtime, new ManagedArgs(_members.Keys.ToList<object?>())); // a copy
            case HostObjectOp.Iter when target is IEnumerable e:
                return Answer(answer, runtime, new HostEnumerator(target is IDictionary m ? m.Keys.GetEnumerator() : e.GetEnumerator()));
            case HostObjectOp.Next when target is HostEnumerator e:
                done = !e.Enumerator.MoveNext();
                return Answer(answer, runtime, done ? null : e.Enumerator.Current);
            default:
                throw new InvalidOperationException($"the guest asked a {Name} for an operation it lacks ({op})");
        }
    }

    /// <summary>A member's value for Python: a collection by reference (Python changes the
    /// object's own), a <see cref="Task"/> as an asyncio future Python can await, anything
    /// else as the managed codec converts it.</summary>
    private static uint Answer(GuestInstance.AnswerWriter answer, PyodideRuntime runtime, object? value)
    {
        if (value is Task task)
        {
            using var future = HostTasks.Future(runtime, task);
            return GuestOps.Answer(answer, runtime, new ManagedArgs(future));
        }
        return GuestOps.Answer(answer, runtime, new ManagedArgs(value is (IList or IDictionary) and not byte[] ? new ByReference(value) : value));
    }

    private static object?[] ReadAll(PyodideRuntime runtime, GuestInstance guest, Slot* slots, uint count)
    {
        var values = new object?[count];
        int read = 0;
        try
        {
            for (; read < count; read++) values[read] = ManagedCodec.Read(runtime, guest, slots[read]);
        }
        catch
        {
            // Handles the guest made for arguments never read are still ours to drop.
            for (uint i = (uint)read; i < count; i++)
                if (slots[i].Kind == SlotKind.Handle) guest.Release(slots[i].Address);
            throw;
        }
        return values;
    }

    private Member Attribute(string name) =>
        _members.TryGetValue(name, out var member) ? member
            : throw new PythonException("AttributeError", $"'{Name}' object has no attribute '{name}'");

    private static object? CallDelegate(Delegate d, object?[] args)
    {
        var parameters = d.GetType().GetMethod("Invoke")!.GetParameters();
        if (parameters.Length != args.Length)
            throw new PythonException("TypeError", $"the delegate takes {parameters.Length} arguments ({args.Length} given)");
        var converted = new object?[args.Length];
        for (int i = 0; i < args.Length; i++) converted[i] = Conversion.To(args[i], parameters[i].ParameterType, "the delegate");
        return Unwrapped(() => d.DynamicInvoke(converted));
    }

    private object? GetItem(object target, object? key)
    {
        switch (target)
        {
            case IDictionary map:
            {
                object k = Conversion.To(key, _keyType ?? typeof(object), "a key") ?? throw new PythonException("KeyError", "None");
                if (!map.Contains(k)) throw new PythonException("KeyError", PythonRepr(key));
                return map[k];
            }
            case IList list:
                return list[Index(list, key)];
            default:
                return Unwrapped(() => _indexer!.GetValue(target, [Conversion.To(key, _indexer.GetIndexParameters()[0].ParameterType, "an index")]));
        }
    }

    private void SetItem(object target, object? key, object? value, bool delete)
    {
        switch (target)
        {
            case IDictionary map:
            {
                object k = Conversion.To(key, _keyType ?? typeof(object), "a key") ?? throw new PythonException("KeyError", "None");
                if (!delete) map[k] = Conversion.To(value, _itemType ?? typeof(object), "a value");
                else if (map.Contains(k)) map.Remove(k);
                else throw new PythonException("KeyError", PythonRepr(key));
                return;
            }
            case IList list:
            {
                int i = Index(list, key);
                if (delete) list.RemoveAt(i);
                else list[i] = Conversion.To(value, _itemType ?? typeof(object), "an item");
                return;
            }
            default:
                if (delete || _indexer?.SetMethod is not { IsPublic: true })
                    throw new PythonException("TypeError", $"'{Name}' object does not support item {(delete ? "deletion" : "assignment")}");
                Unwrapped(() =>
                {
                    _indexer.SetValue(target, Conversion.To(value, _indexer.PropertyType, "a value"),
                                      [Conversion.To(key, _indexer.GetIndexParameters()[0].ParameterType, "an index")]);
                    return null;
                });
                return;
        }
    }

    /// <summary>A Python index into a list: an int, negative from the end.</summary>
    private static int Index(IList list, object? key)
    {
        if (key is not long i) throw new PythonException("TypeError", "list indices must be integers");
        long index = i < 0 ? i + list.Count : i;
        if (index < 0 || index >= list.Count) throw new PythonException("IndexError", "list index out of range");
        return (int)index;
    }

    private static string PythonRepr(object? key) => key is string s ? $"'{s}'" : key?.ToString() ?? "None";

    /// <summary>Runs reflection's call, turning its wrapper back into the exception thrown.</summary>
    internal static object? Unwrapped(Func<object?> call)
    {
        try
        {
            return call();
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    /// <summary>A property or field seen as an attribute.</summary>
    private sealed class Member
    {
        private readonly PropertyInfo? _property;
        private readonly FieldInfo? _field;
        private readonly MethodInvoker? _getter, _setter;
        private readonly Type _type;
        /// <summary>A typed getter for a scalar property: no allocation per access.</summary>
        public readonly FastCall? Fast;

        public Member(PropertyInfo p)
        {
            _property = p;
            _type = p.PropertyType;
            if (p.GetMethod is { IsPublic: true } get)
            {
                _getter = MethodInvoker.Create(get);
                Fast = FastCall.TryCreate(get);
            }
            if (p.SetMethod is { IsPublic: true } set) _setter = MethodInvoker.Create(set);
        }

        public Member(FieldInfo f)
        {
            _field = f;
            _type = f.FieldType;
        }

        public object? Get(object target)
        {
            if (_field != null) return _field.GetValue(target);
            if (_getter == null) throw new PythonException("AttributeError", $"property '{_property!.Name}' has no getter");
            return Unwrapped(() => _getter.Invoke(target));
        }

        public void Set(string typeName, object target, object? value)
        {
            string name = _property?.Name ?? _field!.Name;
            if (_field != null ? _field.IsInitOnly || _field.IsLiteral : _setter == null)
                throw new PythonException("AttributeError", $"'{typeName}' attribute '{name}' is read-only");
            object? converted = Conversion.To(value, _type, name);
            if (_field != null) _field.SetValue(target, converted);
            else Unwrapped(() => _setter!.Invoke(target, converted));
        }
    }

    /// <summary>The overloads of one method name, chosen by arity and argument kinds.</summary>
    private sealed class MethodGroup
    {
        public readonly string Name;
        private readonly MethodInfo[] _overloads;
        private readonly ParameterInfo[][] _parameters;
        private readonly MethodInvoker[] _invokers;
        private readonly FastCall?[] _fast = new FastCall?[3];

        public MethodGroup(string name, MethodInfo[] overloads)
        {
            Name = name;
            _overloads = overloads;
            _parameters = overloads.Select(m => m.GetParameters()).ToArray();
            _invokers = overloads.Select(MethodInvoker.Create).ToArray();
            // A typed call only where the arity alone picks the overload.
            for (int n = 0; n < _fast.Length; n++)
            {
                var only = overloads.Where((m, i) => _parameters[i].Length == n).ToArray();
                if (only.Length == 1) _fast[n] = FastCall.TryCreate(only[0]);
            }
        }

        public FastCall? Fast(uint count) => count < _fast.Length ? _fast[count] : null;

        public object? Call(string typeName, object target, object?[] args)
        {
            int best = -1, bestScore = -1;
            for (int i = 0; i < _overloads.Length; i++)
            {
                int score = Conversion.Score(args, _parameters[i]);
                if (score > bestScore) (best, bestScore) = (i, score);
            }
            if (best < 0)
            {
                var arities = string.Join(" or ", _parameters.Select(p => p.Length).Distinct().Order());
                throw new PythonException("TypeError",
                    $"{typeName}.{Name}() takes {arities} arguments of other kinds ({args.Length} given: {string.Join(", ", args.Select(Conversion.KindOf))})");
            }
            var parameters = _parameters[best];
            var converted = new object?[args.Length];
            for (int i = 0; i < args.Length; i++) converted[i] = Conversion.To(args[i], parameters[i].ParameterType, $"{Name}()");
            var invoker = _invokers[best];
            return Unwrapped(() => invoker.Invoke(target, new Span<object?>(converted)));
        }
    }
}

/// <summary>An enumerator handed to Python as an iterator (<c>iter()</c> of an
/// <see cref="IEnumerable"/>): the only thing Python sees of it is <c>next()</c>.</summary>
internal sealed class HostEnumerator(IEnumerator enumerator)
{
    internal readonly IEnumerator Enumerator = enumerator;
}
