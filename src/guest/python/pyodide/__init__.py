"""The ``pyodide`` package as seen from Python inside Pyodide.Native.

As in Pyodide, the Python-level logic of the host API lives here:
``eval_code`` gives ``pyodide_run_python`` its semantics and ``find_imports``
lists the modules a piece of code imports.
"""
from ._base import eval_code, find_imports

__all__ = ["eval_code", "find_imports"]
