# The library as the imported target `pyodide`, for this repository's own C
# projects (src/pyodide-run, native-tests, bench/c), from PYODIDE_ROOT (out/)
# and PYODIDE_INCLUDE. Programs outside the repository use the installed
# package instead (find_package(Pyodide), PyodideConfig.cmake.in).
#
# On Linux libpyodide.so: NO_SONAME makes CMake link it as -L<dir> -lpyodide,
# so a binary records "libpyodide.so" (found through its rpath) rather than an
# absolute path, whether or not the library carries a SONAME. On Windows
# (build.ps1) bin/pyodide.dll with its import library lib/pyodide.lib.
add_library(pyodide SHARED IMPORTED)
if(WIN32)
  set_target_properties(pyodide PROPERTIES
    IMPORTED_LOCATION "${PYODIDE_ROOT}/bin/pyodide.dll"
    IMPORTED_IMPLIB "${PYODIDE_ROOT}/lib/pyodide.lib"
    INTERFACE_INCLUDE_DIRECTORIES "${PYODIDE_INCLUDE}")
else()
  set_target_properties(pyodide PROPERTIES
    IMPORTED_LOCATION "${PYODIDE_ROOT}/lib/libpyodide.so"
    IMPORTED_NO_SONAME TRUE
    INTERFACE_INCLUDE_DIRECTORIES "${PYODIDE_INCLUDE}")
endif()
