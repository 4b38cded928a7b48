/*
 * Host objects: pyodide_host_object_new, pyodide_host_class_t's slots seen
 * from Python, PYODIDE_HOST values coming back, identity and finalizers.
 *
 * Slots run inside the library's frames, where a failed ASSERT must not jump
 * out: they only count and record, and the cases assert afterwards.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "support.h"

/* ---- a point: every slot ---- */

typedef struct point {
  int64_t x, y;
  int finalized;
  struct point* origin; /* a nested host object */
} point_t;

static int slot_calls;

static pyodide_value_t host_value(const pyodide_host_class_t* cls, void* obj) {
  pyodide_value_t v;
  memset(&v, 0, sizeof v);
  v.kind = PYODIDE_HOST;
  v.of.host.cls = cls;
  v.of.host.obj = obj;
  return v;
}

static bool name_is(const char* name, size_t len, const char* want) {
  return len == strlen(want) && memcmp(name, want, len) == 0;
}

static const pyodide_host_class_t point_class;

static pyodide_error_t* point_get_attr(void* obj, const char* name, size_t len, pyodide_value_t* out) {
  point_t* p = obj;
  slot_calls++;
  if (name_is(name, len, "x")) *out = v_int(p->x);
  else if (name_is(name, len, "y")) *out = v_int(p->y);
  else if (name_is(name, len, "origin") && p->origin) *out = host_value(&point_class, p->origin);
  else return pyodide_error_new("AttributeError", "a point has only x, y and origin");
  return NULL;
}

static pyodide_error_t* point_set_attr(void* obj, const char* name, size_t len, const pyodide_value_t* value) {
  point_t* p = obj;
  if (!value) return pyodide_error_new("TypeError", "a point's coordinates cannot be deleted");
  if (value->kind != PYODIDE_INT) return pyodide_error_new("TypeError", "coordinates are ints");
  if (name_is(name, len, "x")) p->x = value->of.i;
  else if (name_is(name, len, "y")) p->y = value->of.i;
  else return pyodide_error_new("AttributeError", "a point has only x and y");
  return NULL;
}

static pyodide_error_t* point_call(void* obj, const pyodide_value_t* args, size_t nargs, pyodide_value_t* out) {
  point_t* p = obj;
  int64_t sum = p->x + p->y;
  for (size_t i = 0; i < nargs; i++) {
    if (args[i].kind != PYODIDE_INT) return pyodide_error_new("TypeError", "ints only");
    sum += args[i].of.i;
  }
  *out = v_int(sum);
  return NULL;
}

static pyodide_error_t* point_get_item(void* obj, const pyodide_value_t* key, pyodide_value_t* out) {
  point_t* p = obj;
  if (key->kind != PYODIDE_INT) return pyodide_error_new("TypeError", "indices are ints");
  if (key->of.i == 0) *out = v_int(p->x);
  else if (key->of.i == 1) *out = v_int(p->y);
  else return pyodide_error_new("IndexError", "a point has two coordinates");
  return NULL;
}

static pyodide_error_t* point_set_item(void* obj, const pyodide_value_t* key, const pyodide_value_t* value) {
  point_t* p = obj;
  if (!value) return pyodide_error_new("TypeError", "cannot delete a coordinate");
  if (key->kind != PYODIDE_INT || value->kind != PYODIDE_INT) return pyodide_error_new("TypeError", "ints only");
  if (key->of.i == 0) p->x = value->of.i;
  else if (key->of.i == 1) p->y = value->of.i;
  else return pyodide_error_new("IndexError", "a point has two coordinates");
  return NULL;
}

static pyodide_error_t* point_length(void* obj, size_t* out) {
  (void)obj;
  *out = 2;
  return NULL;
}

static void point_finalize(void* obj) { ((point_t*)obj)->finalized++; }

static pyodide_value_t dir_items[2];
static pyodide_error_t* point_dir(void* obj, pyodide_value_t* out) {
  (void)obj;
  dir_items[0] = v_str("x");
  dir_items[1] = v_str("y");
  *out = v_list(dir_items, 2);
  return NULL;
}

static pyodide_value_t iter_items[2];
static pyodide_error_t* point_iter(void* obj, pyodide_value_t* out) {
  point_t* p = obj;
  iter_items[0] = v_int(p->x);
  iter_items[1] = v_int(p->y);
  *out = v_list(iter_items, 2);
  return NULL;
}

static const char* const point_methods[] = {"norm2", "shift", "same"};

static pyodide_error_t* point_call_method(void* obj, size_t method, const pyodide_value_t* args, size_t nargs,
                                          pyodide_value_t* out) {
  point_t* p = obj;
  switch (method) {
    case 0:
      if (nargs != 0) return pyodide_error_new("TypeError", "norm2() takes no arguments");
      *out = v_int(p->x * p->x + p->y * p->y);
      return NULL;
    case 1:
      if (nargs != 2 || args[0].kind != PYODIDE_INT || args[1].kind != PYODIDE_INT)
        return pyodide_error_new("TypeError", "shift(dx, dy)");
      p->x += args[0].of.i;
      p->y += args[1].of.i;
      *out = host_value(&point_class, p); /* returns itself, for chaining */
      return NULL;
    case 2: /* same(other): whether other is this very object, as the host sees it */
      *out = v_bool(nargs == 1 && args[0].kind == PYODIDE_HOST && args[0].of.host.cls == &point_class &&
                    args[0].of.host.obj == p);
      return NULL;
    default:
      return pyodide_error_new("RuntimeError", "no such method");
  }
}

static const pyodide_host_class_t point_class = {
  .size = sizeof(pyodide_host_class_t),
  .name = "Point",
  .get_attr = point_get_attr,
  .set_attr = point_set_attr,
  .call = point_call,
  .get_item = point_get_item,
  .length = point_length,
  .finalize = point_finalize,
  .dir = point_dir,
  .set_item = point_set_item,
  .iter = point_iter,
  .methods = point_methods,
  .nmethods = 3,
  .call_method = point_call_method,
};

/* A class with no slots at all, and one of the first layout only. */
static int bare_finalized;
static void bare_finalize(void* obj) { (void)obj; bare_finalized++; }
static const pyodide_host_class_t bare_class = {
  .size = sizeof(pyodide_host_class_t),
  .name = "Bare",
  .finalize = bare_finalize,
};

/* ---- a countdown: its own iterator ---- */

typedef struct {
  int64_t left;
  int finalized;
} countdown_t;

static pyodide_error_t* countdown_next(void* obj, pyodide_value_t* out, bool* done) {
  countdown_t* c = obj;
  if (c->left == 0) {
    *done = true;
    return NULL;
  }
  *out = v_int(c->left--);
  return NULL;
}
static void countdown_finalize(void* obj) { ((countdown_t*)obj)->finalized++; }
static const pyodide_host_class_t countdown_class = {
  .size = sizeof(pyodide_host_class_t),
  .name = "Countdown",
  .finalize = countdown_finalize,
  .next = countdown_next,
};

/* Sets __main__'s global `name` to the host object of (cls, obj). */
static void set_global(pyodide_t* rt, const char* name, const pyodide_host_class_t* cls, void* obj) {
  pyproxy_t* p = NULL;
  ASSERT_OK(pyodide_host_object_new(rt, cls, obj, &p));
  pyproxy_t* globals = NULL;
  ASSERT_OK(pyodide_globals(rt, &globals));
  pyodide_value_t key = v_str(name), value = v_proxy(p);
  ASSERT_OK(pyproxy_set(globals, &key, &value));
  pyproxy_destroy(globals);
  pyproxy_destroy(p);
}

TEST(host_object_attributes_calls_items) {
  pyodide_t* rt = LOAD();
  point_t p = {3, 4, 0, NULL};
  set_global(rt, "p", &point_class, &p);
  ASSERT_EQ_INT(RUN_INT(rt, "p.x * 10 + p.y"), 34);
  EXEC(rt, "p.x = 6");
  ASSERT_EQ_INT(p.x, 6);
  ASSERT_EQ_INT(RUN_INT(rt, "p(1, 2)"), 13);
  ASSERT_EQ_INT(RUN_INT(rt, "p[0] * 10 + p[1]"), 64);
  EXEC(rt, "p[1] = 8");
  ASSERT_EQ_INT(p.y, 8);
  ASSERT_EQ_INT(RUN_INT(rt, "len(p)"), 2);
  ASSERT(RUN_BOOL(rt, "list(p) == [6, 8]"));
  ASSERT(RUN_BOOL(rt, "import pyodide; isinstance(p, pyodide.HostObject)"));
  ASSERT(RUN_BOOL(rt, "type(p).__name__ == 'Point' and repr(p) == '<Point host object>'"));
  ASSERT(RUN_BOOL(rt, "d = dir(p); all(n in d for n in ('x', 'y', 'norm2', 'shift'))"));
  ASSERT_EQ_INT(p.finalized, 0);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(p.finalized, 1);
}

TEST(host_object_slot_errors_raise_in_python) {
  pyodide_t* rt = LOAD();
  point_t p = {1, 2, 0, NULL};
  set_global(rt, "p", &point_class, &p);
  ASSERT_PYERR(pyodide_run_python(rt, "p.z", PYODIDE_STRLEN, NULL, NULL), "AttributeError");
  char* message = RUN_STR(rt, "try:\n  p.z\nexcept AttributeError as e:\n  m = str(e)\nm");
  ASSERT_STREQ(message, "a point has only x, y and origin");
  free(message);
  ASSERT_PYERR(pyodide_run_python(rt, "p[5]", PYODIDE_STRLEN, NULL, NULL), "IndexError");
  ASSERT_PYERR(pyodide_run_python(rt, "del p.x", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  ASSERT_PYERR(pyodide_run_python(rt, "p.x = 'a'", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  ASSERT_PYERR(pyodide_run_python(rt, "p(x=1)", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  /* Python's object model stays Python's: dunder names never reach the host. */
  int before = slot_calls;
  ASSERT_PYERR(pyodide_run_python(rt, "p.__secret__", PYODIDE_STRLEN, NULL, NULL), "AttributeError");
  ASSERT_PYERR(pyodide_run_python(rt, "p.__class__ = int", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  ASSERT_EQ_INT(slot_calls, before);
  /* The Python type cannot be patched or instantiated. */
  ASSERT_PYERR(pyodide_run_python(rt, "type(p).x = 1", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  ASSERT_PYERR(pyodide_run_python(rt, "type(p)()", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  ASSERT_PYERR(pyodide_run_python(rt, "import pyodide; pyodide.HostObject()", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  pyodide_destroy(rt);
}

TEST(host_object_missing_slots_behave_as_python) {
  pyodide_t* rt = LOAD();
  int obj = 0;
  set_global(rt, "b", &bare_class, &obj);
  ASSERT(RUN_BOOL(rt, "try:\n  b()\nexcept TypeError as e:\n  r = 'not callable' in str(e)\nr"));
  ASSERT(RUN_BOOL(rt, "try:\n  len(b)\nexcept TypeError as e:\n  r = 'has no len()' in str(e)\nr"));
  ASSERT_PYERR(pyodide_run_python(rt, "b.anything", PYODIDE_STRLEN, NULL, NULL), "AttributeError");
  ASSERT_PYERR(pyodide_run_python(rt, "b.anything = 1", PYODIDE_STRLEN, NULL, NULL), "AttributeError");
  ASSERT_PYERR(pyodide_run_python(rt, "b[0]", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  ASSERT_PYERR(pyodide_run_python(rt, "iter(b)", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  ASSERT(RUN_BOOL(rt, "bool(b) and b == b and hash(b) == hash(b)"));
  pyodide_destroy(rt);
}

TEST(host_object_methods_are_one_call) {
  pyodide_t* rt = LOAD();
  point_t p = {3, 4, 0, NULL};
  set_global(rt, "p", &point_class, &p);
  ASSERT_EQ_INT(RUN_INT(rt, "p.norm2()"), 25);
  ASSERT_EQ_INT(RUN_INT(rt, "p.shift(1, 1).shift(1, 1).norm2()"), 5 * 5 + 6 * 6);
  ASSERT_EQ_INT(p.x, 5);
  ASSERT(RUN_BOOL(rt, "p.same(p)"));
  ASSERT(RUN_BOOL(rt, "m = p.norm2; m() == p.norm2()"));
  ASSERT_PYERR(pyodide_run_python(rt, "p.norm2(1)", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  ASSERT_PYERR(pyodide_run_python(rt, "type(p).norm2(1)", PYODIDE_STRLEN, NULL, NULL), "TypeError");
  pyodide_destroy(rt);
}

TEST(host_object_identity_and_host_kind) {
  pyodide_t* rt = LOAD();
  point_t p = {1, 2, 0, NULL}, q = {1, 2, 0, NULL};
  set_global(rt, "a", &point_class, &p);
  set_global(rt, "b", &point_class, &p);
  set_global(rt, "c", &point_class, &q);
  ASSERT(RUN_BOOL(rt, "a is b and a is not c and a != c"));
  ASSERT(RUN_BOOL(rt, "a.shift(0, 0) is a"));
  /* Coming back, the host gets its own pointers, not a proxy. */
  pyodide_value_t v = RUN(rt, "b");
  EXPECT_KIND(&v, PYODIDE_HOST);
  ASSERT(v.of.host.cls == &point_class);
  ASSERT(v.of.host.obj == &p);
  pyodide_value_release(&v);
  ASSERT_EQ_INT(v.kind, PYODIDE_NONE);
  pyproxy_t* globals = NULL;
  ASSERT_OK(pyodide_globals(rt, &globals));
  pyodide_value_t key = v_str("c"), out;
  ASSERT_OK(pyproxy_get(globals, &key, &out));
  EXPECT_KIND(&out, PYODIDE_HOST);
  ASSERT(out.of.host.obj == &q);
  /* A PYODIDE_HOST value passed in finds the same object. */
  pyodide_value_t same_key = v_str("same_as_a"), same = host_value(&point_class, &p);
  ASSERT_OK(pyproxy_set(globals, &same_key, &same));
  ASSERT(RUN_BOOL(rt, "same_as_a is a"));
  /* pyproxy_to_js leaves host objects as themselves inside containers. */
  pyproxy_t* list = RUN_PROXY(rt, "[a, 1]");
  pyodide_value_t tree;
  ASSERT_OK(pyproxy_to_js(list, -1, &tree));
  EXPECT_KIND(&tree, PYODIDE_LIST);
  EXPECT_KIND(&tree.of.list.items[0], PYODIDE_HOST);
  ASSERT(tree.of.list.items[0].of.host.obj == &p);
  pyodide_value_release(&tree);
  pyproxy_destroy(list);
  pyproxy_destroy(globals);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(p.finalized, 1);
  ASSERT_EQ_INT(q.finalized, 1);
}

TEST(host_object_finalized_once_when_python_drops_it) {
  pyodide_t* rt = LOAD();
  point_t p = {1, 2, 0, NULL};
  set_global(rt, "p", &point_class, &p);
  set_global(rt, "p2", &point_class, &p);
  EXEC(rt, "del p");
  ASSERT_EQ_INT(p.finalized, 0); /* p2 still holds it */
  EXEC(rt, "del p2");
  ASSERT_EQ_INT(p.finalized, 1);
  /* Passed again: a new Python object, finalized once more when dropped. */
  set_global(rt, "p", &point_class, &p);
  ASSERT_EQ_INT(RUN_INT(rt, "p.x"), 1);
  EXEC(rt, "del p");
  ASSERT_EQ_INT(p.finalized, 2);
  /* A proxy the host holds keeps it alive; destroying the proxy lets it go. */
  pyproxy_t* proxy = NULL;
  ASSERT_OK(pyodide_host_object_new(rt, &point_class, &p, &proxy));
  ASSERT_EQ_INT(p.finalized, 2);
  pyproxy_destroy(proxy);
  ASSERT_EQ_INT(p.finalized, 3);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(p.finalized, 3);
}

TEST(host_object_nested_namespace_and_iterator) {
  pyodide_t* rt = LOAD();
  point_t origin = {0, 0, 0, NULL}, p = {5, 6, 0, &origin};
  set_global(rt, "p", &point_class, &p);
  /* Each p.origin while none is held is a new Python object, finalized when dropped. */
  ASSERT_EQ_INT(RUN_INT(rt, "p.origin.x + p.origin.norm2()"), 0);
  ASSERT_EQ_INT(origin.finalized, 2);
  /* While one is held, every p.origin is that object. */
  EXEC(rt, "o = p.origin");
  ASSERT(RUN_BOOL(rt, "p.origin is p.origin is o"));
  EXEC(rt, "p.origin.x = 7");
  ASSERT_EQ_INT(origin.x, 7);
  ASSERT_EQ_INT(origin.finalized, 2);
  countdown_t c = {3, 0};
  set_global(rt, "c", &countdown_class, &c);
  ASSERT(RUN_BOOL(rt, "list(c) == [3, 2, 1] and list(c) == []"));
  ASSERT(RUN_BOOL(rt, "iter(c) is c"));
  EXEC(rt, "del c");
  ASSERT_EQ_INT(c.finalized, 1);
  EXEC(rt, "del p, o");
  ASSERT_EQ_INT(origin.finalized, 3);
  ASSERT_EQ_INT(p.finalized, 1);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(origin.finalized, 3);
}

/* A host function that gets a host object and returns another. */
static pyodide_error_t* swap_fn(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  point_t* other = env;
  if (nargs != 1 || args[0].kind != PYODIDE_HOST || args[0].of.host.cls != &point_class)
    return pyodide_error_new("TypeError", "swap(point)");
  point_t* p = args[0].of.host.obj;
  int64_t t = p->x;
  p->x = p->y;
  p->y = t;
  *result = host_value(&point_class, other);
  return NULL;
}

TEST(host_object_in_host_modules) {
  pyodide_t* rt = LOAD();
  point_t member = {10, 20, 0, NULL}, other = {1, 1, 0, NULL};
  pyodide_value_t value = host_value(&point_class, &member);
  pyodide_host_member_t members[] = {
    {"origin", NULL, &value},
    {"swap", swap_fn, NULL},
  };
  ASSERT_OK(pyodide_register_module(rt, "geometry", members, 2, &other, NULL));
  ASSERT_EQ_INT(RUN_INT(rt, "import geometry; geometry.origin.x + geometry.origin.norm2()"), 10 + 500);
  ASSERT_EQ_INT(RUN_INT(rt, "geometry.swap(geometry.origin).x"), 1);
  ASSERT_EQ_INT(member.x, 20);
  ASSERT_EQ_INT(member.finalized, 0);
  ASSERT_EQ_INT(other.finalized, 1); /* the result was dropped at once */
  pyodide_destroy(rt);
  ASSERT_EQ_INT(member.finalized, 1);
}

TEST(host_object_bad_input) {
  pyodide_t* rt = LOAD();
  point_t p = {0, 0, 0, NULL};
  pyproxy_t* out = NULL;
  ASSERT_USAGE(pyodide_host_object_new(NULL, &point_class, &p, &out));
  ASSERT_USAGE(pyodide_host_object_new(rt, NULL, &p, &out));
  ASSERT_USAGE(pyodide_host_object_new(rt, &point_class, &p, NULL));
  pyodide_host_class_t small = point_class;
  small.size = 16;
  ASSERT_USAGE(pyodide_host_object_new(rt, &small, &p, &out));
  pyodide_host_class_t unnamed = point_class;
  unnamed.name = NULL;
  ASSERT_USAGE(pyodide_host_object_new(rt, &unnamed, &p, &out));
  pyodide_host_class_t empty = point_class;
  empty.name = "";
  ASSERT_USAGE(pyodide_host_object_new(rt, &empty, &p, &out));
  pyodide_host_class_t bad_utf8 = point_class;
  bad_utf8.name = "P\xff";
  ASSERT_USAGE(pyodide_host_object_new(rt, &bad_utf8, &p, &out));
  pyodide_host_class_t no_call_method = point_class;
  no_call_method.call_method = NULL;
  ASSERT_USAGE(pyodide_host_object_new(rt, &no_call_method, &p, &out));
  static const char* const bad_names[] = {"ok", "not an identifier"};
  pyodide_host_class_t bad_method = point_class;
  bad_method.methods = bad_names;
  bad_method.nmethods = 2;
  ASSERT_USAGE(pyodide_host_object_new(rt, &bad_method, &p, &out));
  pyodide_host_class_t null_methods = point_class;
  null_methods.methods = NULL;
  ASSERT_USAGE(pyodide_host_object_new(rt, &null_methods, &p, &out));
  ASSERT(out == NULL); /* untouched on error */
  /* A PYODIDE_HOST value with a NULL class is refused where values enter. */
  pyodide_value_t broken = host_value(NULL, &p);
  pyproxy_t* globals = NULL;
  ASSERT_OK(pyodide_globals(rt, &globals));
  pyodide_value_t key = v_str("x");
  ASSERT_USAGE(pyproxy_set(globals, &key, &broken));
  /* The first layout (no added slots) is accepted; the added ones count as NULL. */
  pyodide_host_class_t first = point_class;
  first.size = offsetof(pyodide_host_class_t, dir);
  ASSERT_OK(pyodide_host_object_new(rt, &first, &p, &out));
  pyodide_value_t k = v_str("first"), val = v_proxy(out);
  ASSERT_OK(pyproxy_set(globals, &k, &val));
  ASSERT_PYERR(pyodide_run_python(rt, "first.norm2()", PYODIDE_STRLEN, NULL, NULL), "AttributeError");
  ASSERT_EQ_INT(RUN_INT(rt, "first.y"), 0);
  pyproxy_destroy(out);
  pyproxy_destroy(globals);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(p.finalized, 1); /* only the object that was made */
  out = NULL;
  ASSERT_USAGE(pyodide_host_object_new(rt, &point_class, &p, &out)); /* dead runtime */
  ASSERT(out == NULL);
  ASSERT_EQ_INT(p.finalized, 1);
}

TEST(host_object_in_a_trapped_runtime_is_fatal_and_never_finalized) {
  pyodide_t* rt = LOAD();
  point_t live = {1, 2, 0, NULL}, late = {0, 0, 0, NULL};
  set_global(rt, "p", &point_class, &live);
  ASSERT_ERROR(pyodide_run_python(rt, "import os\nos.abort()", PYODIDE_STRLEN, NULL, NULL), PYODIDE_ERROR_FATAL, NULL);
  pyproxy_t* out = NULL;
  ASSERT_ERROR(pyodide_host_object_new(rt, &point_class, &late, &out), PYODIDE_ERROR_FATAL, NULL);
  ASSERT(out == NULL);
  pyodide_value_t value = host_value(&point_class, &late);
  ASSERT_ERROR(pyodide_to_py(rt, &value, -1, &out), PYODIDE_ERROR_FATAL, NULL);
  ASSERT_EQ_INT(live.finalized, 0);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(live.finalized, 1); /* Python held it when the runtime died */
  ASSERT_EQ_INT(late.finalized, 0); /* never made */
}

TEST(host_object_leaves_no_handles) {
  pyodide_t* rt = LOAD();
  pyodide_stats_t before;
  memset(&before, 0, sizeof before);
  before.size = sizeof before;
  ASSERT_OK(pyodide_stats(rt, &before));
  point_t p = {1, 2, 0, NULL};
  for (int i = 0; i < 200; i++) {
    set_global(rt, "p", &point_class, &p);
    ASSERT_EQ_INT(RUN_INT(rt, "p.shift(1, 0).x + len(p) + p[0] + sum(p)"), 3 * (2 + i) + 4);
    EXEC(rt, "del p");
  }
  ASSERT_EQ_INT(p.finalized, 200);
  pyodide_stats_t after;
  memset(&after, 0, sizeof after);
  after.size = sizeof after;
  ASSERT_OK(pyodide_stats(rt, &after));
  ASSERT_EQ_INT(after.guest_objects, before.guest_objects);
  ASSERT_EQ_INT(after.process_proxies, before.process_proxies);
  pyodide_destroy(rt);
  ASSERT_EQ_INT(p.finalized, 200);
}
