/* The limits the host and the guest must agree on, written once. The bridge
 * compiles them in and shows them to guest Python as _pyodide_core constants;
 * Pyodide.Runtime's build turns each `#define PYN_NAME INTEGER` line into a
 * C# constant of GuestLimits (see Pyodide.Runtime.csproj), which
 * src/Pyodide.Runtime/Limits.cs names. Keep to that one-line form. */
#ifndef PYODIDE_GUEST_PYN_LIMITS_H
#define PYODIDE_GUEST_PYN_LIMITS_H

/* Container levels a value crossing the boundary may nest: deeper ones are
 * refused rather than recursed into (a value may contain itself). */
#define PYN_MAX_NESTING 512

/* Argument slots of one host function call kept on the stack (the bridge's
 * slots, the host's pyodide_value_t array); more take a heap allocation. */
#define PYN_SMALL_ARGS 8

/* What pyodide._loop.drive returns (as a float) once its future is done;
 * any other negative value means nothing is scheduled. */
#define PYN_LOOP_DONE -2

#endif
