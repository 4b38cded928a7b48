"""micropip.install: resolve with resolvelib, then have the host install."""
import json

import _pyodide_micropip as _host
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from resolvelib import AbstractProvider, BaseReporter, Resolver
from resolvelib.resolvers import ResolutionImpossible, ResolutionTooDeep

from ._index import Candidate, Finder
from ._installed import installed_distributions, uninstall

# None until set_index_urls: the host's configured indexes.
_index_urls = None


def set_index_urls(urls):
    """Chooses the indexes later installs use, in order (a str is one URL).
    Each must be one of the index URLs the host configured, or lie under one:
    Python cannot point the host anywhere else."""
    global _index_urls
    if isinstance(urls, str):
        urls = [urls]
    urls = [str(u) for u in urls]
    _host.check_index_urls(json.dumps(urls))
    _index_urls = urls


def _identify(name, extras):
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


class _Provider(AbstractProvider):
    def __init__(self, finder, installed, *, pre, deps, reinstall, constraints):
        self.finder = finder
        self.installed = installed
        self.pre = pre
        self.deps = deps
        self.reinstall = reinstall
        self.constraints = constraints

    def identify(self, requirement_or_candidate):
        r = requirement_or_candidate
        return _identify(canonicalize_name(r.name), r.extras)

    def get_preference(self, identifier, resolutions, candidates, information, backtrack_causes):
        # Fewest choices first: conflicts surface early, backtracking stays short.
        return sum(1 for _ in candidates[identifier])

    def find_matches(self, identifier, requirements, incompatibilities):
        name = identifier.split("[", 1)[0]
        extras = frozenset(e for r in requirements[identifier] for e in r.extras)
        specifier = SpecifierSet()
        for r in requirements[identifier]:
            specifier &= r.specifier
        specifier &= self.constraints.get(name, SpecifierSet())
        excluded = {c.version for c in incompatibilities[identifier]}
        prereleases = True if self.pre else None

        def fits(c):
            return c.version not in excluded and specifier.contains(c.version, prereleases=prereleases)

        found = sorted((c for c in self.finder.candidates(name) if fits(c)), key=lambda c: c.version, reverse=True)
        have = self.installed.get(name)
        if have is not None and not self.reinstall and fits(have):
            found = [have] + [c for c in found if c.version != have.version]
        return [c.with_extras(extras) for c in found]

    def is_satisfied_by(self, requirement, candidate):
        return (canonicalize_name(requirement.name) == candidate.name
                and requirement.specifier.contains(candidate.version, prereleases=True))

    def get_dependencies(self, candidate):
        if not self.deps and not candidate.extras:
            return []
        return Finder.dependencies(candidate)


def _conflict_message(error, finder):
    def described(cause):
        parent = cause.parent
        return f"{cause.requirement} (required by {parent.name} {parent.version})" if parent else str(cause.requirement)

    names = {canonicalize_name(c.requirement.name) for c in error.causes}
    reasons = [r for n in sorted(names) for r in finder.rejected.get(n, [])]
    if not any(finder.candidates(n) for n in names):
        head = "Can't find a pure Python 3 wheel for: " + ", ".join(f"'{described(c)}'" for c in error.causes)
    else:
        head = "Cannot install: the requirements conflict: " + "; ".join(described(c) for c in error.causes)
    return "\n".join([head] + [f"  {r}" for r in reasons])


def _parse(requirements, what):
    parsed = []
    for text in requirements:
        try:
            parsed.append(Requirement(text))
        except InvalidRequirement as e:
            raise ValueError(f"{what} {text!r} is not a valid requirement: {e}") from None
    return parsed


def _resolve(requirements, *, deps, pre, index_urls, constraints, reinstall, keep_going):
    finder = Finder(index_urls)
    installed = installed_distributions()
    wanted = [r for r in requirements if r.marker is None or r.marker.evaluate()]
    limits = {}
    for c in constraints:
        name = canonicalize_name(c.name)
        limits[name] = limits.get(name, SpecifierSet()) & c.specifier
    if keep_going:
        # Report every requirement that has no usable wheel at all, not just the first.
        missing = [r for r in wanted if not finder.candidates(canonicalize_name(r.name))
                   and canonicalize_name(r.name) not in installed]
        if missing:
            raise ValueError("\n".join(
                f"Can't find a pure Python 3 wheel for: '{r}'"
                + "".join(f"\n  {why}" for why in finder.rejected.get(canonicalize_name(r.name), []))
                for r in missing))
    provider = _Provider(finder, installed, pre=pre, deps=deps, reinstall=reinstall, constraints=limits)
    try:
        result = Resolver(provider, BaseReporter()).resolve(wanted, max_rounds=2000)
    except ResolutionImpossible as e:
        raise ValueError(_conflict_message(e, finder)) from None
    except ResolutionTooDeep:
        raise ValueError("Cannot install: the resolver gave up after too many rounds of backtracking") from None
    return [c for c in result.mapping.values() if not c.extras]


async def install(requirements, keep_going=False, deps=True, credentials=None, pre=False,
                  index_urls=None, constraints=None, reinstall=False):
    """Installs ``requirements`` (a requirement string or a list of them, PEP 508)
    and, with ``deps``, what they require, as Pyodide's micropip.install.

    Versions come from the host's lock-file index first, then from the indexes
    (``index_urls``, else those of set_index_urls, else the host's). ``pre``
    admits pre-releases; ``constraints`` (requirement strings) limit versions
    without asking for the packages; ``reinstall`` replaces installed
    versions; ``keep_going`` reports every requirement without a wheel at once.
    ``credentials`` is accepted for compatibility: the host sends none.
    Raises ValueError when nothing can be resolved, OSError when a file
    cannot be fetched, checked or installed; nothing is installed then,
    except that a package being replaced by another version has already
    been uninstalled when its successor fails to install."""
    if isinstance(requirements, str):
        requirements = [requirements]
    if credentials not in (None, "omit", "same-origin", "include"):
        raise ValueError(f"credentials must be None, 'omit', 'same-origin' or 'include', not {credentials!r}")
    if isinstance(index_urls, str):
        index_urls = [index_urls]
    if index_urls is not None:
        _host.check_index_urls(json.dumps([str(u) for u in index_urls]))
    else:
        index_urls = _index_urls if _index_urls is not None else json.loads(_host.index_urls())
    chosen = _resolve(_parse(requirements, "requirement"), deps=deps, pre=pre, index_urls=list(index_urls),
                      constraints=_parse(constraints or [], "constraint"), reinstall=reinstall,
                      keep_going=keep_going)
    plan = [c for c in chosen if c.source != "installed"]
    if not plan:
        _host.message("No new packages to install")
        return
    installed = installed_distributions()
    uninstall([c.name for c in plan if c.name in installed])
    _host.install(json.dumps([
        {"name": c.name, "version": str(c.version), "lock": c.source == "lock", "index": c.index,
         "url": c.url, "sha256": c.sha256}
        for c in plan]))


def _install_now(requirements):
    """install() run to completion at once (nothing in it waits on the event
    loop): pyodide_install's entry point."""
    coroutine = install(list(requirements))
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("micropip.install unexpectedly waited on the event loop")
