/* Interrupts without running guest code. The host's epoch callback fires in
 * the middle of arbitrary wasm code (possibly a leaf function whose frame
 * lives below an unpublished stack pointer), so calling an export from it
 * could corrupt that frame. Instead the host writes three fields, exactly as
 * PyThreadState_SetAsyncExc would: the thread state's pending asynchronous
 * exception, the interpreter's "async exception pending" flag, and the eval
 * breaker. The interpreter raises KeyboardInterrupt at its next check. */
#define Py_BUILD_CORE 1
#include "bridge.h"

#include "internal/pycore_interp.h"
#include "internal/pycore_pystate.h"

/* The delivered exception's reference, consumed when it is raised. */
static int holding_reference;

static void hold_reference(void) {
  if (!holding_reference) {
    Py_INCREF(PyExc_KeyboardInterrupt);
    holding_reference = 1;
  }
}

/* Writes {async_exc address, value to store there, pending-flag address,
 * eval-breaker address} at `out`. Called once, after pyn_init. */
PYN_EXPORT(pyn_interrupt_slots) int32_t pyn_interrupt_slots(uint32_t* out) {
  PyThreadState* ts = PyThreadState_Get();
  PyInterpreterState* interp = ts->interp;
  hold_reference();
  out[0] = (uint32_t)(uintptr_t)&ts->async_exc;
  out[1] = (uint32_t)(uintptr_t)PyExc_KeyboardInterrupt;
  out[2] = (uint32_t)(uintptr_t)&interp->ceval.pending.async_exc;
  out[3] = (uint32_t)(uintptr_t)&interp->ceval.eval_breaker;
  return 0;
}

/* Signals go the same way (pyodide_signal): cpython-patches/wasi-signal-slots.patch
 * keeps, for each signal, whether Python's handler is its default, SIG_IGN or a
 * handler of Python's own; the host reads that and, for a handler, stores what
 * CPython's trip_signal stores, so the handler runs at the interpreter's next check. */
extern void _PyPyn_SignalSlots(uint32_t* out);

/* Writes {the signals' actions (a byte each: 0 default, 1 ignored, 2 handled),
 * &tripped of signal 0, the distance between two signals' tripped, the
 * is_tripped flag's address, the number of signals, the signals_pending flag's
 * address} at `out`. Called once, after pyn_init. */
PYN_EXPORT(pyn_signal_slots) int32_t pyn_signal_slots(uint32_t* out) {
  _PyPyn_SignalSlots(out);
  out[5] = (uint32_t)(uintptr_t)&_PyRuntime.ceval.signals_pending;
  return 0;
}

/* After a call the host asked to stop: drops an interrupt that was never
 * raised (so it cannot surface in the next call), or takes a new reference
 * for the next one if it was. Returns whether one was still pending. */
PYN_EXPORT(pyn_interrupt_clear) int32_t pyn_interrupt_clear(void) {
  PyThreadState* ts = PyThreadState_Get();
  if (ts->async_exc == PyExc_KeyboardInterrupt) {
    ts->async_exc = NULL; /* the reference stays held for the next time */
    ts->interp->ceval.pending.async_exc = 0;
    return 1;
  }
  holding_reference = 0; /* raising consumed it */
  hold_reference();
  return 0;
}

int interrupt_raise_pending(void) {
  PyThreadState* ts = PyThreadState_Get();
  PyObject* exc = ts->async_exc;
  if (!exc) return 0;
  /* What the eval loop does with an asynchronous exception: the reference
   * hold_reference took is consumed, and pyn_interrupt_clear takes a new one. */
  ts->async_exc = NULL;
  ts->interp->ceval.pending.async_exc = 0;
  PyErr_SetNone(exc);
  Py_DECREF(exc);
  return -1;
}
