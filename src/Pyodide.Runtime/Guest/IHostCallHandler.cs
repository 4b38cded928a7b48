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
}
