/*
 * A randomized driver of the whole C ABI: random operations with random, often
 * invalid, arguments. Deterministic for a seed (RB_SEED=<n> to choose one; the
 * seed is printed). RB_TRACE=1 prints every operation before it runs (to find the
 * one that crashed); RB_CHECK_EACH=1 checks the runtimes' object counts after every
 * operation; RB_OPS / RB_SECONDS change the budget (default: 100000 operations or
 * 20 s, whichever comes first); RB_INVARIANTS=0 (set by the leakcheck run) reports
 * finalizer and object-count mismatches without failing.
 *
 * Checked: every call returns; every error has a valid kind and a non-empty type
 * and message, and none is an "internal error"; out-parameters are untouched on
 * error; every value the library fills is well formed; at the end, after
 * destroying everything, no proxy or buffer the driver made is left in
 * pyodide_stats, and each live runtime holds exactly the objects the driver still
 * had proxies/buffers for.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rb_util.h"

/* ---- deterministic randomness ---- */

static uint64_t rng_state;
static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }
static bool chance(unsigned percent) { return below(100) < percent; }

/* ---- the driver's world ---- */

enum { RT_A, RT_B, NRT };
enum { P_LIVE, P_DESTROYED, P_DEAD_RUNTIME };

typedef struct {
  pyproxy_t* p;
  int state;
  int rt; /* RT_A, RT_B, or -1 for a runtime destroyed since */
} proxy_entry;

enum { MAX_PROXIES = 192, MAX_BUFFERS = 12, MAX_ERRORS = 32 };

typedef struct {
  pybuffer_t b;
  int state; /* 0 empty/zeroed, 1 live, 2 released, 3 garbage reserved */
  int rt;
} buffer_slot;

static pyodide_t* runtimes[NRT];
static pyodide_t* dead_runtime;
static uint64_t rt_base_objects[NRT];
static proxy_entry proxies[MAX_PROXIES];
static int nproxies;
static buffer_slot buffers[MAX_BUFFERS];
static pyodide_error_t* deleted_errors[MAX_ERRORS];
static int ndeleted;
static uint64_t junk[32]; /* random stack-like memory for garbage pointers */
static bool trace;

static long kind_count[6];
static long op_count[56];
static long successes;

static const char* const OP_NAMES[56] = {
    "error_query", "error_delete", "value_release", "config_init", "load_bad",
    "version", "run_python", "interrupt", "set_timeout", "globals",
    "get", "set", "has", "delete", "length",
    "type", "call", "copy", "get_attr", "set_attr",
    "has_attr", "del_attr", "call_kwargs", "is_pyproxy", "iter",
    "next", "to_js", "to_py", "destroy", "get_buffer",
    "buffer_release", "stats", "buffer_write", "recycle_b", "destroy_runtime_bad",
    "error_new", "register_module", "unregister_module", "load_package", "load_from_imports",
    "loaded_packages", "pyimport", "pyodide_py", "run_python_async", "run_pending", "await",
    "then_catch_finally", "future_new", "future_resolve", "future_reject", "host_object"};
enum { NOPS = 51 };

/* ---- error handling ---- */

static int current_op;
static long iteration;

static void consume(pyodide_error_t* e) {
  if (e == NULL) {
    successes++;
    return;
  }
  pyodide_error_kind_t kind = pyodide_error_kind(e);
  const char* type = pyodide_error_type(e);
  const char* message = pyodide_error_message(e);
  if (kind < PYODIDE_ERROR_PYTHON || kind > PYODIDE_ERROR_FATAL)
    harness_fail(__FILE__, __LINE__, "iteration %ld (%s): error of invalid kind %d", iteration,
                 OP_NAMES[current_op], (int)kind);
  if (type == NULL || message == NULL || !type[0] || !message[0])
    harness_fail(__FILE__, __LINE__, "iteration %ld (%s): NULL/empty type or message", iteration,
                 OP_NAMES[current_op]);
  if (strstr(message, "internal error") != NULL)
    harness_fail(__FILE__, __LINE__, "iteration %ld (%s): %s %s: %s", iteration,
                 OP_NAMES[current_op], rb_kind_name(kind), type, message);
  kind_count[kind]++;
  pyodide_error_delete(e);
  if (ndeleted < MAX_ERRORS) {
    deleted_errors[ndeleted++] = e;
  } else {
    deleted_errors[below(MAX_ERRORS)] = e;
  }
}

/* ---- argument generators ---- */

static void* garbage_pointer(void) {
  switch (below(8)) {
    case 0: return (void*)(uintptr_t)0x1234;
    case 1: return (void*)(uintptr_t)0xdeadbeef;
    case 2: return (void*)(uintptr_t)UINTPTR_MAX;
    case 3: return (void*)&junk[below(32)];
    case 4: return (void*)((char*)&junk[0] + below(200));
    case 5: return (void*)(uintptr_t)(rnd() | 1);
    case 6: return (void*)(uintptr_t)(0x5059ull << 48 | below(1000)); /* proxy-like tag */
    default: return (void*)(uintptr_t)(rnd() & 0xffffffffffffull);
  }
}

static pyodide_t* pick_runtime(void) {
  unsigned k = below(100);
  if (k < 60) return runtimes[below(NRT)];
  if (k < 70) return dead_runtime;
  if (k < 78) return NULL;
  if (k < 86 && nproxies > 0) return (pyodide_t*)proxies[below(nproxies)].p; /* wrong type */
  if (k < 92 && ndeleted > 0) return (pyodide_t*)deleted_errors[below(ndeleted)];
  return (pyodide_t*)garbage_pointer();
}

static pyproxy_t* pick_proxy(void) {
  unsigned k = below(100);
  if (k < 70 && nproxies > 0) return proxies[below(nproxies)].p;
  if (k < 76) return NULL;
  if (k < 82) return (pyproxy_t*)runtimes[below(NRT)];
  if (k < 86) return (pyproxy_t*)dead_runtime;
  if (k < 90 && ndeleted > 0) return (pyproxy_t*)deleted_errors[below(ndeleted)];
  return (pyproxy_t*)garbage_pointer();
}

typedef struct {
  const char* s;
  size_t len;
} text;

#define T(lit) {lit, sizeof(lit) - 1}
static const text STRINGS[] = {
    T(""), T("a"), T("hello"), T("keys"), T("x"), T("\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80"),
    T("nul\0inside"), T("\xff\xfe"), T("\xed\xa0\x80"), T("\xc0\xaf"), T("\xe2\x82"),
    T("\xf4\x90\x80\x80"), T("__class__"), T("__dict__"), T("append"), T("real"),
    T("nonexistent"), T("__init__"), T("__len__"), T("b"), T("0"),
};
static const text CODES[] = {
    T("1 + 1"), T("x = [1, 2, 3]\nx"), T("{'k': (1, 2), 3: None}"), T("b'\\x00\\xff'"),
    T("'\\u00e9\\u2713'"), T("None"), T("raise ValueError('boom')"), T("1/0"), T("def ("),
    T("lambda: 0"), T("(i for i in range(3))"), T("bytearray(8)"),
    T("import sys; sys.getrecursionlimit()"), T("2**80"), T("'\\ud800'"), T("globals().get('a')"),
    T("[[[[]]]]"), T("print('out')"), T("import sys; print('err', file=sys.stderr)"),
    T("memoryview(b'abc')"), T("float('nan')"), T("type"), T("exec('y = 2')"), T("\xff\xfe"),
    T("1 +\0 1"), T(""), T("a"), T("del a"), T("a = {}"), T("x"), T("[].pop()"),
    T("import json; json.dumps({'a': [1, 2]})"), T("set([1, 2])"), T("frozenset()"),
    T("__import__('array').array('i', range(4))"), T("range(5)"), T("iter([1, 2])"),
    T("{1: {2: {3: [4, (5,)]}}}"), T("True"), T("-0.0"), T("10**20"), T("-(2**63)"),
};
/* Python that uses the driver's host modules (when registered). */
static const text MODULE_CODES[] = {
    T("import rbmod_0 as m; m.f(1, 'x', [2])"), T("import rbmod_1; rbmod_1.f()"),
    T("import rbmod_2; rbmod_2.K"), T("import rbmod_3; rbmod_3.g(b'\\x00', None)"),
    T("import rbmod_0; rbmod_0.g(rbmod_0.f)"), T("__import__('sys').modules.pop('rbmod_1', None)"),
    T("import rb.pkg"), T("[__import__('rbmod_%d' % i).f() for i in range(4)]"),
    T("r = []\nfor i in range(4):\n    try:\n        r.append(__import__('rbmod_%d' % i).f(i))\n"
      "    except Exception as e:\n        r.append(type(e).__name__)\nr"),
};
static const char* const BUFFER_TYPES[] = {
    NULL, "u8", "i8", "u8clamped", "i16", "u16", "i32", "u32", "i64", "u64", "f32", "f64",
    "dataview", "bogus", "", "\xff", "U8",
};

enum { ARENA = 96 };
typedef struct {
  pyodide_value_t v[ARENA];
  int used;
} arena;

static pyodide_value_t* arena_take(arena* a, int n) {
  if (a->used + n > ARENA) return NULL;
  pyodide_value_t* p = &a->v[a->used];
  a->used += n;
  return p;
}

/* ---- host objects: classes the driver defines, objects it tracks ---- */

/* One object given to Python: its class's finalizer must run exactly once if a
 * Python object was made for it (pyodide_host_object_new succeeded, or a HOST
 * value of it was accepted), never otherwise. Each is given to one runtime. */
enum { MAX_HOST_OBJECTS = 2048 };
typedef struct {
  atomic_int finalized;
  bool dedicated; /* given by one pyodide_host_object_new only: finalized iff it succeeded */
  bool created;   /* (dedicated) that call succeeded */
  int offered;    /* (shared) HOST values of it passed to calls: finalized at most that often */
} host_obj;
static host_obj host_objects[MAX_HOST_OBJECTS];
static int nhost_objects;
static host_obj host_overflow; /* offered once the table is full: never judged */
static long host_slot_calls;
static const pyodide_host_class_t rb_class;
static void check_value(const pyodide_value_t* v, int depth);

static void rb_finalize(void* obj) { atomic_fetch_add(&((host_obj*)obj)->finalized, 1); }

static pyodide_error_t* rb_get_attr(void* obj, const char* name, size_t len, pyodide_value_t* out) {
  host_slot_calls++;
  if (len == 4 && memcmp(name, "self", 4) == 0) {
    out->kind = PYODIDE_HOST;
    out->of.host.cls = &rb_class;
    out->of.host.obj = obj;
    return NULL;
  }
  if (len == 1 && name[0] == 'a') {
    *out = v_int(1);
    return NULL;
  }
  if (len == 3 && memcmp(name, "bad", 3) == 0) {
    out->kind = (pyodide_kind_t)99; /* an invalid result */
    return NULL;
  }
  return pyodide_error_new("AttributeError", "no such attribute");
}
static pyodide_error_t* rb_set_attr(void* obj, const char* name, size_t len, const pyodide_value_t* value) {
  (void)obj, (void)name, (void)len, (void)value;
  host_slot_calls++;
  return len == 1 ? NULL : pyodide_error_new("AttributeError", "read-only");
}
static pyodide_error_t* rb_call(void* obj, const pyodide_value_t* args, size_t nargs, pyodide_value_t* out) {
  (void)obj;
  host_slot_calls++;
  for (size_t i = 0; i < nargs; i++) check_value(&args[i], 0);
  *out = v_int((int64_t)nargs);
  return NULL;
}
static pyodide_error_t* rb_get_item(void* obj, const pyodide_value_t* key, pyodide_value_t* out) {
  (void)obj;
  host_slot_calls++;
  check_value(key, 0);
  if (key->kind != PYODIDE_INT) return pyodide_error_new("KeyError", "ints only");
  *out = v_int(key->of.i);
  return NULL;
}
static pyodide_error_t* rb_length(void* obj, size_t* out) {
  (void)obj;
  host_slot_calls++;
  *out = 3;
  return NULL;
}
static pyodide_error_t* rb_iter(void* obj, pyodide_value_t* out) {
  (void)obj;
  host_slot_calls++;
  static pyodide_value_t items[2];
  items[0] = v_int(1);
  items[1] = v_str("two");
  *out = v_list(items, 2);
  return NULL;
}
static const char* const RB_METHODS[] = {"m", "fail"};
static pyodide_error_t* rb_call_method(void* obj, size_t method, const pyodide_value_t* args, size_t nargs,
                                       pyodide_value_t* out) {
  (void)obj;
  host_slot_calls++;
  for (size_t i = 0; i < nargs; i++) check_value(&args[i], 0);
  if (method == 1) return pyodide_error_new("RbHostError", "a method that fails");
  *out = v_int((int64_t)nargs);
  return NULL;
}
static const pyodide_host_class_t rb_class = {
  .size = sizeof(pyodide_host_class_t), .name = "RbObject", .get_attr = rb_get_attr, .set_attr = rb_set_attr,
  .call = rb_call, .get_item = rb_get_item, .length = rb_length, .finalize = rb_finalize, .iter = rb_iter,
  .methods = RB_METHODS, .nmethods = 2, .call_method = rb_call_method,
};
/* The first layout: the added members past `size` must be ignored. Its
 * `self` is of its own class (another class would make another Python object). */
static const pyodide_host_class_t rb_first_layout;
static pyodide_error_t* rb_first_get_attr(void* obj, const char* name, size_t len, pyodide_value_t* out) {
  pyodide_error_t* e = rb_get_attr(obj, name, len, out);
  if (e == NULL && out->kind == PYODIDE_HOST) out->of.host.cls = &rb_first_layout;
  return e;
}
static const pyodide_host_class_t rb_first_layout = {
  .size = offsetof(pyodide_host_class_t, dir), .name = "RbFirst", .get_attr = rb_first_get_attr,
  .finalize = rb_finalize, .methods = (const char* const*)(uintptr_t)0x1234, .nmethods = 99,
};

/* A shared object for a HOST value (any runtime, any call): a new one now and then,
 * else one offered before. */
static host_obj* pick_host_object(void) {
  if (nhost_objects > 0 && chance(70)) {
    host_obj* o = &host_objects[below((unsigned)nhost_objects)];
    if (!o->dedicated) return o;
  }
  return nhost_objects < MAX_HOST_OBJECTS ? &host_objects[nhost_objects++] : &host_overflow;
}

static pyodide_value_t host_value_of(host_obj* o) {
  pyodide_value_t v;
  memset(&v, 0, sizeof v);
  v.kind = PYODIDE_HOST;
  v.of.host.cls = chance(95) ? &rb_class : NULL; /* NULL: USAGE */
  v.of.host.obj = o;
  o->offered++;
  return v;
}

static pyodide_value_t gen_value(arena* a, int depth) {
  static const int64_t INTS[] = {0, 1, -1, 42, INT64_MAX, INT64_MIN, 1ll << 31, 1ll << 40,
                                 -(1ll << 33), 255, 256, 7};
  static const double FLOATS[] = {0.0, -0.0, 1.5, 1e308, -1e-308, 3.0};
  pyodide_value_t v;
  memset(&v, 0, sizeof v);
  unsigned k = below(100);
  if (depth >= 3 && k >= 52 && k < 66) k = below(52);
  if (k < 7) {
    v.kind = PYODIDE_NONE;
  } else if (k < 12) {
    v = v_bool(chance(50));
  } else if (k < 22) {
    v = v_int(INTS[below(sizeof INTS / sizeof INTS[0])]);
  } else if (k < 28) {
    unsigned f = below(8);
    v = v_float(f < 6 ? FLOATS[f] : f == 6 ? NAN : INFINITY);
  } else if (k < 42) {
    const text* t = &STRINGS[below(sizeof STRINGS / sizeof STRINGS[0])];
    unsigned how = below(10);
    if (how == 0) v = v_strn(NULL, 0);
    else if (how == 1) v = v_strn(NULL, 3);                 /* NULL with a length: USAGE */
    else if (how == 2 && memchr(t->s, 0, t->len) == NULL) v = v_strn(t->s, PYODIDE_STRLEN);
    else v = v_strn(t->s, t->len);
  } else if (k < 48) {
    const text* t = &STRINGS[below(sizeof STRINGS / sizeof STRINGS[0])];
    v = chance(10) ? v_bytes(NULL, 2) : v_bytes(t->s, t->len);
  } else if (k < 58) {
    int n = (int)below(4);
    pyodide_value_t* items = arena_take(a, n);
    if (items == NULL || chance(5)) {
      v = v_list(NULL, n ? (size_t)n : 2); /* NULL items: USAGE */
    } else {
      for (int i = 0; i < n; i++) items[i] = gen_value(a, depth + 1);
      v = v_list(items, (size_t)n);
    }
  } else if (k < 64) {
    int n = (int)below(3);
    pyodide_value_t* keys = arena_take(a, n);
    pyodide_value_t* vals = arena_take(a, n);
    if (keys == NULL || vals == NULL || chance(5)) {
      v = v_dict(NULL, NULL, n ? (size_t)n : 1);
    } else {
      for (int i = 0; i < n; i++) {
        keys[i] = chance(80) ? v_str(STRINGS[below(5)].s) : gen_value(a, depth + 1);
        vals[i] = gen_value(a, depth + 1);
      }
      v = v_dict(keys, vals, (size_t)n);
    }
  } else if (k < 80) {
    v = v_proxy(pick_proxy());
  } else if (k < 88) {
    v = host_value_of(pick_host_object());
  } else if (k < 95) {
    static const int BAD[] = {99, -1, 10, 1000000, INT32_MIN};
    v.kind = (pyodide_kind_t)BAD[below(5)];
    v.of.i = (int64_t)rnd();
  } else {
    /* A cyclic "tree" (one child pointing back at its parent). */
    pyodide_value_t* self = arena_take(a, 1);
    if (self == NULL) {
      v.kind = PYODIDE_NONE;
    } else {
      *self = v_list(self, 1);
      v = v_list(self, 1);
    }
  }
  return v;
}

/* ---- checking what the library hands back ---- */

static void add_proxy(pyproxy_t* p, int rt) {
  if (nproxies < MAX_PROXIES) {
    proxies[nproxies++] = (proxy_entry){p, P_LIVE, rt};
    return;
  }
  /* Full: replace a destroyed entry, or destroy the newcomer. */
  for (int i = 0; i < nproxies; i++) {
    if (proxies[i].state == P_DESTROYED) {
      proxies[i] = (proxy_entry){p, P_LIVE, rt};
      return;
    }
  }
  pyproxy_destroy(p);
}

/* Which runtime a proxy came from, when known (for bookkeeping). */
static int runtime_of(pyproxy_t* p) {
  for (int i = 0; i < nproxies; i++)
    if (proxies[i].p == p) return proxies[i].state == P_LIVE ? proxies[i].rt : -1;
  return -1;
}

static int rt_index(pyodide_t* rt) {
  for (int i = 0; i < NRT; i++)
    if (runtimes[i] == rt) return i;
  return -1;
}

static void check_value(const pyodide_value_t* v, int depth) {
  if (depth > 600) harness_fail(__FILE__, __LINE__, "iteration %ld: a value nested > 600 deep", iteration);
  switch (v->kind) {
    case PYODIDE_NONE: case PYODIDE_BOOL: case PYODIDE_INT: case PYODIDE_FLOAT: return;
    case PYODIDE_STR:
      if (v->of.str.ptr == NULL || v->of.str.ptr[v->of.str.len] != '\0')
        harness_fail(__FILE__, __LINE__, "iteration %ld: a STR without NUL terminator", iteration);
      return;
    case PYODIDE_BYTES:
      if (v->of.str.len > 0 && v->of.str.ptr == NULL)
        harness_fail(__FILE__, __LINE__, "iteration %ld: BYTES with a NULL pointer", iteration);
      return;
    case PYODIDE_LIST:
      if (v->of.list.len > 0 && v->of.list.items == NULL)
        harness_fail(__FILE__, __LINE__, "iteration %ld: LIST with NULL items", iteration);
      for (size_t i = 0; i < v->of.list.len; i++) check_value(&v->of.list.items[i], depth + 1);
      return;
    case PYODIDE_DICT:
      if (v->of.dict.len > 0 && (v->of.dict.keys == NULL || v->of.dict.values == NULL))
        harness_fail(__FILE__, __LINE__, "iteration %ld: DICT with NULL arrays", iteration);
      for (size_t i = 0; i < v->of.dict.len; i++) {
        check_value(&v->of.dict.keys[i], depth + 1);
        check_value(&v->of.dict.values[i], depth + 1);
      }
      return;
    case PYODIDE_PROXY:
      if (!pyodide_is_pyproxy(v->of.proxy))
        harness_fail(__FILE__, __LINE__, "iteration %ld: a PROXY value that is not a live proxy", iteration);
      return;
    case PYODIDE_HOST:
      if ((v->of.host.cls != &rb_class && v->of.host.cls != &rb_first_layout) ||
          ((host_obj*)v->of.host.obj != &host_overflow &&
           ((host_obj*)v->of.host.obj < host_objects || (host_obj*)v->of.host.obj >= host_objects + nhost_objects)))
        harness_fail(__FILE__, __LINE__, "iteration %ld: a HOST value the driver never gave", iteration);
      return;
  }
  harness_fail(__FILE__, __LINE__, "iteration %ld: a value of invalid kind %d", iteration, (int)v->kind);
}

/* Handles an owned output value: checks it; keeps a top-level proxy, releases the rest. */
static void take_value(pyodide_value_t* v, int rt) {
  check_value(v, 0);
  if (v->kind == PYODIDE_PROXY && rt >= 0 && chance(60)) {
    add_proxy(v->of.proxy, rt);
    v->kind = PYODIDE_NONE;
    return;
  }
  pyodide_value_release(v);
  if (v->kind != PYODIDE_NONE)
    harness_fail(__FILE__, __LINE__, "iteration %ld: pyodide_value_release left kind %d", iteration, (int)v->kind);
  if (chance(10)) pyodide_value_release(v); /* twice: harmless */
}

/* An error must leave the out-value untouched. */
static void after_value_call(pyodide_error_t* e, pyodide_value_t* out, int rt) {
  if (e != NULL) {
    if (out != NULL && !is_sentinel(out))
      harness_fail(__FILE__, __LINE__, "iteration %ld (%s): out-value written on error", iteration,
                   OP_NAMES[current_op]);
    consume(e);
    return;
  }
  consume(NULL);
  if (out != NULL) take_value(out, rt);
}

static void after_proxy_call(pyodide_error_t* e, pyproxy_t** out, pyproxy_t* sentinel, int rt) {
  if (e != NULL) {
    if (out != NULL && *out != sentinel)
      harness_fail(__FILE__, __LINE__, "iteration %ld (%s): out-proxy written on error", iteration,
                   OP_NAMES[current_op]);
    consume(e);
    return;
  }
  consume(NULL);
  if (out != NULL) {
    if (!pyodide_is_pyproxy(*out))
      harness_fail(__FILE__, __LINE__, "iteration %ld (%s): returned a non-proxy", iteration, OP_NAMES[current_op]);
    if (rt >= 0) add_proxy(*out, rt);
    else pyproxy_destroy(*out);
  }
}

static void mark_destroyed(pyproxy_t* p) {
  for (int i = 0; i < nproxies; i++)
    if (proxies[i].p == p && proxies[i].state != P_DESTROYED) proxies[i].state = P_DESTROYED;
}

/* ---- host modules: functions the driver registers, and their finalizers ---- */

enum { MAX_MODULE_ENVS = 4096 };
typedef struct {
  int mode;              /* what the host function does */
  pyodide_t* rt;         /* the runtime it was registered with */
  atomic_int finalized;  /* times the finalizer ran: must end 1 if registered, else 0 */
  bool registered;
  bool has_finalizer;
  long calls;
} module_env;
static module_env module_envs[MAX_MODULE_ENVS];
static int nmodule_envs;
static long host_calls;

static void module_finalizer(void* env) { atomic_fetch_add(&((module_env*)env)->finalized, 1); }

static pyodide_error_t* host_fn(void* envp, const pyodide_value_t* args, size_t nargs,
                                pyodide_value_t* result) {
  module_env* env = envp;
  env->calls++;
  host_calls++;
  if (trace) fprintf(stderr, "  host_fn mode %d nargs %zu arg0 kind %d\n", env->mode, nargs, nargs ? (int)args[0].kind : -1);
  if (nargs > 0 && args == NULL) harness_fail(__FILE__, __LINE__, "a host function got NULL args");
  for (size_t i = 0; i < nargs; i++) check_value(&args[i], 0);
  if (result == NULL || result->kind != PYODIDE_NONE)
    harness_fail(__FILE__, __LINE__, "a host function's result does not start as NONE");
  switch (env->mode) {
    case 0: *result = v_int((int64_t)nargs); return NULL;
    case 1: *result = v_str("from the host"); return NULL;
    case 2: return pyodide_error_new("ValueError", "raised by a host function");
    case 3: { /* calls back into its runtime, as host functions may */
      pyodide_value_t v = sentinel_value();
      pyodide_error_t* e = pyodide_run_python(env->rt, "6 * 7", PYODIDE_STRLEN, NULL, &v);
      if (e != NULL) return e; /* any other error: RuntimeError in Python */
      *result = v;              /* an INT: nothing owned */
      return NULL;
    }
    case 4: result->kind = (pyodide_kind_t)99; return NULL; /* an invalid result */
    case 5: return pyodide_error_new("RbCustomError", "a custom host error");
    case 6: return (pyodide_error_t*)(uintptr_t)0x1234; /* not an error handle */
    default: {
      static pyodide_value_t items[2];
      items[0] = v_int(1);
      items[1] = v_bytes("\x00\xff", 2);
      *result = v_list(items, 2);
      return NULL;
    }
  }
}

static const char* const MODULE_NAMES[] = {
    "rbmod_0", "rbmod_1", "rbmod_2", "rbmod_3", "rb.pkg", "", "1bad", "a..b", "\xff\xfe",
    "sys", "json", "rbmod_0 ", NULL,
};

static void register_module_op(void) {
  pyodide_t* rt = chance(70) ? runtimes[below(NRT)] : pick_runtime();
  const char* name = chance(70) ? MODULE_NAMES[below(4)]
                                : MODULE_NAMES[below(sizeof MODULE_NAMES / sizeof *MODULE_NAMES)];
  module_env* env = NULL;
  if (nmodule_envs < MAX_MODULE_ENVS) {
    env = &module_envs[nmodule_envs++];
    env->mode = (int)below(8);
    env->rt = rt;
  }
  static const pyodide_value_t konst = {PYODIDE_INT, {.i = 7}};
  static pyodide_value_t bad_const;
  bad_const.kind = (pyodide_kind_t)99;
  pyodide_host_member_t members[3] = {
      {"f", host_fn, NULL},
      {"K", NULL, &konst},
      {"g", host_fn, NULL},
  };
  switch (below(8)) {
    case 0: members[1].name = NULL; break;              /* a member without a name: USAGE */
    case 1: members[2].fn = NULL; break;                /* neither fn nor value: USAGE */
    case 2: members[1].value = &bad_const; break;       /* a constant of invalid kind */
    case 3: members[2].name = "\xff"; break;            /* invalid UTF-8 */
    default: break;
  }
  size_t n = chance(10) ? below(4) : 3;
  bool fin = env != NULL && chance(90);
  if (env) env->has_finalizer = fin;
  pyodide_error_t* e = pyodide_register_module(rt, name, chance(95) ? members : NULL, n,
                                               env, fin ? module_finalizer : NULL);
  if (e == NULL && env != NULL) env->registered = true; /* (past MAX_MODULE_ENVS: untracked) */
  consume(e);
}

/* pyproxy_then/catch/finally with a tracked env: like a module, its finalizer must
 * run exactly once when the call succeeded, never when it failed. */
static void then_op(void) {
  pyproxy_t* p = pick_proxy();
  module_env* env = NULL;
  if (nmodule_envs < MAX_MODULE_ENVS) {
    env = &module_envs[nmodule_envs++];
    env->mode = (int)below(8);
    env->rt = runtimes[runtime_of(p) >= 0 ? runtime_of(p) : RT_A];
  }
  bool fin = env != NULL && chance(90);
  if (env) env->has_finalizer = fin;
  pyproxy_t* const PSENT = (pyproxy_t*)(uintptr_t)0x5e5e5e5e;
  pyproxy_t* out = PSENT;
  pyodide_host_fn fn = chance(95) ? host_fn : NULL;
  pyodide_error_t* e;
  switch (below(3)) {
    case 0: e = pyproxy_then(p, fn, env, fin ? module_finalizer : NULL, chance(95) ? &out : NULL); break;
    case 1: e = pyproxy_catch(p, fn, env, fin ? module_finalizer : NULL, chance(95) ? &out : NULL); break;
    default: e = pyproxy_finally(p, fn, env, fin ? module_finalizer : NULL, chance(95) ? &out : NULL); break;
  }
  if (e == NULL && env != NULL) env->registered = true;
  after_proxy_call(e, e || out != PSENT ? &out : NULL, PSENT, runtime_of(p));
}

static void message_sink(void* env, const char* message, size_t len) {
  (void)env;
  if (message == NULL || message[len] != '\0')
    harness_fail(__FILE__, __LINE__, "a package message that is not NUL-terminated");
}

static void load_package_op(void) {
  static const char* const NAMES[] = {
      "six", "Six", "", "\xff", "/nonexistent/pkg-1.0-py3-none-any.whl",
      "file:///etc/passwd", "/etc/passwd", "../../etc/passwd.whl",
      "pkg-1.0-py3-none-any.whl#sha256=00", "micropip",
  };
  const char* names[3];
  size_t n = below(4);
  for (size_t i = 0; i < n && i < 3; i++) names[i] = chance(95) ? NAMES[below(10)] : NULL;
  if (n > 3) n = 3;
  consume(pyodide_load_package(pick_runtime(), chance(95) ? names : NULL, n,
                               chance(70) ? message_sink : NULL, chance(70) ? message_sink : NULL, NULL));
}

/* ---- setup ---- */

static const char* const SEEDS_A[] = {
    "{'a': 1, 'b': [1, 2, 3]}", "[1, 'two', 3.0, None]", "(1, 2)", "lambda *a, **k: (a, k)",
    "lambda x: x", "lambda i: i*2", "(i for i in range(5))", "iter([1, 2, 3])",
    "bytearray(b'0123456789')", "memoryview(__import__('array').array('d', [1.5, 2.5]))",
    "object()", "type('C', (), {'x': 1})()", "len", "sorted", "dict", "set([1, 2])",
    "range(10)", "2**100", "'\\ud800'", "ValueError('x')",
    "__import__('collections').OrderedDict(a=1)", "memoryview(bytearray(16)).cast('i', [2, 2])",
    "__import__('asyncio').sleep(0)", "__import__('asyncio').get_event_loop().create_future()",
    "memoryview(b'readonly')", "memoryview(bytearray(range(12)))[::-2]", "globals()",
};
/* Runtime B also gets a proxy that kills it when called (and is recycled now and then). */
static const char* const SEEDS_B[] = {
    "{'k': 'v'}", "lambda *a: a", "bytearray(4)", "lambda *a, **k: __import__('os').abort()",
    "(x for x in 'ab')", "[[1], [2]]",
};

static pyodide_t* load_fuzz_runtime(int index) {
  pyodide_config_t c = rb_quiet_config(NULL);
  c.timeout_s = 10;          /* a safety net: nothing the driver runs loops */
  c.memory_limit = 256ull << 20;
  pyodide_t* rt = RB_LOAD(&c);
  pyproxy_t* g = NULL;
  ASSERT_OK(pyodide_globals(rt, &g)); /* the runtime caches its globals: before the baseline */
  pyproxy_destroy(g);
  rt_base_objects[index] = RB_STATS(rt).guest_objects;
  const char* const* seeds = index == RT_A ? SEEDS_A : SEEDS_B;
  size_t n = index == RT_A ? sizeof SEEDS_A / sizeof *SEEDS_A : sizeof SEEDS_B / sizeof *SEEDS_B;
  for (size_t i = 0; i < n; i++) add_proxy(RUN_PROXY(rt, seeds[i]), index);
  return rt;
}

/* Runtime B dies: its live proxies become proxies of a destroyed runtime, its live
 * buffers buffers of a destroyed runtime; a new B takes its place. */
static void recycle_b(void) {
  for (int i = 0; i < nproxies; i++)
    if (proxies[i].state == P_LIVE && proxies[i].rt == RT_B) {
      proxies[i].state = P_DEAD_RUNTIME;
      proxies[i].rt = -1;
    }
  for (int i = 0; i < MAX_BUFFERS; i++)
    if (buffers[i].state == 1 && buffers[i].rt == RT_B) buffers[i].rt = -1;
  pyodide_destroy(runtimes[RT_B]);
  runtimes[RT_B] = load_fuzz_runtime(RT_B);
}

/* pyodide_host_object_new with good and bad classes and arguments, then Python code
 * using the object (each slot, errors from slots, invalid results, dropping it). */
static void host_object_op(void) {
  if (nhost_objects == MAX_HOST_OBJECTS) return;
  host_obj* o = &host_objects[nhost_objects++];
  o->dedicated = true;
  static pyodide_host_class_t small, unnamed, bad_name, no_call_method, bad_methods;
  static const char* const BAD_METHODS[] = {"ok", "not valid", NULL};
  small = rb_class, small.size = 16;
  unnamed = rb_class, unnamed.name = NULL;
  bad_name = rb_class, bad_name.name = "\xff\xfe";
  no_call_method = rb_class, no_call_method.call_method = NULL;
  bad_methods = rb_class, bad_methods.methods = BAD_METHODS, bad_methods.nmethods = chance(50) ? 2 : 3;
  const pyodide_host_class_t* const CLASSES[] = {
      &rb_class, &rb_class, &rb_class, &rb_class, &rb_first_layout, NULL, &small, &unnamed, &bad_name,
      &no_call_method, &bad_methods,
  };
  const pyodide_host_class_t* cls = CLASSES[below(sizeof CLASSES / sizeof *CLASSES)];
  pyodide_t* rt = chance(90) ? runtimes[below(NRT)] : pick_runtime();
  pyproxy_t* const PSENT = (pyproxy_t*)(uintptr_t)0x5e5e5e5e;
  pyproxy_t* out = PSENT;
  bool want = chance(95);
  pyodide_error_t* e = pyodide_host_object_new(rt, cls, o, want ? &out : NULL);
  o->created = e == NULL;
  pyproxy_t* made = e == NULL ? out : NULL;
  if (made == NULL || !chance(60)) {
    after_proxy_call(e, want ? &out : NULL, PSENT, rt_index(rt));
    return;
  }
  static const char* const CODE[] = {
      "rbh.a", "rbh.self is rbh", "rbh(1, 'x', None)", "rbh[3]", "rbh['k']", "len(rbh)", "list(rbh)",
      "rbh.m(1, [2])", "rbh.fail()", "rbh.bad", "rbh.zz", "rbh.a = 1", "del rbh.a", "dir(rbh)",
      "rbh.self.self.m()", "[rbh] * 3", "iter(rbh)", "rbh.__class__.__name__", "del rbh",
  };
  pyproxy_t* g = NULL;
  pyodide_error_t* ge = pyodide_globals(rt, &g);
  if (ge == NULL) {
    pyodide_value_t key = v_str("rbh"), value = v_proxy(made);
    consume(pyproxy_set(g, &key, &value));
    pyproxy_destroy(g);
    pyodide_value_t result = sentinel_value();
    bool keep = chance(80);
    after_value_call(pyodide_run_python(rt, CODE[below(sizeof CODE / sizeof *CODE)], PYODIDE_STRLEN, NULL,
                                        keep ? &result : NULL),
                     keep ? &result : NULL, rt_index(rt));
  } else {
    consume(ge);
  }
  after_proxy_call(NULL, &made, PSENT, rt_index(rt));
}

/* ---- one operation ---- */

static void one_op(void) {
  arena a;
  a.used = 0;
  pyodide_value_t out = sentinel_value();
  pyproxy_t* const PSENT = (pyproxy_t*)(uintptr_t)0x5e5e5e5e;
  pyproxy_t* pout = PSENT;
  bool bout = false;
  size_t nout = 777;
  current_op = (int)below(NOPS);
  if (current_op == 33 && !chance(2)) current_op = 6; /* recycling is rare */
  if (current_op == 4 && !chance(10)) current_op = 16; /* so are loads */
  op_count[current_op]++;
  if (trace) fprintf(stderr, "op %ld: %s\n", iteration, OP_NAMES[current_op]);

  switch (current_op) {
    case 0: { /* error queries on deleted/NULL/garbage errors */
      pyodide_error_t* e = ndeleted && chance(60) ? deleted_errors[below(ndeleted)]
                           : chance(30)           ? NULL
                                                  : (pyodide_error_t*)garbage_pointer();
      pyodide_error_kind_t k = pyodide_error_kind(e);
      if (k != PYODIDE_ERROR_USAGE)
        harness_fail(__FILE__, __LINE__, "iteration %ld: kind of an invalid error is %d", iteration, (int)k);
      if (pyodide_error_type(e) == NULL || pyodide_error_message(e) == NULL)
        harness_fail(__FILE__, __LINE__, "iteration %ld: NULL type/message of an invalid error", iteration);
      break;
    }
    case 1: {
      pyodide_error_t* e = ndeleted && chance(60) ? deleted_errors[below(ndeleted)]
                                                  : (pyodide_error_t*)(chance(30) ? NULL : garbage_pointer());
      pyodide_error_delete(e);
      break;
    }
    case 2: { /* release of values the caller may release: NULL, zeroed, NONE */
      pyodide_value_t z;
      memset(&z, 0, sizeof z);
      pyodide_value_release(chance(30) ? NULL : &z);
      break;
    }
    case 3: {
      pyodide_config_t c;
      memset(&c, 0xab, sizeof c);
      pyodide_config_init(chance(20) ? NULL : &c);
      break;
    }
    case 4: { /* pyodide_load with a config it must refuse */
      pyodide_config_t c = rb_quiet_config(NULL);
      switch (below(6)) {
        case 0: c.size = 0; break;
        case 1: c.size = sizeof c - 1; break;
        case 2: c.timeout_s = NAN; break;
        case 3: c.mounts = NULL; c.nmounts = 2; break;
        case 4: c.asset_dir = "/nonexistent/pyodide-assets"; break;
        default: c.asset_dir = "\xff\xfe"; break;
      }
      pyodide_t* rt = (pyodide_t*)PSENT;
      pyodide_error_t* e = pyodide_load(&c, chance(10) ? NULL : &rt);
      if (e == NULL) {
        pyodide_destroy(rt);
        harness_fail(__FILE__, __LINE__, "iteration %ld: pyodide_load accepted a bad config", iteration);
      }
      if (rt != (pyodide_t*)PSENT)
        harness_fail(__FILE__, __LINE__, "iteration %ld: pyodide_load wrote out on error", iteration);
      consume(e);
      break;
    }
    case 5:
      if (pyodide_version() == NULL || pyodide_version()[0] == '\0')
        harness_fail(__FILE__, __LINE__, "pyodide_version is NULL/empty");
      break;
    case 6: {
      bool modules = chance(25);
      pyodide_t* rt = modules && chance(80) ? runtimes[below(NRT)] : pick_runtime();
      const text* t = modules ? &MODULE_CODES[below(sizeof MODULE_CODES / sizeof MODULE_CODES[0])]
                              : &CODES[below(sizeof CODES / sizeof CODES[0])];
      const char* code = t->s;
      size_t len = t->len;
      if (chance(10) && memchr(t->s, 0, t->len) == NULL) len = PYODIDE_STRLEN;
      if (chance(3)) code = NULL;
      pyproxy_t* g = chance(70) ? NULL : pick_proxy();
      bool want = chance(80);
      if (trace) fprintf(stderr, "  run_python rt=%d code=%.60s globals=%p want=%d\n", rt_index(rt), code ? code : "(null)", (void*)g, (int)want);
      pyodide_error_t* e = pyodide_run_python(rt, code, len, g, want ? &out : NULL);
      if (trace) fprintf(stderr, "  -> %s kind %d\n", e ? pyodide_error_type(e) : "ok", e ? 0 : (int)out.kind);
      after_value_call(e, want ? &out : NULL, rt_index(rt));
      break;
    }
    case 7:
      if (below(2)) {
        consume(pyodide_interrupt(pick_runtime()));
      } else {
        /* Numbers Python has no handler of its own for, and a few that are no signal. */
        static const int S[] = {1, 2, 10, 15, 64, 0, -1, 65, 1 << 30};
        pyodide_signal_action_t action;
        consume(pyodide_signal(pick_runtime(), S[below(sizeof S / sizeof S[0])], below(2) ? &action : NULL));
      }
      break;
    case 8: {
      static const double T[] = {0, 1, 5, 30, NAN, -1, INFINITY, -INFINITY, 10};
      consume(pyodide_set_timeout(pick_runtime(), T[below(sizeof T / sizeof T[0])]));
      break;
    }
    case 9: {
      pyodide_t* rt = pick_runtime();
      pyodide_error_t* e = pyodide_globals(rt, chance(90) ? &pout : NULL);
      after_proxy_call(e, e || pout != PSENT ? &pout : NULL, PSENT, rt_index(rt));
      break;
    }
    case 10: case 11: case 12: case 13: {
      pyproxy_t* p = pick_proxy();
      pyodide_value_t key = gen_value(&a, 0), val = gen_value(&a, 0);
      pyodide_error_t* e;
      if (current_op == 10) {
        bool want = chance(90);
        e = pyproxy_get(p, chance(95) ? &key : NULL, want ? &out : NULL);
        after_value_call(e, want ? &out : NULL, runtime_of(p));
        break;
      }
      if (current_op == 11) e = pyproxy_set(p, chance(95) ? &key : NULL, chance(95) ? &val : NULL);
      else if (current_op == 12) e = pyproxy_has(p, chance(95) ? &key : NULL, chance(95) ? &bout : NULL);
      else e = pyproxy_delete(p, chance(95) ? &key : NULL);
      consume(e);
      break;
    }
    case 14: {
      pyodide_error_t* e = pyproxy_length(pick_proxy(), chance(95) ? &nout : NULL);
      if (e != NULL && nout != 777)
        harness_fail(__FILE__, __LINE__, "iteration %ld: length written on error", iteration);
      consume(e);
      break;
    }
    case 15: {
      pyproxy_t* p = pick_proxy();
      bool want = chance(95);
      after_value_call(pyproxy_type(p, want ? &out : NULL), want ? &out : NULL, runtime_of(p));
      break;
    }
    case 16: case 22: {
      pyproxy_t* p = pick_proxy();
      size_t n = below(4);
      pyodide_value_t* args = arena_take(&a, (int)n);
      for (size_t i = 0; args && i < n; i++) args[i] = gen_value(&a, 0);
      if (args == NULL || chance(4)) args = NULL;
      bool want = chance(85);
      pyodide_error_t* e;
      if (current_op == 16) {
        e = pyproxy_call(p, args, args ? n : (chance(50) ? 0 : 2), want ? &out : NULL);
      } else {
        pyodide_value_t kw = chance(70) ? gen_value(&a, 2) : v_none();
        if (chance(50)) {
          pyodide_value_t* keys = arena_take(&a, 2);
          pyodide_value_t* vals = arena_take(&a, 2);
          if (keys && vals) {
            keys[0] = v_str("x");
            keys[1] = chance(80) ? v_str("y") : gen_value(&a, 2);
            vals[0] = gen_value(&a, 1);
            vals[1] = gen_value(&a, 1);
            kw = v_dict(keys, vals, 2);
          }
        }
        e = pyproxy_call_kwargs(p, args, args ? n : 0, chance(20) ? NULL : &kw, want ? &out : NULL);
      }
      after_value_call(e, want ? &out : NULL, runtime_of(p));
      break;
    }
    case 17: {
      pyproxy_t* p = pick_proxy();
      pyodide_error_t* e = pyproxy_copy(p, chance(95) ? &pout : NULL);
      after_proxy_call(e, e || pout != PSENT ? &pout : NULL, PSENT, runtime_of(p));
      break;
    }
    case 18: case 19: case 20: case 21: {
      pyproxy_t* p = pick_proxy();
      const text* t = &STRINGS[below(sizeof STRINGS / sizeof STRINGS[0])];
      const char* name = t->s;
      size_t len = t->len;
      if (chance(15) && memchr(t->s, 0, t->len) == NULL) len = PYODIDE_STRLEN;
      if (chance(4)) name = NULL;
      if (current_op == 18) {
        bool want = chance(92);
        after_value_call(pyproxy_get_attr(p, name, len, want ? &out : NULL), want ? &out : NULL,
                         runtime_of(p));
      } else if (current_op == 19) {
        pyodide_value_t val = gen_value(&a, 0);
        consume(pyproxy_set_attr(p, name, len, chance(95) ? &val : NULL));
      } else if (current_op == 20) {
        consume(pyproxy_has_attr(p, name, len, chance(95) ? &bout : NULL));
      } else {
        consume(pyproxy_del_attr(p, name, len));
      }
      break;
    }
    case 23: {
      void* candidates[] = {pick_proxy(), pick_runtime(), garbage_pointer(), NULL,
                            ndeleted ? (void*)deleted_errors[0] : NULL};
      void* c = candidates[below(5)];
      bool is = pyodide_is_pyproxy(c);
      /* A proxy we destroyed must not read as live. */
      for (int i = 0; i < nproxies; i++)
        if (proxies[i].p == c && proxies[i].state == P_DESTROYED && is) {
          bool reused = false; /* a handle slot can be reused by a newer proxy */
          for (int j = 0; j < nproxies; j++)
            if (j != i && proxies[j].p == c && proxies[j].state != P_DESTROYED) reused = true;
          if (!reused)
            harness_fail(__FILE__, __LINE__, "iteration %ld: a destroyed proxy reads as live", iteration);
        }
      break;
    }
    case 24: {
      pyproxy_t* p = pick_proxy();
      pyodide_error_t* e = pyproxy_iter(p, chance(95) ? &pout : NULL);
      after_proxy_call(e, e || pout != PSENT ? &pout : NULL, PSENT, runtime_of(p));
      break;
    }
    case 25: {
      pyproxy_t* p = pick_proxy();
      pyodide_value_t sent = gen_value(&a, 1);
      bool want = chance(92);
      pyodide_error_t* e = pyproxy_next(p, chance(60) ? NULL : &sent, want ? &out : NULL,
                                        chance(95) ? &bout : NULL);
      after_value_call(e, want ? &out : NULL, runtime_of(p));
      break;
    }
    case 26: {
      static const int32_t D[] = {-5, -1, 0, 1, 2, 100, INT32_MIN, INT32_MAX};
      pyproxy_t* p = pick_proxy();
      bool want = chance(95);
      pyodide_error_t* e = pyproxy_to_js(p, D[below(8)], want ? &out : NULL);
      after_value_call(e, want ? &out : NULL, runtime_of(p));
      break;
    }
    case 27: {
      static const int32_t D[] = {-5, -1, 0, 1, 3, INT32_MIN};
      pyodide_t* rt = pick_runtime();
      pyodide_value_t v = gen_value(&a, 0);
      pyodide_error_t* e = pyodide_to_py(rt, chance(95) ? &v : NULL, D[below(6)], chance(95) ? &pout : NULL);
      after_proxy_call(e, e || pout != PSENT ? &pout : NULL, PSENT, rt_index(rt));
      break;
    }
    case 28: {
      pyproxy_t* p = pick_proxy();
      pyproxy_destroy(p);
      mark_destroyed(p);
      break;
    }
    case 29: {
      int slot = (int)below(MAX_BUFFERS);
      if (buffers[slot].state == 1) { /* live: release it first (keeps the count exact) */
        pybuffer_release(&buffers[slot].b);
        buffers[slot].state = 2;
      }
      pyproxy_t* p = pick_proxy();
      pybuffer_t* b = &buffers[slot].b;
      pybuffer_t before;
      memset(b, 0x77, sizeof *b);
      before = *b;
      pyodide_error_t* e = pyproxy_get_buffer(p, BUFFER_TYPES[below(sizeof BUFFER_TYPES / sizeof *BUFFER_TYPES)],
                                              chance(95) ? b : NULL);
      if (e != NULL) {
        if (memcmp(b, &before, sizeof before) != 0)
          harness_fail(__FILE__, __LINE__, "iteration %ld: pybuffer written on error", iteration);
        memset(b, 0, sizeof *b);
        buffers[slot].state = 0;
        consume(e);
        break;
      }
      consume(NULL);
      if (b->reserved == (void*)(uintptr_t)0x7777777777777777ull) { /* out was NULL?? */
        memset(b, 0, sizeof *b);
        buffers[slot].state = 0;
        break;
      }
      if (b->ndim > 0 && (b->shape == NULL || b->strides == NULL || b->byte_strides == NULL))
        harness_fail(__FILE__, __LINE__, "iteration %ld: buffer without shape/strides", iteration);
      if (b->format == NULL || b->itemsize == 0)
        harness_fail(__FILE__, __LINE__, "iteration %ld: buffer without format/itemsize", iteration);
      buffers[slot].state = 1;
      buffers[slot].rt = runtime_of(p);
      break;
    }
    case 30: {
      int slot = (int)below(MAX_BUFFERS);
      buffer_slot* s = &buffers[slot];
      if (s->state != 1 && chance(30)) { /* a garbage handle in a zeroed struct */
        memset(&s->b, 0, sizeof s->b);
        s->b.reserved = garbage_pointer();
        s->state = 3;
      }
      pybuffer_release(chance(5) ? NULL : &s->b);
      if (s->state == 1 && s->b.reserved == NULL) s->state = 2;
      if (s->state == 3) s->state = 0;
      break;
    }
    case 31: {
      pyodide_stats_t st;
      memset(&st, 0, sizeof st);
      st.size = chance(85) ? sizeof st : below(sizeof st);
      consume(pyodide_stats(pick_runtime(), chance(95) ? &st : NULL));
      break;
    }
    case 32: { /* valid use: write into a live, writable buffer of a live runtime */
      buffer_slot* s = &buffers[below(MAX_BUFFERS)];
      if (s->state == 1 && s->rt >= 0 && !s->b.readonly && s->b.nbytes > 0 && s->b.c_contiguous)
        memset(s->b.first, (int)below(256), s->b.itemsize);
      break;
    }
    case 33:
      recycle_b();
      break;
    case 34:
      /* destroying things that are not live runtimes: ignored */
      pyodide_destroy(chance(50) ? dead_runtime : (pyodide_t*)garbage_pointer());
      break;
    case 35: {
      static const char* const TYPES[] = {"ValueError", "KeyError", "RbError", "", "1bad", "\xff", NULL};
      static const char* const MSGS[] = {"message", "", "\xff\xfe", NULL};
      const char* type = TYPES[below(7)];
      const char* msg = MSGS[below(4)];
      pyodide_error_t* e = pyodide_error_new(type, msg);
      if (e == NULL) harness_fail(__FILE__, __LINE__, "iteration %ld: pyodide_error_new returned NULL", iteration);
      /* The host's own (possibly empty) message is kept as given. */
      if (pyodide_error_kind(e) != PYODIDE_ERROR_USAGE && msg != NULL && msg[0] == '\0') {
        const char* m = pyodide_error_message(e);
        if (m == NULL || strcmp(m, "") != 0)
          harness_fail(__FILE__, __LINE__, "iteration %ld: pyodide_error_new changed an empty message", iteration);
        pyodide_error_delete(e);
        successes++;
        break;
      }
      consume(e);
      break;
    }
    case 36:
      register_module_op();
      break;
    case 37:
      consume(pyodide_unregister_module(pick_runtime(),
                                        MODULE_NAMES[below(sizeof MODULE_NAMES / sizeof *MODULE_NAMES)]));
      break;
    case 38:
      load_package_op();
      break;
    case 39: {
      const text* t = &CODES[below(sizeof CODES / sizeof CODES[0])];
      size_t len = chance(10) && memchr(t->s, 0, t->len) == NULL ? PYODIDE_STRLEN : t->len;
      consume(pyodide_load_packages_from_imports(pick_runtime(), chance(97) ? t->s : NULL, len,
                                                 chance(50) ? message_sink : NULL, NULL, NULL));
      break;
    }
    case 40: {
      pyodide_t* rt = pick_runtime();
      bool want = chance(95);
      after_value_call(pyodide_loaded_packages(rt, want ? &out : NULL), want ? &out : NULL, rt_index(rt));
      break;
    }
    case 41: {
      static const char* const NAMES[] = {"x", "a", "__name__", "missing", "", "\xff", "tag", NULL};
      pyodide_t* rt = pick_runtime();
      bool want = chance(95);
      after_value_call(pyodide_pyimport(rt, NAMES[below(8)], want ? &out : NULL), want ? &out : NULL,
                       rt_index(rt));
      break;
    }
    case 42: {
      pyodide_t* rt = pick_runtime();
      pyodide_error_t* e = pyodide_pyodide_py(rt, chance(95) ? &pout : NULL);
      after_proxy_call(e, e || pout != PSENT ? &pout : NULL, PSENT, rt_index(rt));
      break;
    }
    case 43: { /* async code that completes by itself (never awaits the driver's futures) */
      static const text ASYNC[] = {
          T("import asyncio\nawait asyncio.sleep(0)\n5"), T("import asyncio\nawait asyncio.sleep(0.001)"),
          T("import asyncio\nawait asyncio.gather(asyncio.sleep(0), asyncio.sleep(0))"),
          T("import asyncio\nasync def f():\n    raise ValueError('async')\nawait f()"),
          T("import asyncio\nt = asyncio.ensure_future(asyncio.sleep(0))\nawait t\nt"),
      };
      pyodide_t* rt = pick_runtime();
      const text* t = chance(70) ? &ASYNC[below(5)] : &CODES[below(sizeof CODES / sizeof CODES[0])];
      bool want = chance(80);
      pyproxy_t* g = chance(85) ? NULL : pick_proxy();
      after_value_call(pyodide_run_python_async(rt, chance(97) ? t->s : NULL, t->len, g, want ? &out : NULL),
                       want ? &out : NULL, rt_index(rt));
      break;
    }
    case 44: {
      static const double T[] = {0, 0.001, NAN, -1, 0};
      consume(pyodide_run_pending(pick_runtime(), T[below(5)], chance(80) ? &bout : NULL));
      break;
    }
    case 45: { /* bounded waits only: a negative timeout would wait for ever by design */
      static const double T[] = {0, 0.001, 0.005, NAN};
      pyodide_t* rt = pick_runtime();
      bool want = chance(90);
      after_value_call(pyodide_await(rt, pick_proxy(), T[below(4)], want ? &out : NULL),
                       want ? &out : NULL, rt_index(rt));
      break;
    }
    case 46:
      then_op();
      break;
    case 47: {
      pyodide_t* rt = pick_runtime();
      pyodide_error_t* e = pyodide_future_new(rt, chance(95) ? &pout : NULL);
      after_proxy_call(e, e || pout != PSENT ? &pout : NULL, PSENT, rt_index(rt));
      break;
    }
    case 48: {
      pyodide_value_t v = gen_value(&a, 0);
      consume(pyodide_future_resolve(pick_proxy(), chance(95) ? &v : NULL));
      break;
    }
    case 50:
      host_object_op();
      break;
    case 49: {
      pyodide_error_t* err = NULL;
      unsigned k = below(4);
      if (k == 0) err = pyodide_error_new("ValueError", "rejected by the host");
      else if (k == 1 && ndeleted) err = deleted_errors[below(ndeleted)];
      else if (k == 2) err = (pyodide_error_t*)garbage_pointer();
      consume(pyodide_future_reject(pick_proxy(), err));
      if (k == 0) pyodide_error_delete(err); /* borrowed by future_reject */
      break;
    }
  }
}

/* Each live runtime holds exactly the guest objects the driver has proxies and
 * buffers for (checked at the end; after every operation with RB_CHECK_EACH=1, to
 * find the operation that broke it). */
static int check_holdings(bool report, bool rebase) {
  int mismatches = 0;
  for (int r = 0; r < NRT; r++) {
    uint64_t held = 0;
    for (int i = 0; i < nproxies; i++)
      if (proxies[i].state == P_LIVE && proxies[i].rt == r) held++;
    for (int i = 0; i < MAX_BUFFERS; i++)
      if (buffers[i].state == 1 && buffers[i].rt == r) held++;
    pyodide_stats_t st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    pyodide_error_t* e = pyodide_stats(runtimes[r], &st);
    if (e != NULL) {
      if (report) printf("runtime %c: stats unavailable (%s)\n", 'A' + r, pyodide_error_type(e));
      pyodide_error_delete(e); /* a dead runtime (B after its killer ran) */
      continue;
    }
    if (report)
      printf("runtime %c: guest objects %llu, baseline %llu + %llu held by the driver\n", 'A' + r,
             (unsigned long long)st.guest_objects, (unsigned long long)rt_base_objects[r],
             (unsigned long long)held);
    if (st.guest_objects != rt_base_objects[r] + held) {
      mismatches++;
      fprintf(stderr,
              "after operation %ld (%s): runtime %c holds %llu objects, expected %llu + %llu"
              " (RB_CHECK_EACH=1 finds the operation that left them)\n",
              iteration, OP_NAMES[current_op], 'A' + r, (unsigned long long)st.guest_objects,
              (unsigned long long)rt_base_objects[r], (unsigned long long)held);
      if (rebase) rt_base_objects[r] = st.guest_objects - held; /* report each finding once */
    }
  }
  return mismatches;
}

TEST(random_abi_driver) {
  uint64_t seed = 20240601;
  const char* env = getenv("RB_SEED");
  if (env && *env) seed = strtoull(env, NULL, 0);
  long max_ops = 100000;
  double max_seconds = 20;
  if ((env = getenv("RB_OPS")) && *env) max_ops = strtol(env, NULL, 0);
  if ((env = getenv("RB_SECONDS")) && *env) max_seconds = strtod(env, NULL);
  trace = getenv("RB_TRACE") && *getenv("RB_TRACE") == '1';
  rng_state = seed;
  printf("random ABI driver: seed %llu (RB_SEED=%llu reproduces), budget %ld operations or %.0f s\n",
         (unsigned long long)seed, (unsigned long long)seed, max_ops, max_seconds);
  fflush(stdout);
  for (int i = 0; i < 32; i++) junk[i] = rnd();

  pyodide_t* monitor = RB_LOAD_QUIET();
  pyodide_stats_t base = RB_STATS(monitor);

  /* A runtime destroyed up front, with proxies and a buffer still held. */
  dead_runtime = RB_LOAD_QUIET();
  pyproxy_t* dead_arr = RUN_PROXY(dead_runtime, "bytearray(b'dead')");
  add_proxy(dead_arr, -1);
  add_proxy(RUN_PROXY(dead_runtime, "{'dead': True}"), -1);
  add_proxy(RUN_PROXY(dead_runtime, "lambda: 'dead'"), -1);
  ASSERT_OK(pyproxy_get_buffer(dead_arr, NULL, &buffers[0].b));
  buffers[0].state = 1;
  buffers[0].rt = -1;
  pyodide_destroy(dead_runtime);
  for (int i = 0; i < nproxies; i++) proxies[i].state = P_DEAD_RUNTIME;

  runtimes[RT_A] = load_fuzz_runtime(RT_A);
  runtimes[RT_B] = load_fuzz_runtime(RT_B);
  /* Some destroyed proxies from the start. */
  for (int i = 0; i < 3; i++) {
    pyproxy_t* p = RUN_PROXY(runtimes[RT_A], "object()");
    add_proxy(p, RT_A);
    pyproxy_destroy(p);
    mark_destroyed(p);
  }

  double t0 = rb_now();
  bool check_each = getenv("RB_CHECK_EACH") && *getenv("RB_CHECK_EACH") == '1';
  int early_mismatches = 0;
  for (iteration = 0; iteration < max_ops; iteration++) {
    if ((iteration & 63) == 0 && rb_now() - t0 > max_seconds) break;
    one_op();
    /* (Only at the end by default, so one finding does not cut the exploration short.) */
    if (check_each) early_mismatches += check_holdings(false, true);
  }
  double elapsed = rb_now() - t0;

  printf("random ABI driver: %ld operations in %.2f s (seed %llu); %ld succeeded; errors: "
         "PYTHON %ld, USAGE %ld, LIMIT %ld, IO %ld, FATAL %ld\n",
         iteration, elapsed, (unsigned long long)seed, successes, kind_count[1], kind_count[2],
         kind_count[3], kind_count[4], kind_count[5]);
  printf("operations:");
  for (int i = 0; i < NOPS; i++) printf(" %s=%ld", OP_NAMES[i], op_count[i]);
  printf("\n");
  int holding_mismatches = early_mismatches + check_holdings(true, false);

  /* Destroy everything. */
  for (int i = 0; i < MAX_BUFFERS; i++) pybuffer_release(&buffers[i].b);
  for (int i = 0; i < nproxies; i++) pyproxy_destroy(proxies[i].p);
  for (int r = 0; r < NRT; r++) pyodide_destroy(runtimes[r]);
  /* Every module registered was finalized exactly once (unregistered, or its
   * runtime destroyed); a registration that failed never. */
  int registered = 0, wrong_finalizations = 0;
  for (int i = 0; i < nmodule_envs; i++) {
    module_env* m = &module_envs[i];
    int fin = atomic_load(&m->finalized);
    if (m->registered) registered++;
    if (fin != (m->registered && m->has_finalizer ? 1 : 0)) {
      wrong_finalizations++;
      fprintf(stderr, "  module env %d: registered %d, with finalizer %d, finalized %d times\n", i,
              (int)m->registered, (int)m->has_finalizer, fin);
    }
  }
  printf("host modules and then/catch/finally: %d attempts, %d registered, %ld host function calls\n",
         nmodule_envs, registered, host_calls);
  /* Every host object: finalized exactly once if pyodide_host_object_new made it,
   * never if that failed; a shared one at most as often as it was offered. */
  int host_created = 0;
  for (int i = 0; i < nhost_objects; i++) {
    host_obj* o = &host_objects[i];
    int fin = atomic_load(&o->finalized);
    host_created += o->created;
    if (o->dedicated ? fin != (o->created ? 1 : 0) : fin > o->offered) {
      wrong_finalizations++;
      fprintf(stderr, "  host object %d: %s, created %d, offered %d, finalized %d times\n", i,
              o->dedicated ? "dedicated" : "shared", (int)o->created, o->offered, fin);
    }
  }
  printf("host objects: %d tracked, %d made by pyodide_host_object_new, %ld slot calls\n", nhost_objects,
         host_created, host_slot_calls);
  pyodide_stats_t end = RB_STATS(monitor);
  printf("process proxies %llu (baseline %llu), buffers %llu (baseline %llu)\n",
         (unsigned long long)end.process_proxies, (unsigned long long)base.process_proxies,
         (unsigned long long)end.process_buffers, (unsigned long long)base.process_buffers);
  RB_ALIVE(monitor);
  pyodide_destroy(monitor); /* before the verdicts: a failed one must not leak it */
  ASSERT_EQ_INT(end.process_proxies, base.process_proxies);
  ASSERT_EQ_INT(end.process_buffers, base.process_buffers);
  ASSERT_EQ_INT(end.guest_objects, base.guest_objects);
  /* Under the leak checker (RB_INVARIANTS=0) these two are reported only, so that
   * leakcheck.random_abi_driver judges memory alone (robustness.random_abi_driver
   * judges them). */
  const char* inv = getenv("RB_INVARIANTS");
  if (!(inv && strcmp(inv, "0") == 0)) {
    ASSERT_EQ_INT(wrong_finalizations, 0);
    ASSERT_EQ_INT(holding_mismatches, 0); /* guest objects the library kept for nobody */
  } else if (wrong_finalizations || holding_mismatches) {
    printf("RB_INVARIANTS=0: not judged here: %d wrong finalizations, %d object-count mismatches\n",
           wrong_finalizations, holding_mismatches);
  }
  ASSERT(iteration >= 1000);
}
