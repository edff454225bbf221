"""The pins: requirements*.txt are what pip-compile makes of requirements*.in (`make lock`).

Checked offline, from the files and the installed packages' own metadata, so that a .in file
edited without `make lock` (or a pin edited by hand) fails here: each direct dependency is pinned
where its .in file allows, nothing else is pinned as direct, and the pins are exactly the
packages the direct ones need, each at a version they accept. `make lock-check` compiles afresh
against the package index instead.
"""

import re
from importlib import metadata

import pytest
from live import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

LOCKS = {"requirements.txt": "requirements.in", "requirements-dev.txt": "requirements-dev.in"}
# pip-compile leaves these out of a requirements file (its "unsafe" packages).
UNSAFE = {"pip", "setuptools", "distribute"}
PIN = re.compile(r"^(?P<name>[\w.-]+)==(?P<version>\S+)\s*(?:#\s*via\s+(?P<via>.*))?$")


def direct(in_file: str) -> dict[str, Requirement]:
    """The requirements an .in file names (its -c and -r lines are not requirements)."""
    found = {}
    for line in (ROOT / in_file).read_text().splitlines():
        text = line.split(" #")[0].strip()
        if text and not text.startswith(("#", "-")):
            requirement = Requirement(text)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def pins(lock: str) -> dict[str, tuple[Version, list[str]]]:
    """Each pinned package of a lock file: its version and what pip-compile says needs it."""
    found = {}
    for line in (ROOT / lock).read_text().splitlines():
        if match := PIN.match(line):
            via = [part.strip() for part in (match["via"] or "").split(",") if part.strip()]
            found[canonicalize_name(match["name"])] = (Version(match["version"]), via)
    return found


def needed(roots: dict[str, Requirement]) -> dict[str, list[Requirement]]:
    """Every package the roots need, read from the installed metadata, with what asks for it."""
    asked: dict[str, list[Requirement]] = {}
    extras: dict[str, set[str]] = {}
    todo = list(roots.values())
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        known = extras.get(name)
        asked.setdefault(name, []).append(requirement)
        if known is not None and set(requirement.extras) <= known:
            continue
        extras[name] = (known or set()) | set(requirement.extras)
        for text in metadata.distribution(name).requires or []:
            dependency = Requirement(text)
            wanted = {"", *extras[name]}
            if dependency.marker is None or any(
                dependency.marker.evaluate({"extra": extra}) for extra in wanted
            ):
                todo.append(dependency)
    return {name: found for name, found in asked.items() if name not in UNSAFE}


@pytest.mark.parametrize("lock", LOCKS)
def test_each_direct_dependency_is_pinned_where_its_in_file_allows(lock):
    pinned = pins(lock)
    source = f"-r {LOCKS[lock]}"
    wrong = {
        name: str(pinned[name][0]) if name in pinned else "not pinned"
        for name, requirement in direct(LOCKS[lock]).items()
        if name not in pinned
        or not requirement.specifier.contains(pinned[name][0], prereleases=True)
        or source not in pinned[name][1]
    }
    assert wrong == {}, "run `make lock`"
    marked_direct = {name for name, (_, via) in pinned.items() if source in via}
    assert marked_direct == set(direct(LOCKS[lock])), "run `make lock`"


@pytest.mark.parametrize("lock", LOCKS)
def test_the_pins_are_exactly_what_the_direct_dependencies_need(lock):
    pinned = pins(lock)
    installed = {name: Version(metadata.version(name)) for name in pinned}
    stale = {name: str(found) for name, found in installed.items() if found != pinned[name][0]}
    assert stale == {}, "the installed packages are not the pins: install them (`make test`)"
    wanted = needed(direct(LOCKS[lock]))
    assert sorted(wanted) == sorted(pinned), "run `make lock`"
    refused = {
        name: [str(requirement) for requirement in asked]
        for name, asked in wanted.items()
        if not all(r.specifier.contains(pinned[name][0], prereleases=True) for r in asked)
    }
    assert refused == {}


def test_the_tools_keep_every_runtime_pin():
    """What both sets need is pinned once: the dev set is compiled under the runtime pins."""
    runtime, tools = pins("requirements.txt"), pins("requirements-dev.txt")
    moved = {
        name: f"{runtime[name][0]} -> {version}"
        for name, (version, _) in tools.items()
        if name in runtime and runtime[name][0] != version
    }
    assert moved == {}
