"""Candidates: the wheels an index offers for a project, and their metadata.

A project's files come from the host's lock-file index when it has the name
(that index keeps priority), else from the first configured index that knows
the project: a PEP 691 JSON page, a PEP 503 HTML page, or a plain directory
listing of wheels. Files this interpreter cannot use are set aside with the
reason, so an error can say why nothing matched.
"""
import json
import sys
from email.parser import HeaderParser
from html.parser import HTMLParser
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import _pyodide_micropip as _host
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import compatible_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

PYTHON_VERSION = Version(".".join(map(str, sys.version_info[:3])))
_INTERPRETER = f"cp{sys.version_info[0]}{sys.version_info[1]}"
# Pure-Python tags only (py311-none-any, py3-none-any, cp311-none-any, ...):
# compiled code cannot run in this WebAssembly interpreter.
_COMPATIBLE = frozenset(compatible_tags(sys.version_info[:2], _INTERPRETER, ["any"]))
_JSON_TYPE = "application/vnd.pypi.simple.v1+json"


class Candidate:
    """One version of a project: a wheel of an index, an entry of the lock-file
    index, or the distribution already installed. ``extras`` makes it the
    candidate of ``name[extras]``, whose dependencies add the extras' ones."""

    def __init__(self, name, version, *, source, url=None, sha256=None, index=None,
                 filename=None, depends=None, extras=frozenset()):
        self.name = name
        self.version = version
        self.source = source  # "index", "lock" or "installed"
        self.url = url
        self.sha256 = sha256
        self.index = index
        self.filename = filename
        self.depends = depends  # Requirements, once known
        self.extras = extras

    def with_extras(self, extras):
        if not extras:
            return self
        twin = Candidate(self.name, self.version, source=self.source, url=self.url, sha256=self.sha256,
                         index=self.index, filename=self.filename, depends=self.depends, extras=extras)
        twin._base = self
        return twin

    def __repr__(self):
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras} {self.version}"


class _Links(HTMLParser):
    """The anchors of a PEP 503 page or a directory listing."""

    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            attrs = dict(attrs)
            if attrs.get("href"):
                self.links.append(attrs)


def _files(page):
    """A project page as PEP 691 file dicts (filename, url, hashes,
    requires-python, yanked), URLs made absolute against the page's URL."""
    base = page["url"]
    if _JSON_TYPE in page["content_type"]:
        try:
            files = json.loads(page["body"])["files"]
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"the index page {base} is not PEP 691 JSON: {e}") from None
        return [dict(f, url=urljoin(base, f["url"])) for f in files if isinstance(f, dict) and "url" in f]
    parser = _Links()
    parser.feed(page["body"])
    files = []
    for attrs in parser.links:
        url, fragment = urldefrag(urljoin(base, attrs["href"]))
        algorithm, _, digest = fragment.partition("=")
        yanked = attrs.get("data-yanked")
        files.append({
            "filename": unquote(urlsplit(url).path.rsplit("/", 1)[-1]),
            "url": url,
            "hashes": {algorithm: digest} if algorithm == "sha256" else {},
            "requires-python": attrs.get("data-requires-python"),
            "yanked": yanked if yanked else yanked is not None,
        })
    return files


class Finder:
    """The candidates of each project, fetched once per install."""

    def __init__(self, index_urls):
        self.index_urls = index_urls
        self.rejected = {}  # name -> reasons files were set aside
        self._cache = {}

    def candidates(self, name):
        if name not in self._cache:
            self._cache[name] = self._find(name)
        return self._cache[name]

    def _find(self, name):
        entry = json.loads(_host.lock_entry(name))
        if entry is not None:
            return [Candidate(name, Version(entry["version"]), source="lock", filename=entry["file_name"],
                              depends=[Requirement(d) for d in entry["depends"]])]
        for index in self.index_urls:
            page = json.loads(_host.project(index, name))
            if page is None:
                continue
            found = [c for f in _files(page) if (c := self._candidate(name, index, f, page["flat"])) is not None]
            if found or name in self.rejected:
                return found
        return []

    def _reject(self, name, reason):
        self.rejected.setdefault(name, []).append(reason)

    def _candidate(self, name, index, file, flat):
        filename = file.get("filename") or ""
        if not filename.endswith(".whl"):
            return None  # source distributions and other files: only wheels install here
        try:
            project, version, _, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            self._reject(name, f"{filename} is not a valid wheel file name")
            return None
        if project != name:
            if flat:
                return None  # a listing of every project's files
            self._reject(name, f"{filename} is listed for {name} but names the project {project}")
            return None
        if file.get("yanked"):
            reason = file["yanked"] if isinstance(file["yanked"], str) else "no reason given"
            self._reject(name, f"{filename} is yanked ({reason})")
            return None
        requires_python = file.get("requires-python")
        if requires_python:
            try:
                if not SpecifierSet(requires_python).contains(PYTHON_VERSION, prereleases=True):
                    self._reject(name, f"{filename} requires Python {requires_python}, this is {PYTHON_VERSION}")
                    return None
            except InvalidSpecifier:
                self._reject(name, f"{filename} has an invalid Requires-Python '{requires_python}'")
                return None
        if not tags & _COMPATIBLE:
            built = ", ".join(sorted(str(t) for t in tags))
            self._reject(name, f"{filename} is built for {built}: a platform wheel, which cannot run in this "
                               "WebAssembly interpreter (only pure-Python wheels such as py3-none-any install)")
            return None
        sha256 = (file.get("hashes") or {}).get("sha256")
        return Candidate(name, version, source="index", url=file["url"], sha256=sha256, index=index,
                         filename=filename)

    @staticmethod
    def dependencies(candidate):
        """The candidate's requirements, for its extras, with markers evaluated
        for this interpreter. Index candidates' metadata comes from their wheel,
        which the host downloads (checked, cached) for the purpose."""
        base = getattr(candidate, "_base", candidate)
        if base.depends is None:
            base.depends = _wheel_requirements(base)
        reqs = []
        if candidate.extras:
            reqs.append(Requirement(f"{candidate.name}=={candidate.version}"))
        for req in base.depends:
            in_base = req.marker is None or req.marker.evaluate({"extra": ""})
            if not candidate.extras:
                if in_base:
                    reqs.append(req)
            elif not in_base and any(req.marker.evaluate({"extra": e}) for e in candidate.extras):
                reqs.append(req)
        return reqs


def _wheel_requirements(candidate):
    text = _host.metadata(candidate.index, candidate.url, candidate.sha256 or "", candidate.name)
    metadata = HeaderParser().parsestr(text)
    named = canonicalize_name(metadata.get("Name", ""))
    if named != candidate.name:
        raise ValueError(f"{candidate.filename}: its metadata names the project '{metadata.get('Name')}', "
                         f"not {candidate.name}")
    requires_python = metadata.get("Requires-Python")
    if requires_python and not SpecifierSet(requires_python).contains(PYTHON_VERSION, prereleases=True):
        raise ValueError(f"{candidate.filename} requires Python {requires_python}, this is {PYTHON_VERSION}")
    return [Requirement(r) for r in metadata.get_all("Requires-Dist") or []]
