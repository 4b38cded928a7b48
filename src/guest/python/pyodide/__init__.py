"""The ``pyodide`` package as seen from Python inside Pyodide.Native.

As in Pyodide, the Python-level logic of the host API lives here:
``eval_code`` gives ``pyodide_run_python`` its semantics, ``find_imports``
lists the modules a piece of code imports, and ``HostError`` is the base of
errors host functions report under a type name Python does not know.
"""
from ._base import eval_code, eval_code_async, find_imports
from ._host import HostError

__all__ = ["eval_code", "eval_code_async", "find_imports", "HostError"]
