"""micropip for Pyodide.Native: installs pure-Python wheels from package indexes.

The names and arguments are Pyodide's (``install``, ``list``, ``freeze``,
``uninstall``, ``set_index_urls``). Resolution uses ``packaging`` (versions,
specifiers, markers, wheel tags) and ``resolvelib`` (backtracking), bundled
from Debian's packages. Python has no sockets here: every page and file is
fetched by the host through the ``_pyodide_micropip`` host module, which only
reaches the index URLs the host configured and files on the same hosts,
checks sizes and sha256 hashes, keeps downloads in the shared package cache
and installs atomically, as ``pyodide_load_package`` does.
"""
from ._install import install, set_index_urls
from ._installed import freeze, list, uninstall

__all__ = ["install", "list", "freeze", "uninstall", "set_index_urls"]
