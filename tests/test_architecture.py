"""The shape of the code: small modules, and imports that follow the layers.

The import rules are import-linter contracts in pyproject.toml (`make lint` runs them too): the
layers of docs/architecture.md, nothing importing the factory, the settings importing nothing of
the app, the database touched only by stores, models and the error handlers, and no import
cycles. The rest is read from the source, so each rule holds for every module, new ones too.
"""

import fnmatch
import os
import re
import subprocess
import sys
from pathlib import Path

from importlinter.api import read_configuration
from live import ROOT

PACKAGE = ROOT / "cashman"
MAX_LINES = 250
# The modules the "database" contract lets import the database; it must name every other one.
DATABASE_OWNERS = ("cashman.database", "cashman.postgres", "cashman.errors")
DATABASE_OWNER_PACKAGES = ("cashman.stores", "cashman.models")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for path in PACKAGE.rglob("*.py")
    if "migrations" not in path.relative_to(PACKAGE).parts
}


def contract(contract_id: str) -> dict:
    """One contract's options as import-linter reads them from pyproject.toml."""
    options = read_configuration(str(ROOT / "pyproject.toml"))["contracts_options"]
    return next(found for found in options if found["id"] == contract_id)


def test_the_import_contracts_hold():
    """Each contract of pyproject.toml, checked by import-linter as `make lint` does."""
    checked = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 broken" in checked.stdout


def test_the_database_contract_names_every_module_but_its_owners():
    """A new module is held to "only stores and models touch the database" from its first day."""
    sources = contract("database")["source_modules"]
    # `x.**` names what is below x; as_packages is off, so x itself is named on its own.
    patterns = [source.replace("**", "*") for source in sources]
    unnamed = sorted(
        name
        for name in MODULES
        if name not in DATABASE_OWNERS
        and not name.startswith(tuple(f"{package}." for package in DATABASE_OWNER_PACKAGES))
        and name not in DATABASE_OWNER_PACKAGES
        and not any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
    )
    assert unnamed == []


def test_no_module_is_over_250_lines():
    sizes = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    config = {
        path.name: len(path.read_text().splitlines()) for path in (ROOT / "config").glob("*.py")
    }
    assert {name: n for name, n in {**sizes, **config}.items() if n > MAX_LINES} == {}


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
