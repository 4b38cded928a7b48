"""What is installed in site-packages: micropip.list, freeze and uninstall."""
import json
import os
import platform
import shutil
from importlib.metadata import distributions

import _pyodide_micropip as _host
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from pyodide._packages import invalidate_caches

SITE_PACKAGES = "/home/pyodide/site-packages"


def _distributions():
    """Normalized name -> importlib.metadata Distribution, for site-packages."""
    found = {}
    for dist in distributions(path=[SITE_PACKAGES]):
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), dist)
    return found


def installed_distributions():
    """Normalized name -> a Candidate for each installed distribution."""
    from ._index import Candidate

    found = {}
    for name, dist in _distributions().items():
        try:
            version = Version(dist.version)
        except InvalidVersion:
            continue
        found[name] = Candidate(name, version, source="installed",
                                depends=[Requirement(r) for r in dist.requires or []])
    return found


class PackageMetadata:
    """One installed package, as Pyodide's micropip.list shows it."""

    def __init__(self, name, version, source):
        self.name = name
        self.version = version
        self.source = source

    def __repr__(self):
        return f"PackageMetadata(name={self.name!r}, version={self.version!r}, source={self.source!r})"


class PackageDict(dict):
    """Name -> PackageMetadata, printed as a table."""

    def __repr__(self):
        rows = [("Name", "Version", "Source")] + [(p.name, p.version, p.source) for p in self.values()]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def list():
    """The installed packages: PackageDict of name -> PackageMetadata(name,
    version, source); the source is where the host fetched the wheel from."""
    sources = json.loads(_host.installed())
    result = PackageDict()
    for name, dist in sorted(_distributions().items()):
        record = sources.get(name)
        result[name] = PackageMetadata(dist.metadata["Name"], dist.version, record["source"] if record else "unknown")
    return result


def _imports(dist):
    top_level = dist.read_text("top_level.txt")
    if top_level:
        return sorted({line.strip() for line in top_level.splitlines() if line.strip()})
    names = set()
    for f in dist.files or []:
        first = f.parts[0]
        if first.endswith((".dist-info", ".data")) or first == "..":
            continue
        if len(f.parts) > 1 or first.endswith(".py"):
            names.add(first[:-3] if len(f.parts) == 1 else first)
    return sorted(names)


def freeze():
    """A pyodide-lock.json (as a str) of the installed packages the host
    installed, with their sources, hashes, dependencies and import names:
    pyodide_load_package loads from it later (config index_url)."""
    sources = json.loads(_host.installed())
    dists = {name: d for name, d in _distributions().items() if name in sources}
    packages = {}
    for name, dist in sorted(dists.items()):
        depends = set()
        for text in dist.requires or []:
            req = Requirement(text)
            dep = canonicalize_name(req.name)
            if dep in dists and (req.marker is None or req.marker.evaluate({"extra": ""})):
                depends.add(dep)
        packages[name] = {
            "name": dist.metadata["Name"],
            "version": dist.version,
            "file_name": sources[name]["source"],
            "install_dir": "site",
            "sha256": sources[name]["sha256"],
            "package_type": "package",
            "imports": _imports(dist),
            "depends": sorted(depends),
        }
    info = {"arch": "wasm32", "platform": "wasi", "python": platform.python_version()}
    return json.dumps({"info": info, "packages": packages}, indent=2, sort_keys=True)


def uninstall(names):
    """Removes installed packages (a name or a list): the files their RECORD
    lists, then their metadata. Modules already imported stay imported.
    Names that are not installed are reported, not raised."""
    if isinstance(names, str):
        names = [names]
    dists = _distributions()
    root = os.path.realpath(SITE_PACKAGES) + os.sep
    removed = False
    for raw in names:
        name = canonicalize_name(raw)
        dist = dists.get(name)
        if dist is None:
            _host.message(f"Skipping '{raw}' as it is not installed.")
            continue
        directories = set()
        for f in dist.files or []:
            path = os.path.realpath(os.path.join(SITE_PACKAGES, f))
            if not path.startswith(root):
                continue  # a RECORD naming files outside site-packages: not ours to delete
            if os.path.isfile(path) or os.path.islink(path):
                os.remove(path)
            directories.add(os.path.dirname(path))
        info_dir = os.path.realpath(str(dist._path))
        if info_dir.startswith(root):
            shutil.rmtree(info_dir, ignore_errors=True)
        for d in sorted(directories, key=len, reverse=True):
            while d.startswith(root) and os.path.isdir(d):
                pycache = os.path.join(d, "__pycache__")
                if os.path.isdir(pycache):
                    shutil.rmtree(pycache, ignore_errors=True)
                if os.listdir(d):
                    break
                os.rmdir(d)
                d = os.path.dirname(d)
        _host.forget(name)
        _host.message(f"Uninstalled {dist.metadata['Name']}-{dist.version}")
        removed = True
    if removed:
        invalidate_caches()
