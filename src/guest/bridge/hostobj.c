/* Host objects: Python objects standing for objects of the host program
 * (pyodide_host_object_new), as Pyodide's JsProxy stands for JavaScript's.
 *
 * Each host class becomes a Python type, a subclass of pyodide.HostObject,
 * whose type slots exist only for the operations the class provides, so
 * Python raises its usual error for the others ("... is not callable",
 * "... has no len()"). An operation calls the `pyodide.host_object` import
 * with the object's id, the operation and its arguments as slots; the answer
 * comes back as a host function's does (host_invoke in host.c). The class's
 * methods are method descriptors in the type: `obj.m(x)` is one crossing.
 *
 * The host names objects by small ids it reuses. While a Python object of an
 * id lives, `live[id]` points at it (borrowed), so the host passing the same
 * id again gives the same object; its deallocation clears the entry and
 * tells the host (`pyodide.drop_object`), which runs the class's finalizer. */
#include "bridge.h"

__attribute__((import_module("pyodide"), import_name("drop_object")))
extern void host_object_drop(uint32_t id);

/* Operations, as the host numbers them (Guest/HostObjectOp in the runtime);
 * a class's flags have bit (1 << op) set for each it provides. */
enum {
  OP_GET_ATTR, OP_SET_ATTR, OP_CALL, OP_GET_ITEM, OP_SET_ITEM,
  OP_LENGTH, OP_DIR, OP_ITER, OP_NEXT, OP_CALL_METHOD
};
#define HAS(flags, op) ((flags) & (1u << (op)))
/* OP_CALL_METHOD carries the method's index above these bits. */
#define METHOD_SHIFT 8

typedef struct {
  PyObject_HEAD
  uint32_t id;
} HostObject;

static HostObject** live;      /* live[id]: the object of id, borrowed; NULL if none */
static uint32_t live_capacity;
static PyTypeObject** classes; /* classes[class id]: the type; index 0 unused */
static uint32_t* class_flags;  /* class_flags[class id]: the operations it provides */
static uint32_t class_count;   /* ids handed out, including the unused 0 */
static uint32_t class_capacity;

static PyObject* invoke(PyObject* self, int32_t op, PyObject* const* args, Py_ssize_t nargs) {
  return host_invoke(((HostObject*)self)->id, op, args, nargs, NULL);
}

/* Dunder names belong to Python's object model, never to the host. */
static int is_dunder(PyObject* name) {
  Py_ssize_t n = PyUnicode_GET_LENGTH(name);
  return n > 4 && PyUnicode_READ_CHAR(name, 0) == '_' && PyUnicode_READ_CHAR(name, 1) == '_' &&
         PyUnicode_READ_CHAR(name, n - 1) == '_' && PyUnicode_READ_CHAR(name, n - 2) == '_';
}

/* --- the base type, pyodide.HostObject ----------------------------------- */

/* Reached through subtype_dealloc (every instance is of a heap subtype), which
 * drops the instance's reference to its type afterwards. */
static void host_object_dealloc(PyObject* self) {
  uint32_t id = ((HostObject*)self)->id;
  if (id < live_capacity && live[id] == (HostObject*)self) live[id] = NULL;
  Py_TYPE(self)->tp_free(self);
  host_object_drop(id);
}

static PyObject* host_object_repr(PyObject* self) {
  return PyUnicode_FromFormat("<%s host object>", _PyType_Name(Py_TYPE(self)));
}

/* dir(): the type's names (methods included), then those the host lists. */
static PyObject* host_object_dir(PyObject* self, PyObject* unused) {
  (void)unused;
  PyObject* names = PyObject_CallMethod((PyObject*)&PyBaseObject_Type, "__dir__", "O", self);
  if (!names) return NULL;
  uint32_t flags = 0;
  for (uint32_t c = 1; c < class_count; c++)
    if (classes[c] == Py_TYPE(self)) flags = class_flags[c];
  if (HAS(flags, OP_DIR)) {
    PyObject* more = invoke(self, OP_DIR, NULL, 0);
    PyObject* rc = more ? _PyList_Extend((PyListObject*)names, more) : NULL;
    Py_XDECREF(more);
    if (!rc) return Py_DECREF(names), NULL;
    Py_DECREF(rc);
  }
  return names;
}

static PyMethodDef host_object_methods[] = {
  {"__dir__", host_object_dir, METH_NOARGS, "The type's names and those the host lists."},
  {NULL, NULL, 0, NULL},
};

static PyTypeObject HostObjectType = {
  PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = "pyodide.HostObject",
  .tp_doc = "An object of the host program (pyodide_host_object_new); each host class is a subclass.",
  .tp_basicsize = sizeof(HostObject),
  .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
  .tp_dealloc = host_object_dealloc,
  .tp_repr = host_object_repr,
  .tp_methods = host_object_methods,
};

/* --- type slots, installed per class ------------------------------------- */

static PyObject* host_getattro(PyObject* self, PyObject* name) {
  PyObject* found = _PyObject_GenericGetAttrWithDict(self, name, NULL, 1);
  if (found || PyErr_Occurred() || is_dunder(name)) {
    if (!found && !PyErr_Occurred())
      PyErr_Format(PyExc_AttributeError, "'%s' object has no attribute '%U'", _PyType_Name(Py_TYPE(self)), name);
    return found;
  }
  return invoke(self, OP_GET_ATTR, &name, 1);
}

static int host_setattro(PyObject* self, PyObject* name, PyObject* value) {
  if (!PyUnicode_Check(name) || is_dunder(name)) return PyObject_GenericSetAttr(self, name, value);
  PyObject* args[2] = {name, value};
  PyObject* none = invoke(self, OP_SET_ATTR, args, value ? 2 : 1);
  Py_XDECREF(none);
  return none ? 0 : -1;
}

static PyObject* host_call(PyObject* self, PyObject* args, PyObject* kwargs) {
  if (kwargs && PyDict_GET_SIZE(kwargs)) {
    PyErr_Format(PyExc_TypeError, "%s() takes no keyword arguments", _PyType_Name(Py_TYPE(self)));
    return NULL;
  }
  return invoke(self, OP_CALL, &PyTuple_GET_ITEM(args, 0), PyTuple_GET_SIZE(args));
}

static PyObject* host_getitem(PyObject* self, PyObject* key) { return invoke(self, OP_GET_ITEM, &key, 1); }

static int host_setitem(PyObject* self, PyObject* key, PyObject* value) {
  PyObject* args[2] = {key, value};
  PyObject* none = invoke(self, OP_SET_ITEM, args, value ? 2 : 1);
  Py_XDECREF(none);
  return none ? 0 : -1;
}

static Py_ssize_t host_length(PyObject* self) {
  PyObject* n = invoke(self, OP_LENGTH, NULL, 0);
  if (!n) return -1;
  Py_ssize_t length = PyLong_Check(n) ? PyLong_AsSsize_t(n) : -1;
  Py_DECREF(n);
  if (length < 0 && !PyErr_Occurred())
    PyErr_SetString(PyExc_ValueError, "the host reported an invalid length");
  return length;
}

static PyObject* host_iter(PyObject* self) {
  PyObject* iterable = invoke(self, OP_ITER, NULL, 0);
  PyObject* it = iterable ? PyObject_GetIter(iterable) : NULL;
  Py_XDECREF(iterable);
  return it;
}

static PyObject* host_iternext(PyObject* self) {
  int done = 0;
  PyObject* value = host_invoke(((HostObject*)self)->id, OP_NEXT, NULL, 0, &done);
  if (value && done) Py_CLEAR(value); /* NULL without an exception: StopIteration */
  return value;
}

/* --- methods: descriptors calling OP_CALL_METHOD ------------------------- */

typedef struct {
  PyObject_HEAD
  uint32_t index;
  PyObject* name;
  PyTypeObject* owner; /* borrowed: the type holds the descriptor */
  vectorcallfunc vectorcall;
} HostMethod;

static PyObject* host_method_call(PyObject* self, PyObject* const* args, size_t nargsf, PyObject* kwnames) {
  HostMethod* m = (HostMethod*)self;
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (kwnames && PyTuple_GET_SIZE(kwnames)) {
    PyErr_Format(PyExc_TypeError, "%U() takes no keyword arguments", m->name);
    return NULL;
  }
  if (nargs < 1 || !PyObject_TypeCheck(args[0], m->owner)) {
    PyErr_Format(PyExc_TypeError, "method '%U' needs a '%s' object", m->name, _PyType_Name(m->owner));
    return NULL;
  }
  return invoke(args[0], OP_CALL_METHOD | (int32_t)(m->index << METHOD_SHIFT), args + 1, nargs - 1);
}

static PyObject* host_method_get(PyObject* self, PyObject* obj, PyObject* type) {
  (void)type;
  return obj ? PyMethod_New(self, obj) : Py_NewRef(self);
}

static void host_method_dealloc(PyObject* self) {
  Py_XDECREF(((HostMethod*)self)->name);
  Py_TYPE(self)->tp_free(self);
}

static PyObject* host_method_repr(PyObject* self) {
  HostMethod* m = (HostMethod*)self;
  return PyUnicode_FromFormat("<host method '%U' of '%s' objects>", m->name, _PyType_Name(m->owner));
}

static PyTypeObject HostMethodType = {
  PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = "pyodide.HostMethod",
  .tp_doc = "A method of a host class.",
  .tp_basicsize = sizeof(HostMethod),
  .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
  .tp_vectorcall_offset = offsetof(HostMethod, vectorcall),
  .tp_call = PyVectorcall_Call,
  .tp_descr_get = host_method_get,
  .tp_dealloc = host_method_dealloc,
  .tp_repr = host_method_repr,
};

static int add_method(PyTypeObject* type, const slot_t* name_slot, uint32_t index) {
  PyObject* name = slot_to_object(name_slot);
  if (!name) return -1;
  if (!PyUnicode_Check(name) || !PyUnicode_IsIdentifier(name) || is_dunder(name)) {
    PyErr_Format(PyExc_ValueError, "method name %R is not an identifier", name);
    Py_DECREF(name);
    return -1;
  }
  HostMethod* m = PyObject_New(HostMethod, &HostMethodType);
  if (!m) return Py_DECREF(name), -1;
  m->index = index;
  m->name = name;
  m->owner = type;
  m->vectorcall = host_method_call;
  int rc = PyDict_SetItem(type->tp_dict, name, (PyObject*)m);
  Py_DECREF(m);
  return rc;
}

/* --- the ABI ------------------------------------------------------------- */

static int ready(void) {
  if (PyType_Ready(&HostObjectType) < 0 || PyType_Ready(&HostMethodType) < 0) return -1;
  return 0;
}

/* A new type for a host class named `name`, with the operations in `flags`
 * and `nmethods` methods (STR slots at `methods`); returns its class id. */
PYN_EXPORT(pyn_host_class) uint32_t pyn_host_class(const char* name, uint32_t len, uint32_t flags,
                                                 const slot_t* methods, uint32_t nmethods) {
  keep_clear();
  if (ready() < 0) return error_store(), 0;
  if (class_count == class_capacity) {
    uint32_t capacity = class_capacity ? class_capacity * 2 : 16;
    PyTypeObject** grown = PyMem_RawRealloc(classes, capacity * sizeof *grown);
    if (!grown) return PyErr_NoMemory(), error_store(), 0;
    classes = grown;
    uint32_t* grown_flags = PyMem_RawRealloc(class_flags, capacity * sizeof *grown_flags);
    if (!grown_flags) return PyErr_NoMemory(), error_store(), 0;
    class_flags = grown_flags;
    class_capacity = capacity;
    if (class_count == 0) class_count = 1; /* 0 means "no class" */
  }
  /* tp_name points into the spec's name for the type's life: never freed. */
  char* full = PyMem_RawMalloc(len + sizeof "pyodide.");
  if (!full) return PyErr_NoMemory(), error_store(), 0;
  memcpy(full, "pyodide.", 8);
  memcpy(full + 8, name, len);
  full[8 + len] = '\0';
  PyType_Slot slots[12];
  int n = 0;
  if (HAS(flags, OP_GET_ATTR)) slots[n++] = (PyType_Slot){Py_tp_getattro, host_getattro};
  if (HAS(flags, OP_SET_ATTR)) slots[n++] = (PyType_Slot){Py_tp_setattro, host_setattro};
  if (HAS(flags, OP_CALL)) slots[n++] = (PyType_Slot){Py_tp_call, host_call};
  if (HAS(flags, OP_GET_ITEM)) slots[n++] = (PyType_Slot){Py_mp_subscript, host_getitem};
  if (HAS(flags, OP_SET_ITEM)) slots[n++] = (PyType_Slot){Py_mp_ass_subscript, host_setitem};
  if (HAS(flags, OP_LENGTH)) slots[n++] = (PyType_Slot){Py_mp_length, host_length};
  if (HAS(flags, OP_ITER)) slots[n++] = (PyType_Slot){Py_tp_iter, host_iter};
  else if (HAS(flags, OP_NEXT)) slots[n++] = (PyType_Slot){Py_tp_iter, PyObject_SelfIter};
  if (HAS(flags, OP_NEXT)) slots[n++] = (PyType_Slot){Py_tp_iternext, host_iternext};
  slots[n] = (PyType_Slot){0, NULL};
  PyType_Spec spec = {
    .name = full,
    .basicsize = sizeof(HostObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = slots,
  };
  PyTypeObject* type = (PyTypeObject*)PyType_FromSpecWithBases(&spec, (PyObject*)&HostObjectType);
  if (!type) return PyMem_RawFree(full), error_store(), 0;
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && i < nmethods; i++) rc = add_method(type, &methods[i], i);
  if (rc < 0) return Py_DECREF(type), error_store(), 0;
  /* Python code may not patch a host class. */
  type->tp_flags |= Py_TPFLAGS_IMMUTABLETYPE;
  PyType_Modified(type);
  classes[class_count] = type; /* the table keeps the reference */
  class_flags[class_count] = flags;
  return class_count++;
}

int host_object_to_slot(PyObject* obj, slot_t* out) {
  if (!PyObject_TypeCheck(obj, &HostObjectType)) return 0;
  if (slot_keep(obj) < 0) return -1; /* alive until the host has read it */
  out->kind = SLOT_HOST;
  out->len = 0;
  out->u.raw = 0;
  out->u.handle = ((HostObject*)obj)->id;
  return 1;
}

PyObject* host_object_from_slot(const slot_t* slot) {
  uint32_t id = slot->u.handle, cls = slot->len;
  if (id < live_capacity && live[id]) return Py_NewRef((PyObject*)live[id]);
  if (cls == 0 || cls >= class_count || id == 0) {
    PyErr_Format(PyExc_ValueError, "host object %u of unknown class %u", (unsigned)id, (unsigned)cls);
    return NULL;
  }
  if (id >= live_capacity) {
    uint32_t capacity = live_capacity ? live_capacity : 64;
    while (capacity <= id) capacity *= 2;
    HostObject** grown = PyMem_RawRealloc(live, capacity * sizeof *grown);
    if (!grown) return PyErr_NoMemory();
    memset(grown + live_capacity, 0, (capacity - live_capacity) * sizeof *grown);
    live = grown;
    live_capacity = capacity;
  }
  HostObject* obj = PyObject_New(HostObject, classes[cls]);
  if (!obj) return NULL;
  obj->id = id;
  live[id] = obj;
  return (PyObject*)obj;
}

/* pyodide.HostObject, for the helper package (isinstance checks). */
PyObject* host_object_type(void) {
  if (ready() < 0) return NULL;
  return Py_NewRef((PyObject*)&HostObjectType);
}
