/* Compiling source the way Pyodide's runPython runs it: the statements, and a
 * final expression statement compiled apart so that its value can be returned
 * (pyodide._base._compile). Done on the parser's C tree: going through the ast
 * module's objects (compile(..., PyCF_ONLY_AST), pop the last statement,
 * compile the objects) built and converted back a Python object per node,
 * about half the cost of compiling a file of functions such as pyodide-run's
 * runner (and the garbage collections those objects set off). */
#define Py_BUILD_CORE 1
#include "bridge.h"

#include "internal/pycore_ast.h"
#include "internal/pycore_compile.h"
#include "internal/pycore_parser.h"
#include "internal/pycore_pyarena.h"

/* The module without its last statement, allocated in `arena`. */
static mod_ty module_without_last(mod_ty module, PyArena* arena) {
  asdl_stmt_seq* body = module->v.Module.body;
  Py_ssize_t n = asdl_seq_LEN(body) - 1;
  asdl_stmt_seq* rest = _Py_asdl_stmt_seq_new(n, arena);
  if (!rest) return NULL;
  for (Py_ssize_t i = 0; i < n; i++) asdl_seq_SET(rest, i, asdl_seq_GET(body, i));
  return _PyAST_Module(rest, module->v.Module.type_ignores, arena);
}

/* _pyodide_core.compile(source, filename, flags, split_last) ->
 * (statements, expression or None). As compile(source, filename, "exec",
 * flags) for the statements; with `split_last` true and a final expression
 * statement, that expression is left out of them and compiled in "eval" mode
 * as the second item. Errors as compile()'s: SyntaxError, ValueError for NUL
 * characters or other flags. New references. */
PyObject* core_compile(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  (void)self;
  if (nargs != 4 || !PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1]) || !PyLong_Check(args[2])) {
    PyErr_SetString(PyExc_TypeError, "compile(source: str, filename: str, flags: int, split_last)");
    return NULL;
  }
  int split_last = PyObject_IsTrue(args[3]);
  long flags = PyLong_AsLong(args[2]);
  if (split_last < 0 || (flags == -1 && PyErr_Occurred())) return NULL;
  /* Future features and top-level await, as compile() takes them; not the
   * flags that change what compile() returns (PyCF_ONLY_AST). */
  if (flags & ~(long)(PyCF_MASK | PyCF_ALLOW_TOP_LEVEL_AWAIT)) {
    PyErr_SetString(PyExc_ValueError, "compile(): unrecognised flags");
    return NULL;
  }
  /* What compile() passes for a str source; the caller's future imports are
   * not inherited (pyodide._base has none). compile()'s own reading of the
   * source: UTF-8, no coding cookie, the ValueError for NUL characters (a str
   * needs no copy). */
  PyCompilerFlags cf = _PyCompilerFlags_INIT;
  cf.cf_flags = (int)flags | PyCF_SOURCE_IS_UTF8;
  PyObject* no_copy;
  const char* source = _Py_SourceAsString(args[0], "compile", "string", &cf, &no_copy);
  if (!source) return NULL;
  assert(no_copy == NULL);

  PyArena* arena = _PyArena_New();
  if (!arena) return NULL;
  PyObject* result = NULL;
  PyCodeObject* statements = NULL;
  PyCodeObject* expression = NULL;
  mod_ty module = _PyParser_ASTFromString(source, args[1], Py_file_input, &cf, arena);
  if (!module) goto done;
  asdl_stmt_seq* body = module->v.Module.body;
  Py_ssize_t n = asdl_seq_LEN(body);
  mod_ty last = NULL;
  if (split_last && n > 0 && asdl_seq_GET(body, n - 1)->kind == Expr_kind) {
    last = _PyAST_Expression(asdl_seq_GET(body, n - 1)->v.Expr.value, arena);
    module = last ? module_without_last(module, arena) : NULL;
    if (!module) goto done;
  }
  /* The statements first: their errors are reported before the expression's. */
  statements = _PyAST_Compile(module, args[1], &cf, -1, arena);
  if (statements && last) expression = _PyAST_Compile(last, args[1], &cf, -1, arena);
  if (statements && (expression || !last))
    result = PyTuple_Pack(2, (PyObject*)statements, expression ? (PyObject*)expression : Py_None);
done:
  Py_XDECREF(statements);
  Py_XDECREF(expression);
  _PyArena_Free(arena);
  return result;
}
