namespace Pyodide;

/// <summary>The named limits of the library, in one place. Those the guest must agree
/// with come from src/guest/bridge/pyn_limits.h (<see cref="GuestLimits"/>, generated from it
/// at build time), which the bridge compiles in and shows guest Python as
/// <c>_pyodide_core</c> constants.</summary>
internal static class Limits
{
    /// <summary>How many container levels a value crossing the boundary may nest: deeper
    /// input is refused (which also ends the walk of a value that contains itself).</summary>
    public const int MaxNesting = GuestLimits.PYN_MAX_NESTING;

    /// <summary>Argument values kept on the stack for one host function call; more take
    /// a heap allocation.</summary>
    public const int SmallArgs = GuestLimits.PYN_SMALL_ARGS;

    /// <summary>What <c>pyodide._loop.drive</c> returns once the future it drives is done.</summary>
    public const double LoopDone = GuestLimits.PYN_LOOP_DONE;

    /// <summary>At most this many items in one list the C ABI takes (arguments, module
    /// members, package names): 64 Ki, far beyond any real call, so a garbage count is
    /// refused before it is used to size anything.</summary>
    public const int MaxCount = 1 << 16;

    /// <summary>Deadlines beyond this many seconds (~30 years) mean none at all (a
    /// <see cref="TimeSpan"/> could not even hold 1e300 s).</summary>
    public const double MaxTimeoutSeconds = 1e9;
}
