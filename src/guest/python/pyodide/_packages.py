"""What the package loaders (pyodide_load_package, micropip) share in Python."""


def invalidate_caches():
    """importlib.invalidate_caches(), except that the zip importers of the
    read-only /lib (the stdlib zip, which cannot change) are not made to
    re-read their archive's directory: that alone takes ~8 ms on its own, and
    far more once several zips are on sys.path."""
    import sys
    import zipimport
    from importlib import _bootstrap_external, machinery

    for name, finder in list(sys.path_importer_cache.items()):
        if finder is None or not name.startswith("/"):
            del sys.path_importer_cache[name]
        elif isinstance(finder, zipimport.zipimporter) and name.startswith("/lib/"):
            continue
        elif hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()
    _bootstrap_external._NamespacePath._epoch += 1
    for finder in sys.meta_path:
        if finder is not machinery.PathFinder and hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()
