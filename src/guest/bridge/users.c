/* The pwd and grp modules, which CPython does not build for WASI (wasi-libc
 * has no user or group database). The sandbox has one: root, and the user
 * every runtime runs as (os.getuid() is 1000, every file is theirs: the
 * wasi-user-ids patch), whose home is the runtime's /home/pyodide. So code
 * that asks who owns a file (Path.owner(), tarfile's member names,
 * shutil.chown by name) or where a user's home is (expanduser("~pyodide"))
 * gets the answers it would on a Linux machine with that one user, with
 * python3's types, argument handling and errors. */
#include "bridge.h"

#include <sys/types.h>

/* CPython's conversions of uid and gid arguments (posixmodule.c), as python3's
 * pwd and grp use them: ints only, -1 allowed, overflow an OverflowError. */
int _Py_Uid_Converter(PyObject* obj, uid_t* out);
int _Py_Gid_Converter(PyObject* obj, gid_t* out);
PyObject* _PyLong_FromUid(uid_t uid);

typedef struct {
  const char *name, *gecos, *dir, *shell;
  unsigned id; /* the user's uid and gid, or the group's gid */
} account_t;

static const account_t users[] = {
  {"root", "root", "/root", "/bin/sh", 0},
  {"pyodide", "", "/home/pyodide", "/bin/sh", 1000},
};
/* Each user's own group, of the same name and id; none has other members. */
#define ACCOUNTS (sizeof users / sizeof users[0])

static PyTypeObject *passwd_type, *group_type;

static PyStructSequence_Field passwd_fields[] = {
  {"pw_name", "user name"},
  {"pw_passwd", "password"},
  {"pw_uid", "user id"},
  {"pw_gid", "group id"},
  {"pw_gecos", "real name"},
  {"pw_dir", "home directory"},
  {"pw_shell", "shell program"},
  {0},
};

static PyStructSequence_Desc passwd_desc = {
  "pwd.struct_passwd",
  "An entry of the user database: a 7-tuple (pw_name, pw_passwd, pw_uid, pw_gid,\n"
  "pw_gecos, pw_dir, pw_shell) whose items are also attributes of those names.",
  passwd_fields,
  7,
};

static PyStructSequence_Field group_fields[] = {
  {"gr_name", "group name"},
  {"gr_passwd", "password"},
  {"gr_gid", "group id"},
  {"gr_mem", "group members"},
  {0},
};

static PyStructSequence_Desc group_desc = {
  "grp.struct_group",
  "An entry of the group database: a 4-tuple (gr_name, gr_passwd, gr_gid, gr_mem)\n"
  "whose items are also attributes of those names; gr_mem lists the members' names.",
  group_fields,
  4,
};

/* A new struct_passwd (user) or struct_group (not user) for `a`; NULL with an exception. */
static PyObject* entry(const account_t* a, int user) {
  PyObject* result = PyStructSequence_New(user ? passwd_type : group_type);
  if (result == NULL) return NULL;
  PyStructSequence_SET_ITEM(result, 0, PyUnicode_DecodeFSDefault(a->name));
  PyStructSequence_SET_ITEM(result, 1, PyUnicode_DecodeFSDefault("x"));
  if (user) {
    PyStructSequence_SET_ITEM(result, 2, PyLong_FromUnsignedLong(a->id));
    PyStructSequence_SET_ITEM(result, 3, PyLong_FromUnsignedLong(a->id));
    PyStructSequence_SET_ITEM(result, 4, PyUnicode_DecodeFSDefault(a->gecos));
    PyStructSequence_SET_ITEM(result, 5, PyUnicode_DecodeFSDefault(a->dir));
    PyStructSequence_SET_ITEM(result, 6, PyUnicode_DecodeFSDefault(a->shell));
  } else {
    PyStructSequence_SET_ITEM(result, 2, PyLong_FromUnsignedLong(a->id));
    PyStructSequence_SET_ITEM(result, 3, PyList_New(0));
  }
  if (PyErr_Occurred()) Py_CLEAR(result);
  return result;
}

/* The account with id `id`, or NULL. */
static const account_t* by_id(unsigned id) {
  for (size_t i = 0; i < ACCOUNTS; i++)
    if (users[i].id == id) return &users[i];
  return NULL;
}

/* The entry named by the str `name`, or NULL with KeyError (TypeError and
 * ValueError for what is no str or holds a NUL, as python3's). */
static PyObject* by_name(PyObject* name, int user) {
  const char* function = user ? "getpwnam" : "getgrnam";
  if (!PyUnicode_Check(name)) {
    PyErr_Format(PyExc_TypeError, "%s() argument %smust be str, not %.50s", function, user ? "" : "'name' ",
                 Py_TYPE(name)->tp_name);
    return NULL;
  }
  PyObject* bytes = PyUnicode_EncodeFSDefault(name);
  if (bytes == NULL) return NULL;
  const char* text = PyBytes_AS_STRING(bytes);
  if (strlen(text) != (size_t)PyBytes_GET_SIZE(bytes)) {
    Py_DECREF(bytes);
    PyErr_SetString(PyExc_ValueError, "embedded null byte");
    return NULL;
  }
  PyObject* result = NULL;
  for (size_t i = 0; i < ACCOUNTS && result == NULL; i++)
    if (strcmp(users[i].name, text) == 0) result = entry(&users[i], user);
  Py_DECREF(bytes);
  if (result == NULL && !PyErr_Occurred()) PyErr_Format(PyExc_KeyError, "%s(): name not found: %R", function, name);
  return result;
}

/* A list of every user's (user) or group's entry. */
static PyObject* all(int user) {
  PyObject* list = PyList_New(ACCOUNTS);
  for (size_t i = 0; list != NULL && i < ACCOUNTS; i++) {
    PyObject* item = entry(&users[i], user);
    if (item == NULL) Py_CLEAR(list);
    else PyList_SET_ITEM(list, i, item);
  }
  return list;
}

static PyObject* pwd_getpwuid(PyObject* self, PyObject* arg) {
  uid_t uid;
  if (!_Py_Uid_Converter(arg, &uid)) {
    if (PyErr_ExceptionMatches(PyExc_OverflowError)) PyErr_Format(PyExc_KeyError, "getpwuid(): uid not found");
    return NULL;
  }
  const account_t* a = by_id((unsigned)uid);
  if (a != NULL) return entry(a, 1);
  PyObject* number = _PyLong_FromUid(uid); /* (uid_t)-1 is -1 */
  if (number != NULL) PyErr_Format(PyExc_KeyError, "getpwuid(): uid not found: %S", number);
  Py_XDECREF(number);
  return NULL;
}

static PyObject* pwd_getpwnam(PyObject* self, PyObject* name) { return by_name(name, 1); }

static PyObject* pwd_getpwall(PyObject* self, PyObject* unused) { return all(1); }

static PyObject* grp_getgrgid(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static const char* const keywords[] = {"id", NULL};
  static _PyArg_Parser parser = {"O:getgrgid", keywords, 0};
  PyObject* id;
  if (!_PyArg_ParseStackAndKeywords(args, nargs, kwnames, &parser, &id)) return NULL;
  gid_t gid;
  if (!_Py_Gid_Converter(id, &gid)) return NULL; /* an OverflowError stays one, as python3's */
  const account_t* a = by_id((unsigned)gid);
  if (a != NULL) return entry(a, 0);
  PyErr_Format(PyExc_KeyError, "getgrgid(): gid not found: %S", id);
  return NULL;
}

static PyObject* grp_getgrnam(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  static const char* const keywords[] = {"name", NULL};
  static _PyArg_Parser parser = {"O:getgrnam", keywords, 0};
  PyObject* name;
  if (!_PyArg_ParseStackAndKeywords(args, nargs, kwnames, &parser, &name)) return NULL;
  return by_name(name, 0);
}

static PyObject* grp_getgrall(PyObject* self, PyObject* unused) { return all(0); }

static PyMethodDef pwd_methods[] = {
  {"getpwuid", pwd_getpwuid, METH_O,
   "getpwuid($module, uidobj, /)\n--\n\nThe user database entry of user id uidobj; KeyError if there is none."},
  {"getpwnam", pwd_getpwnam, METH_O,
   "getpwnam($module, name, /)\n--\n\nThe user database entry of the user called name; KeyError if there is none."},
  {"getpwall", pwd_getpwall, METH_NOARGS, "getpwall($module, /)\n--\n\nA list of every user database entry."},
  {NULL, NULL, 0, NULL},
};

static PyMethodDef grp_methods[] = {
  {"getgrgid", (PyCFunction)(void (*)(void))grp_getgrgid, METH_FASTCALL | METH_KEYWORDS,
   "getgrgid($module, /, id)\n--\n\nThe group database entry of group id id; KeyError if there is none."},
  {"getgrnam", (PyCFunction)(void (*)(void))grp_getgrnam, METH_FASTCALL | METH_KEYWORDS,
   "getgrnam($module, /, name)\n--\n\nThe group database entry of the group called name; KeyError if there is none."},
  {"getgrall", grp_getgrall, METH_NOARGS, "getgrall($module, /)\n--\n\nA list of every group database entry."},
  {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pwd_module = {
  PyModuleDef_HEAD_INIT, "pwd",
  "The user database: in the sandbox, root and the user every runtime runs as\n"
  "(pyodide, ids 1000, home /home/pyodide). Entries are struct_passwd.",
  -1, pwd_methods,
};

static struct PyModuleDef grp_module = {
  PyModuleDef_HEAD_INIT, "grp",
  "The group database: in the sandbox, one group for each user of pwd, of the\n"
  "same name and id, with no other members. Entries are struct_group.",
  -1, grp_methods,
};

/* Module `def` with its entries' type, made at the first import, as `type_name`. */
static PyObject* users_module(struct PyModuleDef* def, PyTypeObject** type, PyStructSequence_Desc* desc,
                              const char* type_name) {
  if (*type == NULL && (*type = PyStructSequence_NewType(desc)) == NULL) return NULL;
  PyObject* module = PyModule_Create(def);
  if (module != NULL && PyModule_AddObjectRef(module, type_name, (PyObject*)*type) < 0) Py_CLEAR(module);
  return module;
}

PyObject* PyInit_pwd(void) { return users_module(&pwd_module, &passwd_type, &passwd_desc, "struct_passwd"); }

PyObject* PyInit_grp(void) { return users_module(&grp_module, &group_type, &group_desc, "struct_group"); }
