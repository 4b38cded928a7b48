namespace Pyodide.Guest;

/// <summary>Answers Python's calls of host functions (the <c>call_host</c> import).</summary>
internal interface IHostCallHandler
{
    /// <summary>Calls host function <paramref name="id"/> with <paramref name="count"/> argument
    /// slots at guest address <paramref name="args"/>, writes the result through
    /// <paramref name="answer"/> and returns the payload block it allocated (0 if none).
    /// Throws to raise in Python: a <see cref="PythonException"/> as its own type,
    /// anything else as RuntimeError/TypeError.</summary>
    uint Call(GuestInstance guest, uint id, uint args, uint count, GuestInstance.AnswerWriter answer);

    /// <summary>Python freed the callable of host function <paramref name="id"/>.</summary>
    void Drop(uint id);

    /// <summary>Carries out operation <paramref name="op"/> (a <c>HostObjectOp</c>, with a
    /// method's index above <c>HostClass.MethodShift</c>) on host object <paramref name="id"/>,
    /// as <see cref="Call"/> does; <paramref name="done"/> ends an iteration.</summary>
    uint CallObject(GuestInstance guest, uint id, uint op, uint args, uint count, GuestInstance.AnswerWriter answer, out bool done);

    /// <summary>Python freed host object <paramref name="id"/>.</summary>
    void DropObject(uint id);

    /// <summary>Python imports <paramref name="name"/>, which no finder knows: registers it
    /// now if the host deferred it, and says whether it did.</summary>
    bool RegisterDeferred(string name);
}
