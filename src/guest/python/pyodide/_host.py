"""Host modules: what pyodide_register_module makes importable.

As Pyodide's registerJsModule: ``import name`` finds a registered module
after the standard library has had its say (the finder is appended to
``sys.meta_path``); unregistering makes later imports fail, while a module
already imported stays in ``sys.modules`` until the user deletes it.
"""
import builtins
import sys

import _pyodide_core

_modules = {}
_error_classes = {}
# In a copy of a saved runtime: the saving host's modules, which the copy's
# host registers again under the same names (their old functions are dead).
_saved = {}


class HostError(Exception):
    """Raised for an error a host function reported under a type name that is
    not a Python exception; its class is named after that type."""


class _Loader:
    def __init__(self, module):
        self._module = module

    def create_module(self, spec):
        return self._module

    def exec_module(self, module):
        pass


class _Finder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        module = _modules.get(name)
        if module is None and _pyodide_core.host_module_wanted(name):
            # A module the host registers when first imported: registered now.
            module = _modules.get(name)
        if module is None:
            return None
        from importlib.machinery import ModuleSpec

        return ModuleSpec(name, _Loader(module))


def install():
    """At start-up (the bridge's setup): the finder is there before anything is
    registered, as the host registers some modules at their first import."""
    if _Finder not in sys.meta_path:
        sys.meta_path.append(_Finder)


def register(name):
    """A new, empty module importable as ``name``."""
    if not name or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"{name!r} is not a valid module name")
    if name in _modules:
        raise ValueError(f"a host module named {name!r} is already registered")
    module = _saved.pop(name, None)
    if module is not None:
        # The same module object, so code that imported it sees the new
        # functions; the saving host's functions are gone.
        for attr in [a for a in vars(module) if not (a.startswith("__") and a.endswith("__"))]:
            delattr(module, attr)
        _modules[name] = module
        return module
    import types

    module = types.ModuleType(name, "A module of the host program.")
    # A package, so that host modules named "pkg.sub" import under "pkg".
    module.__path__ = []
    _modules[name] = module
    install()
    return module


def unregister(name):
    if _modules.pop(name, None) is None:
        raise ValueError(f"no host module named {name!r} is registered")


def snapshot_restored():
    """In a copy of a saved runtime: nothing is registered until the copy's
    host registers it (bridge/snapshot.c)."""
    _saved.update(_modules)
    _modules.clear()


def error_class(name):
    """The exception class for a host error of type ``name``: the builtin
    exception of that name, else a HostError subclass named after it."""
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, BaseException):
        return cls
    cls = _error_classes.get(name)
    if cls is None:
        cls = type(name if name.isidentifier() else "HostError", (HostError,), {"__module__": "pyodide"})
        _error_classes[name] = cls
    return cls
