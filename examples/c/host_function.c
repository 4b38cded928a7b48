/* Make C functions importable from Python (Pyodide's registerJsModule).
 *
 *   cc host_function.c -I<repo>/include -L<repo>/out/lib -lpyodide -Wl,-rpath,<repo>/out/lib
 */
#include <pyodide.h>
#include <stdio.h>
#include <string.h>

typedef struct { /* the host's state, passed to every call as `env` */
  int calls;
  char reply[128];
} app_t;

/* host.greet(name): arguments arrive converted; the result is set in *result. */
static pyodide_error_t* greet(void* env, const pyodide_value_t* args, size_t nargs, pyodide_value_t* result) {
  app_t* app = env;
  if (nargs != 1 || args[0].kind != PYODIDE_STR)
    return pyodide_error_new("TypeError", "greet() takes one str"); /* raised in Python */
  app->calls++;
  snprintf(app->reply, sizeof app->reply, "hello %s, from C", args[0].of.str.ptr);
  result->kind = PYODIDE_STR; /* its memory must outlive the call: `app` owns it */
  result->of.str.ptr = app->reply;
  result->of.str.len = strlen(app->reply);
  return NULL;
}

static int failed(pyodide_error_t* err) {
  if (err == NULL) return 0;
  fprintf(stderr, "%s: %s\n", pyodide_error_type(err), pyodide_error_message(err));
  pyodide_error_delete(err);
  return 1;
}

int main(void) {
  pyodide_t* py;
  if (failed(pyodide_load(NULL, &py))) return 1;
  app_t app = {0};
  pyodide_value_t answer = {.kind = PYODIDE_INT, .of.i = 42};
  pyodide_host_member_t members[] = {{"greet", greet, NULL}, {"answer", NULL, &answer}};
  if (failed(pyodide_register_module(py, "host", members, 2, &app, NULL))) return 1;

  pyodide_value_t v;
  const char* code = "import host\n"
                     "try:\n"
                     "    host.greet(1)\n"
                     "except TypeError as e:\n"
                     "    print('Python caught:', e)\n"
                     "f'{host.greet(\"Python\")} (answer {host.answer})'";
  if (failed(pyodide_run_python(py, code, PYODIDE_STRLEN, NULL, &v))) return 1;
  printf("%s\ncalls: %d\n", v.of.str.ptr, app.calls);
  pyodide_value_release(&v);
  pyodide_destroy(py);
  return 0;
}
