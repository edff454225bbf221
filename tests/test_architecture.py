"""The shape of the code: small modules, no import cycles, and the database behind stores.

Read from the source with `ast`, so each rule holds for every module, including new ones.
"""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from live import ROOT

PACKAGE = ROOT / "cashman"
MAX_LINES = 250
# Only stores (and the models, migrations, errors and the factory) may touch the database.
NEVER_IMPORT_THE_DATABASE = ("cashman.resources", "cashman.tokens", "cashman.schemas")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for path in PACKAGE.rglob("*.py")
    if "migrations" not in path.relative_to(PACKAGE).parts
}


def imports_of(name: str) -> set[str]:
    """The cashman modules `name` imports, at any depth of its code (functions included)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = ".".join(filter(None, [base if node.level else "", node.module or ""]))
            found.add(module)
            # `from . import x` and `from .stores import users` name modules, too.
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return {module for module in found if module in MODULES and module != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def test_no_module_is_over_250_lines():
    sizes = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    config = {
        path.name: len(path.read_text().splitlines()) for path in (ROOT / "config").glob("*.py")
    }
    assert {name: n for name, n in {**sizes, **config}.items() if n > MAX_LINES} == {}


def test_there_are_no_import_cycles():
    """Every import points down: no module reaches itself through what it imports."""
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        for imported in sorted(GRAPH[name]):
            if imported in trail:
                cycles.append(" -> ".join([*trail[trail.index(imported) :], imported]))
            elif imported not in done:
                visit(imported, [*trail, imported])
        done.add(name)

    done: set[str] = set()
    for name in sorted(GRAPH):
        if name not in done:
            visit(name, [name])
    assert cycles == []


def test_resources_tokens_and_schemas_never_import_the_database():
    offenders = {
        name: sorted(GRAPH[name] & {"cashman.database"})
        for name in GRAPH
        if name.startswith(NEVER_IMPORT_THE_DATABASE)
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_architecture_page_names_every_module_and_only_real_ones():
    """docs/architecture.md stays true: each module is placed in a layer, none is invented."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    missing = []
    for path in MODULES.values():
        relative = path.relative_to(PACKAGE)
        if path.name != "__init__.py":
            named = f"`{path.name}`" in page or f"`{relative}`" in page
        elif relative.parent.parts:
            named = f"`{relative.parent}/`" in page
        else:
            named = "`cashman/__init__.py`" in page
        if not named:
            missing.append(str(relative))
    assert missing == []
    existing = {path.name for path in ROOT.rglob("*.py") if ".venv" not in path.parts}
    invented = {name for name in re.findall(r"`(?:[\w/]+/)?(\w+\.py)`", page)} - existing
    assert invented == set()


def test_a_server_on_sqlite_loads_neither_alembic_nor_psycopg(tmp_path):
    """What gunicorn loads (wsgi:app) leaves out `flask db`'s Alembic and PostgreSQL's driver:
    about 20 MB of every server's memory (docs/performance.md)."""
    settings = {"CASHMAN_ENV": "production", "JWT_SECRET_KEY": "s" * 40}
    settings["DATABASE_URL"] = f"sqlite:///{tmp_path / 'server.db'}"
    loaded = "import sys, wsgi; print([m for m in ('alembic', 'psycopg') if m in sys.modules])"
    server = subprocess.run(
        [sys.executable, "-c", loaded],
        cwd=ROOT,
        env={**os.environ, **settings},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert server.stdout.strip() == "[]"
