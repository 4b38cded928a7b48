// The C++ idiom: RAII wrappers (pyodide.hpp) over the C ABI; errors are exceptions.
//
//   c++ -std=c++17 main.cpp -I<repo>/include -L<repo>/out/lib -lpyodide -Wl,-rpath,<repo>/out/lib
#include <cstdio>

#include "pyodide.hpp"

int main() {
  try {
    py::Runtime python;  // pyodide_load(NULL): every default; destroyed at the end of scope
    std::printf("6 * 7 = %lld\n", static_cast<long long>(python.run("6 * 7").to_int()));
    std::printf("%s\n", python.run("' '.join(['plain', 'values', 'arrive', 'by', 'value'])").to_string().c_str());

    // Other objects are proxies; a buffer is read in place, without copying.
    py::Proxy grid = python.run(
        "import array\n"
        "memoryview(array.array('i', range(6))).cast('B').cast('i', (2, 3))").to_proxy();
    {
      py::Buffer buf = grid.buffer();  // released before the proxy and the runtime
      for (ptrdiff_t i = 0; i < buf.shape(0); i++) {
        for (ptrdiff_t j = 0; j < buf.shape(1); j++) std::printf(" %d", buf.at<int32_t>(i, j));
        std::printf("\n");
      }
    }
    std::printf("len = %zu\n", grid.size());

    python.run("{}['missing']");  // a Python exception is thrown as py::Error
  } catch (const py::Error& e) {
    std::printf("caught %s (kind %d)\n", e.type.c_str(), static_cast<int>(e.kind));
    return 0;
  }
  return 1;
}
