/* A host object: a C struct Python uses as an object, through a class of slots. */
#include <pyodide.h>
#include <stdio.h>
#include <string.h>

typedef struct { int64_t hp; int finalized; } monster_t;

static pyodide_error_t* get_attr(void* obj, const char* name, size_t len, pyodide_value_t* out) {
  if (len != 2 || memcmp(name, "hp", 2) != 0) return pyodide_error_new("AttributeError", "only hp");
  out->kind = PYODIDE_INT;
  out->of.i = ((monster_t*)obj)->hp;
  return NULL;
}

static pyodide_error_t* call_method(void* obj, size_t method, const pyodide_value_t* args, size_t nargs,
                                    pyodide_value_t* out) {
  (void)method; /* 0: hit */
  if (nargs != 1 || args[0].kind != PYODIDE_INT) return pyodide_error_new("TypeError", "hit(damage)");
  out->kind = PYODIDE_INT;
  out->of.i = ((monster_t*)obj)->hp -= args[0].of.i;
  return NULL;
}

static void finalize(void* obj) { ((monster_t*)obj)->finalized++; }

static const char* const methods[] = {"hit"};
static const pyodide_host_class_t monster_class = {
  .size = sizeof(pyodide_host_class_t), .name = "Monster", .get_attr = get_attr,
  .finalize = finalize, .methods = methods, .nmethods = 1, .call_method = call_method,
};

int main(void) {
  pyodide_t* py;
  if (pyodide_load(NULL, &py)) return 1;
  monster_t orc = {10, 0};
  pyproxy_t *object, *globals;
  pyodide_host_object_new(py, &monster_class, &orc, &object);
  pyodide_globals(py, &globals);
  pyodide_value_t key = {.kind = PYODIDE_STR, .of.str = {"orc", 3}};
  pyodide_value_t value = {.kind = PYODIDE_PROXY, .of.proxy = object};
  pyproxy_set(globals, &key, &value);
  pyproxy_destroy(object);
  pyproxy_destroy(globals);

  pyodide_value_t v;
  pyodide_run_python(py, "orc.hit(3)\nf'{type(orc).__name__}: {orc.hp} hp'", PYODIDE_STRLEN, NULL, &v);
  printf("%s\n", v.of.str.ptr);                                   /* Monster: 7 hp */
  pyodide_value_release(&v);
  pyodide_run_python(py, "orc", PYODIDE_STRLEN, NULL, &v);
  printf("the same struct: %s\n", v.of.host.obj == &orc ? "yes" : "no");
  pyodide_run_python(py, "del orc", PYODIDE_STRLEN, NULL, NULL);
  printf("finalized %d time(s), hp %lld\n", orc.finalized, (long long)orc.hp);
  pyodide_destroy(py);
  return 0;
}
