"""The ``pyodide`` package as seen from Python inside Pyodide.Native.

As in Pyodide, the Python-level logic of the host API lives here:
``eval_code`` gives ``pyodide_run_python`` its semantics, ``find_imports``
lists the modules a piece of code imports, ``HostError`` is the base of
errors host functions report under a type name Python does not know, and
``HostObject`` the base type of the host's own objects (JsProxy's
counterpart: each host class is a subclass).
"""
from _pyodide_core import HostObject

from ._base import eval_code, eval_code_async, find_imports
from ._host import HostError

__all__ = ["eval_code", "eval_code_async", "find_imports", "HostError", "HostObject"]
