/* Buffers: pyproxy_get_buffer, pybuffer_release. */
#include <stdio.h>
#include <stdlib.h>

#include "support.h"

/* A recognizable out-parameter, compared field by field (padding bytes are not
   preserved by struct assignment). */
static pybuffer_t sentinel_buffer(void) {
  pybuffer_t b;
  memset(&b, 0, sizeof b);
  b.data = (void*)(uintptr_t)0x5A01;
  b.offset = 0x5A02;
  b.first = (void*)(uintptr_t)0x5A03;
  b.nbytes = 0x5A04;
  b.itemsize = 0x5A05;
  b.ndim = 0x5A06;
  b.shape = (const ptrdiff_t*)(uintptr_t)0x5A07;
  b.strides = (const ptrdiff_t*)(uintptr_t)0x5A08;
  b.byte_strides = (const ptrdiff_t*)(uintptr_t)0x5A09;
  b.format = (const char*)(uintptr_t)0x5A0A;
  b.readonly = true;
  b.c_contiguous = true;
  b.f_contiguous = true;
  b.reserved = (void*)(uintptr_t)0x5A0B;
  return b;
}

static bool is_sentinel_buffer(const pybuffer_t* b) {
  pybuffer_t s = sentinel_buffer();
  return b->data == s.data && b->offset == s.offset && b->first == s.first &&
         b->nbytes == s.nbytes && b->itemsize == s.itemsize && b->ndim == s.ndim &&
         b->shape == s.shape && b->strides == s.strides && b->byte_strides == s.byte_strides &&
         b->format == s.format && b->readonly && b->c_contiguous && b->f_contiguous &&
         b->reserved == s.reserved;
}

static bool is_zero_buffer(const pybuffer_t* b) {
  return b->data == NULL && b->offset == 0 && b->first == NULL && b->nbytes == 0 &&
         b->itemsize == 0 && b->ndim == 0 && b->shape == NULL && b->strides == NULL &&
         b->byte_strides == NULL && b->format == NULL && !b->readonly && !b->c_contiguous &&
         !b->f_contiguous && b->reserved == NULL;
}

static pybuffer_t get_buffer(pyproxy_t* p, const char* type) {
  pybuffer_t b = sentinel_buffer();
  ASSERT_OK(pyproxy_get_buffer(p, type, &b));
  return b;
}

static uint64_t process_buffers(pyodide_t* rt) {
  pyodide_stats_t s;
  memset(&s, 0, sizeof s);
  s.size = sizeof s;
  ASSERT_OK(pyodide_stats(rt, &s));
  return s.process_buffers;
}

TEST(buffer_bytearray_read_write_in_place) {
  pyodide_t* rt = LOAD();
  uint64_t held0 = process_buffers(rt);
  pyproxy_t* p = RUN_PROXY(rt, "ba = bytearray(b'hello')\nba");
  pybuffer_t b = get_buffer(p, NULL);
  ASSERT_EQ_INT(process_buffers(rt), held0 + 1);
  ASSERT(b.data != NULL);
  ASSERT(b.first == b.data);
  ASSERT_EQ_INT(b.offset, 0);
  ASSERT_EQ_INT(b.nbytes, 5);
  ASSERT_EQ_INT(b.itemsize, 1);
  ASSERT_EQ_INT(b.ndim, 1);
  ASSERT_EQ_INT(b.shape[0], 5);
  ASSERT_EQ_INT(b.strides[0], 1);
  ASSERT_EQ_INT(b.byte_strides[0], 1);
  ASSERT_STREQ(b.format, "B");
  ASSERT(!b.readonly);
  ASSERT(b.c_contiguous);
  ASSERT(b.f_contiguous);
  ASSERT_MEMEQ(b.first, "hello", 5);
  /* Host writes are visible to Python, and Python's to the host. */
  ((char*)b.first)[0] = 'J';
  ASSERT(RUN_BOOL(rt, "ba == b'Jello'"));
  EXEC(rt, "ba[4] = ord('y')");
  ASSERT_MEMEQ(b.first, "Jelly", 5);
  /* Resizing while exported is refused by Python itself. */
  ASSERT_PYERR(pyodide_run_python(rt, "ba.append(33)", PYODIDE_STRLEN, NULL, NULL),
               "BufferError");
  pybuffer_release(&b);
  ASSERT(is_zero_buffer(&b));
  ASSERT_EQ_INT(process_buffers(rt), held0);
  EXEC(rt, "ba.append(33)");
  ASSERT(RUN_BOOL(rt, "ba == b'Jelly!'"));
  pybuffer_release(&b); /* zeroed: ignored */
  pyproxy_destroy(p);
  pyodide_destroy(rt);
}

TEST(buffer_readonly_and_typed_arrays) {
  pyodide_t* rt = LOAD();
  /* bytes (made a proxy with pyodide_to_py, since bytes arrive by value). */
  pyodide_value_t abc = v_bytes("abc", 3);
  pyproxy_t* by = NULL;
  ASSERT_OK(pyodide_to_py(rt, &abc, -1, &by));
  pybuffer_t b = get_buffer(by, NULL);
  ASSERT(b.readonly);
  ASSERT_EQ_INT(b.nbytes, 3);
  ASSERT_MEMEQ(b.first, "abc", 3);
  pybuffer_release(&b);
  pyproxy_destroy(by);

  pyproxy_t* d = RUN_PROXY(rt, "import array\nad = array.array('d', [1.5, 2.5, 3.5])\nad");
  b = get_buffer(d, NULL);
  ASSERT_STREQ(b.format, "d");
  ASSERT_EQ_INT(b.itemsize, 8);
  ASSERT_EQ_INT(b.nbytes, 24);
  ASSERT_EQ_INT(b.shape[0], 3);
  ASSERT_EQ_INT(b.strides[0], 1);
  ASSERT_EQ_INT(b.byte_strides[0], 8);
  ASSERT(((double*)b.first)[1] == 2.5);
  ((double*)b.first)[2] = 9.25;
  ASSERT(RUN_BOOL(rt, "ad[2] == 9.25"));
  pybuffer_release(&b);
  pyproxy_destroy(d);

  /* Native-size codes of the 32-bit interpreter get explicit spellings. */
  static const struct {
    const char* code;
    const char* format;
    size_t itemsize;
  } cases[] = {{"array.array('l', [1, -2])", "<i", 4}, {"array.array('L', [1, 2])", "<I", 4},
               {"array.array('i', [1, 2])", "i", 4},   {"array.array('q', [1, 2])", "q", 8},
               {"array.array('h', [1, 2])", "h", 2},   {"array.array('f', [1, 2])", "f", 4}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pyproxy_t* p = RUN_PROXY(rt, cases[i].code);
    b = get_buffer(p, NULL);
    if (strcmp(b.format, cases[i].format) != 0) harness_note("code: %s", cases[i].code);
    ASSERT_STREQ(b.format, cases[i].format);
    ASSERT_EQ_INT(b.itemsize, cases[i].itemsize);
    ASSERT_EQ_INT(b.nbytes, 2 * cases[i].itemsize);
    pybuffer_release(&b);
    pyproxy_destroy(p);
  }
  pyproxy_t* l = RUN_PROXY(rt, "array.array('l', [7, -8])");
  b = get_buffer(l, NULL);
  ASSERT_EQ_INT(((int32_t*)b.first)[1], -8);
  pybuffer_release(&b);
  pyproxy_destroy(l);
  pyodide_destroy(rt);
}

TEST(buffer_multidimensional_and_strided_views) {
  pyodide_t* rt = LOAD();
  pyproxy_t* m = RUN_PROXY(rt, "m = memoryview(bytearray(range(12))).cast('B', (3, 4))\nm");
  pybuffer_t b = get_buffer(m, NULL);
  ASSERT_EQ_INT(b.ndim, 2);
  ASSERT_EQ_INT(b.shape[0], 3);
  ASSERT_EQ_INT(b.shape[1], 4);
  ASSERT_EQ_INT(b.strides[0], 4);
  ASSERT_EQ_INT(b.strides[1], 1);
  ASSERT_EQ_INT(b.byte_strides[0], 4);
  ASSERT_EQ_INT(b.byte_strides[1], 1);
  ASSERT_EQ_INT(b.nbytes, 12);
  ASSERT(b.c_contiguous);
  ASSERT(!b.f_contiguous);
  /* Element [2][3] = 11. */
  ASSERT_EQ_INT(((unsigned char*)b.first)[2 * b.byte_strides[0] + 3 * b.byte_strides[1]], 11);
  pybuffer_release(&b);
  pyproxy_destroy(m);

  /* A reversed view: negative stride; first is element [0] (the last byte). */
  pyproxy_t* r = RUN_PROXY(rt, "memoryview(bytearray(range(10)))[::-1]");
  b = get_buffer(r, NULL);
  ASSERT_EQ_INT(b.shape[0], 10);
  ASSERT_EQ_INT(b.strides[0], -1);
  ASSERT_EQ_INT(b.byte_strides[0], -1);
  ASSERT_EQ_INT(b.offset, 9);
  ASSERT_EQ_INT(b.nbytes, 10);
  ASSERT_EQ_INT(((unsigned char*)b.first)[0], 9);
  ASSERT_EQ_INT(((unsigned char*)b.data)[0], 0);
  ASSERT((char*)b.first == (char*)b.data + b.offset * (ptrdiff_t)b.itemsize);
  ASSERT(!b.c_contiguous);
  ASSERT(!b.f_contiguous);
  pybuffer_release(&b);
  pyproxy_destroy(r);

  /* Every third element from index 1: 1, 4, 7 span 7 bytes. */
  pyproxy_t* s = RUN_PROXY(rt, "memoryview(bytearray(range(10)))[1::3]");
  b = get_buffer(s, NULL);
  ASSERT_EQ_INT(b.shape[0], 3);
  ASSERT_EQ_INT(b.strides[0], 3);
  ASSERT_EQ_INT(b.nbytes, 7);
  ASSERT(b.first == b.data);
  ASSERT_EQ_INT(((unsigned char*)b.first)[2 * b.byte_strides[0]], 7);
  pybuffer_release(&b);
  pyproxy_destroy(s);

  /* An empty buffer. */
  pyproxy_t* e = RUN_PROXY(rt, "bytearray()");
  b = get_buffer(e, NULL);
  ASSERT_EQ_INT(b.nbytes, 0);
  ASSERT_EQ_INT(b.shape[0], 0);
  pybuffer_release(&b);
  pyproxy_destroy(e);
  pyodide_destroy(rt);
}

TEST(buffer_reinterpret_types) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "import struct\nraw = bytearray(16)\nraw");
  pybuffer_t b = get_buffer(p, "u32");
  ASSERT_EQ_INT(b.itemsize, 4);
  ASSERT_EQ_INT(b.ndim, 1);
  ASSERT_EQ_INT(b.shape[0], 4);
  ASSERT_EQ_INT(b.nbytes, 16);
  ASSERT(b.format != NULL);
  ((uint32_t*)b.first)[1] = 0xDEADBEEFu;
  ASSERT(RUN_BOOL(rt, "int.from_bytes(raw[4:8], 'little') == 0xDEADBEEF"));
  pybuffer_release(&b);
  b = get_buffer(p, "f64");
  ASSERT_EQ_INT(b.itemsize, 8);
  ASSERT_EQ_INT(b.shape[0], 2);
  ((double*)b.first)[1] = 1.25;
  ASSERT(RUN_BOOL(rt, "struct.unpack('<d', raw[8:16])[0] == 1.25"));
  pybuffer_release(&b);
  static const struct {
    const char* type;
    size_t itemsize;
  } types[] = {{"i8", 1}, {"u8", 1}, {"u8clamped", 1}, {"i16", 2}, {"u16", 2}, {"i32", 4},
               {"u32", 4}, {"i64", 8}, {"u64", 8}, {"f32", 4}, {"f64", 8}, {"dataview", 1}};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    b = get_buffer(p, types[i].type);
    if (b.itemsize != types[i].itemsize) harness_note("type %s", types[i].type);
    ASSERT_EQ_INT(b.itemsize, types[i].itemsize);
    ASSERT_EQ_INT(b.shape[0] * (ptrdiff_t)b.itemsize, 16);
    pybuffer_release(&b);
  }
  /* Same item size: only the format changes, strides are kept. */
  pyproxy_t* rev = RUN_PROXY(rt, "memoryview(bytearray(range(4)))[::-1]");
  b = get_buffer(rev, "i8");
  ASSERT_EQ_INT(b.strides[0], -1);
  ASSERT_EQ_INT(((signed char*)b.first)[0], 3);
  pybuffer_release(&b);
  /* Impossible reinterpretations are USAGE errors; out untouched. */
  b = sentinel_buffer();
  ASSERT_USAGE(pyproxy_get_buffer(rev, "u16", &b)); /* not C-contiguous */
  pyproxy_t* six = RUN_PROXY(rt, "bytearray(6)");
  ASSERT_USAGE(pyproxy_get_buffer(six, "u32", &b)); /* not a whole number */
  pyproxy_t* odd = RUN_PROXY(rt, "memoryview(bytearray(16))[1:9]");
  ASSERT_USAGE(pyproxy_get_buffer(odd, "u32", &b)); /* misaligned */
  ASSERT_USAGE(pyproxy_get_buffer(p, "float128", &b));
  ASSERT_USAGE(pyproxy_get_buffer(p, "", &b));
  ASSERT_USAGE(pyproxy_get_buffer(p, "\xff", &b));
  ASSERT(is_sentinel_buffer(&b));
  pyproxy_destroy(odd);
  pyproxy_destroy(six);
  pyproxy_destroy(rev);
  pyproxy_destroy(p);
  pyodide_destroy(rt);
}

TEST(buffer_errors) {
  pyodide_t* rt = LOAD();
  pyproxy_t* d = RUN_PROXY(rt, "{}");
  pybuffer_t b = sentinel_buffer();
  ASSERT_PYERR(pyproxy_get_buffer(d, NULL, &b), "TypeError");
  ASSERT(is_sentinel_buffer(&b));
  pyproxy_t* ba = RUN_PROXY(rt, "bytearray(4)");
  ASSERT_USAGE(pyproxy_get_buffer(NULL, NULL, &b));
  ASSERT_USAGE(pyproxy_get_buffer(ba, NULL, NULL));
  pyproxy_t* gone = NULL;
  ASSERT_OK(pyproxy_copy(ba, &gone));
  pyproxy_destroy(gone);
  ASSERT_USAGE(pyproxy_get_buffer(gone, NULL, &b));
  ASSERT(is_sentinel_buffer(&b));
  pybuffer_release(NULL);
  pybuffer_t zero;
  memset(&zero, 0, sizeof zero);
  pybuffer_release(&zero);
  /* Double release. */
  b = get_buffer(ba, NULL);
  pybuffer_t copy = b;
  pybuffer_release(&b);
  pybuffer_release(&b);
  pybuffer_release(&copy); /* a stale copy of a released buffer: ignored */
  pyproxy_destroy(ba);
  pyproxy_destroy(d);
  pyodide_destroy(rt);
}

TEST(buffer_outlives_its_proxy) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "keep = bytearray(8)\nkeep");
  pybuffer_t b = get_buffer(p, NULL);
  pyproxy_destroy(p);
  ((char*)b.first)[3] = 'q';
  ASSERT(RUN_BOOL(rt, "keep[3] == ord('q')"));
  /* The exported object stays alive for the buffer, even unnamed in Python. */
  pyproxy_t* t = RUN_PROXY(rt, "bytearray(b'temp')");
  pybuffer_t tb = get_buffer(t, NULL);
  pyproxy_destroy(t);
  EXEC(rt, "import gc; gc.collect(); junk = [bytearray(64) for _ in range(10000)]");
  ASSERT_MEMEQ(tb.first, "temp", 4);
  pybuffer_release(&tb);
  pybuffer_release(&b);
  pyodide_destroy(rt);
}

TEST(buffer_survives_memory_growth) {
  /* Linear memory never moves: a held buffer stays valid while Python grows its heap. */
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "held = bytearray(4096)\nheld");
  pybuffer_t b = get_buffer(p, NULL);
  void* first = b.first;
  pyodide_stats_t s0;
  memset(&s0, 0, sizeof s0);
  s0.size = sizeof s0;
  ASSERT_OK(pyodide_stats(rt, &s0));
  EXEC(rt, "grow = [bytearray(16 * 1024 * 1024) for _ in range(16)]");
  pyodide_stats_t s1 = s0;
  ASSERT_OK(pyodide_stats(rt, &s1));
  ASSERT(s1.memory_bytes >= s0.memory_bytes + 200u * 1024 * 1024);
  ASSERT(b.first == first);
  ((unsigned char*)b.first)[100] = 42;
  ASSERT(RUN_BOOL(rt, "held[100] == 42"));
  EXEC(rt, "held[200] = 7");
  ASSERT_EQ_INT(((unsigned char*)b.first)[200], 7);
  /* A buffer taken after the growth is in the same memory. */
  pybuffer_t b2 = get_buffer(p, NULL);
  ASSERT(b2.first == b.first);
  pybuffer_release(&b2);
  pybuffer_release(&b);
  pyproxy_destroy(p);
  pyodide_destroy(rt);
}

TEST(buffer_release_after_runtime_destroyed) {
  pyodide_t* rt = LOAD();
  pyproxy_t* p = RUN_PROXY(rt, "bytearray(4)");
  pybuffer_t b = get_buffer(p, NULL);
  pyodide_destroy(rt);
  pybuffer_release(&b); /* harmless; the memory must not be touched */
  ASSERT(is_zero_buffer(&b));
  pybuffer_t again = sentinel_buffer();
  ASSERT_USAGE(pyproxy_get_buffer(p, NULL, &again));
  ASSERT(is_sentinel_buffer(&again));
  pyproxy_destroy(p);
}
