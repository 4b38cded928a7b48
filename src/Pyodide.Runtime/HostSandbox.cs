using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Pyodide;

/// <summary>Hides a public member of a .NET object from Python.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Method)]
public sealed class PyodideHiddenAttribute : Attribute;

/// <summary>An allow-list: on a type, Python sees only its members that carry this
/// attribute too (nothing else of the type or its bases); on a member of such a type,
/// that member is visible.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Property | AttributeTargets.Field |
                AttributeTargets.Method)]
public sealed class PyodideVisibleAttribute : Attribute;

/// <summary>What of a .NET object Python may see, decided once per type: sandbox first.
/// Only public instance members of the object's own type chain, and of those none
/// declared by <see cref="object"/>, <see cref="Delegate"/> or other runtime base types
/// (so no <c>GetType()</c>, no delegate <c>Method</c>/<c>Target</c>/<c>DynamicInvoke</c>);
/// no member whose signature involves reflection, <see cref="Type"/>, pointers or the
/// other forbidden types below; no static member (nothing reaches a type by name).
/// An object of a forbidden type never becomes a host object at all.</summary>
internal static class HostSandbox
{
    /// <summary>Types that reach reflection, code loading, processes, the file system or
    /// raw memory: never given to Python, never in a visible member's signature.</summary>
    public static bool IsForbidden(Type t)
    {
        while (t.HasElementType) t = t.GetElementType()!; // Type[], Type&, byte*
        if (t.IsPointer || t.IsByRef || t.IsByRefLike || t.IsFunctionPointer) return true;
        if (typeof(MemberInfo).IsAssignableFrom(t) || typeof(Assembly).IsAssignableFrom(t) ||
            typeof(Module).IsAssignableFrom(t) || typeof(ParameterInfo).IsAssignableFrom(t))
            return true;
        if (t == typeof(AppDomain) || t == typeof(RuntimeTypeHandle) || t == typeof(RuntimeMethodHandle) ||
            t == typeof(RuntimeFieldHandle) || t == typeof(IntPtr) || t == typeof(UIntPtr) || t == typeof(TypedReference) ||
            t == typeof(ModuleHandle) || t == typeof(Environment) || t == typeof(Activator))
            return true;
        if (typeof(FileSystemInfo).IsAssignableFrom(t) || typeof(FileStream).IsAssignableFrom(t) || t == typeof(DriveInfo) ||
            t == typeof(FileSystemWatcher))
            return true;
        string ns = t.Namespace ?? "";
        if (ns == "System.Reflection" || ns.StartsWith("System.Reflection.", StringComparison.Ordinal) ||
            ns.StartsWith("System.Runtime.Loader", StringComparison.Ordinal) ||
            ns.StartsWith("System.Runtime.InteropServices", StringComparison.Ordinal) ||
            ns.StartsWith("System.Runtime.Serialization", StringComparison.Ordinal) ||
            ns == "System.Diagnostics" || ns.StartsWith("System.Linq.Expressions", StringComparison.Ordinal))
            return true;
        return t.IsGenericType && t.GetGenericArguments().Any(IsForbidden);
    }

    /// <summary>Runtime base types whose members are the runtime's, not the object's.</summary>
    private static bool IsRuntimeBase(Type? declaring) =>
        declaring == null || declaring == typeof(object) || declaring == typeof(ValueType) || declaring == typeof(Enum) ||
        declaring == typeof(Delegate) || declaring == typeof(MulticastDelegate) || declaring == typeof(MarshalByRefObject) ||
        typeof(Delegate).IsAssignableFrom(declaring);

    /// <summary>Whether <paramref name="member"/> of <paramref name="type"/> is visible to Python.</summary>
    public static bool IsVisible(Type type, MemberInfo member)
    {
        if (IsRuntimeBase(member.DeclaringType)) return false;
        // Compiler-made members (a record's <Clone>$) and dunder names are not the object's.
        if (!HostModuleRegistry.IsIdentifier(member.Name) || member.Name.StartsWith("__", StringComparison.Ordinal)) return false;
        if (member.IsDefined(typeof(PyodideHiddenAttribute), true)) return false;
        if (type.IsDefined(typeof(PyodideVisibleAttribute), true) && !member.IsDefined(typeof(PyodideVisibleAttribute), true))
            return false;
        return member switch
        {
            PropertyInfo p => !IsForbidden(p.PropertyType) && p.GetIndexParameters().All(i => !IsForbidden(i.ParameterType)),
            FieldInfo f => !IsForbidden(f.FieldType),
            MethodInfo m => !m.IsGenericMethodDefinition && !m.IsSpecialName && !IsForbidden(m.ReturnType) &&
                            m.GetParameters().All(p => !p.ParameterType.IsByRef && !p.IsOut && !IsForbidden(p.ParameterType)),
            _ => false,
        };
    }

    /// <summary>The public instance members of <paramref name="type"/>'s chain Python may see.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070",
        Justification = "Members the trimmer removed are simply not visible to Python.")]
    public static (PropertyInfo[] Properties, FieldInfo[] Fields, MethodInfo[] Methods) Members(Type type)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance;
        if (typeof(Delegate).IsAssignableFrom(type)) return ([], [], []); // callable, nothing more
        var properties = type.GetProperties(flags).Where(p => IsVisible(type, p)).ToArray();
        var fields = type.GetFields(flags).Where(f => IsVisible(type, f)).ToArray();
        var methods = type.GetMethods(flags).Where(m => IsVisible(type, m)).ToArray();
        return (properties, fields, methods);
    }
}
