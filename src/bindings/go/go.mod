module pyodide.native/pyodide

go 1.19
