// pyodide.hpp — RAII wrappers over the C ABI (include/pyodide.h), in one header.
// Errors become exceptions; runtimes, values, proxies and buffers free themselves.
#pragma once
#include <pyodide.h>
#include <stdexcept>
#include <string>
#include <utility>

namespace py {  // ("pyodide" is taken: pyodide.h declares struct pyodide)

struct Error : std::runtime_error {  // a pyodide_error_t: kind, type ("KeyError"), message
  pyodide_error_kind_t kind;
  std::string type;
  explicit Error(pyodide_error_t* e)
      : std::runtime_error(pyodide_error_message(e)), kind(pyodide_error_kind(e)), type(pyodide_error_type(e)) {
    pyodide_error_delete(e);
  }
};
inline void check(pyodide_error_t* e) { if (e) throw Error(e); }

template <class T, void (*Free)(T*)> struct Owned {  // move-only owner of one C object
  T raw{};
  Owned() = default;
  Owned(Owned&& o) noexcept : raw(std::exchange(o.raw, T{})) {}
  Owned& operator=(Owned o) noexcept { std::swap(raw, o.raw); return *this; }
  ~Owned() { Free(&raw); }
};
inline void free_runtime(pyodide_t** p) { pyodide_destroy(*p); }
inline void free_proxy(pyproxy_t** p) { pyproxy_destroy(*p); }

struct Buffer : Owned<pybuffer_t, pybuffer_release> {  // zero-copy view: valid while held
  ptrdiff_t shape(size_t d) const { return raw.shape[d]; }
  template <class T> T& at(ptrdiff_t i, ptrdiff_t j) const {  // element [i][j] of a 2-D buffer
    if (sizeof(T) != raw.itemsize || raw.ndim != 2) throw std::invalid_argument("not a 2-D buffer of T");
    return *reinterpret_cast<T*>(static_cast<char*>(raw.first) + i * raw.byte_strides[0] + j * raw.byte_strides[1]);
  }
};

struct Proxy : Owned<pyproxy_t*, free_proxy> {  // a Python object
  Buffer buffer() const { Buffer b; check(pyproxy_get_buffer(raw, nullptr, &b.raw)); return b; }
  size_t size() const { size_t n; check(pyproxy_length(raw, &n)); return n; }
};

struct Value : Owned<pyodide_value_t, pyodide_value_release> {  // a result: a plain value or a proxy
  int64_t to_int() const { expect(PYODIDE_INT); return raw.of.i; }
  std::string to_string() const { expect(PYODIDE_STR); return {raw.of.str.ptr, raw.of.str.len}; }
  Proxy to_proxy() { expect(PYODIDE_PROXY); Proxy p; p.raw = std::exchange(raw, pyodide_value_t{}).of.proxy; return p; }
  void expect(pyodide_kind_t k) const { if (raw.kind != k) throw std::invalid_argument("unexpected value kind"); }
};

struct Runtime : Owned<pyodide_t*, free_runtime> {  // one interpreter
  explicit Runtime(const pyodide_config_t* config = nullptr) { check(pyodide_load(config, &raw)); }
  Value run(const std::string& code) const {
    Value v; check(pyodide_run_python(raw, code.data(), code.size(), nullptr, &v.raw)); return v;
  }
};

}  // namespace py
