"""Settings: production refuses weak secrets; development needs no setup."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import config as settings
from cashman import create_app
from config import (
    RATE_LIMITS,
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    development_secret,
    load_config,
)

ROOT = Path(__file__).resolve().parents[1]
STRONG = "s" * 32


@pytest.mark.parametrize("secret", [None, "", "short", "x" * 31])
def test_production_refuses_a_missing_or_weak_secret(secret):
    environ = {"CASHMAN_ENV": "production"}
    if secret is not None:
        environ["JWT_SECRET_KEY"] = secret
    with pytest.raises(ConfigError) as refused:
        load_config(environ)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("cashman: configuration error: set JWT_SECRET_KEY")


def test_production_accepts_a_32_byte_secret():
    config = load_config({"CASHMAN_ENV": "production", "JWT_SECRET_KEY": STRONG})
    assert isinstance(config, ProductionConfig)
    assert config.JWT_SECRET_KEY == STRONG
    assert config.TESTING is False


def test_production_refusal_is_one_line_on_the_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
        cwd=ROOT,
        env={"CASHMAN_ENV": "production", "JWT_SECRET_KEY": "weak", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 4  # config.APP_LOAD_ERROR, whoever loads wsgi.py
    assert result.stdout == ""
    assert result.stderr.startswith("cashman: configuration error: set JWT_SECRET_KEY")
    assert result.stderr.count("\n") == 1


def test_environment_selects_the_settings_class():
    assert isinstance(load_config({}), DevelopmentConfig)
    assert isinstance(load_config({"CASHMAN_ENV": "testing"}), settings.TestingConfig)
    with pytest.raises(ConfigError, match="CASHMAN_ENV must be one of"):
        load_config({"CASHMAN_ENV": "staging"})


def test_settings_are_read_from_the_environment():
    config = load_config(
        {
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "JWT_SECRET_KEY": STRONG,
            "JWT_ACCESS_TOKEN_EXPIRES": "60",
            "JWT_REFRESH_TOKEN_EXPIRES": "3600",
        }
    )
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"
    assert config.JWT_ACCESS_TOKEN_EXPIRES.total_seconds() == 60
    assert config.JWT_REFRESH_TOKEN_EXPIRES.total_seconds() == 3600


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db:5432/cash", "postgresql+psycopg://u:p@db:5432/cash"),
        ("postgresql://u@db/cash", "postgresql+psycopg://u@db/cash"),
        ("postgresql+psycopg://u@db/cash", "postgresql+psycopg://u@db/cash"),
        ("sqlite:////var/lib/cashman.db", "sqlite:////var/lib/cashman.db"),
        ("", "sqlite:///cashman.db"),
    ],
)
def test_database_urls_without_a_driver_use_psycopg_3(given, used):
    assert load_config({"DATABASE_URL": given}).SQLALCHEMY_DATABASE_URI == used


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", ""])
def test_token_lifetimes_must_be_positive_whole_seconds(value):
    with pytest.raises(ConfigError, match="JWT_ACCESS_TOKEN_EXPIRES must be a whole number"):
        load_config({"JWT_ACCESS_TOKEN_EXPIRES": value})


def test_defaults_are_sqlite_under_instance_and_standard_lifetimes():
    config = load_config({})
    assert config.SQLALCHEMY_DATABASE_URI == "sqlite:///cashman.db"
    assert config.JWT_ACCESS_TOKEN_EXPIRES.total_seconds() == 15 * 60
    assert config.JWT_REFRESH_TOKEN_EXPIRES.total_seconds() == 30 * 24 * 3600
    assert config.MAX_CONTENT_LENGTH == 1024 * 1024


def test_development_secret_is_generated_once_and_kept(tmp_path):
    first = development_secret(str(tmp_path / "instance"))
    assert len(first) >= 32
    assert development_secret(str(tmp_path / "instance")) == first
    secret_file = tmp_path / "instance" / "jwt-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["jwt-secret"]


def test_development_app_needs_no_setup(tmp_path):
    config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path}/dev.db"})
    app = create_app(config)
    assert app.config["JWT_SECRET_KEY"] == development_secret(app.instance_path)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/dev.db"


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    from cashman.database import db

    app = create_app(DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path}/dev.db"}))
    with app.app_context():
        connection = db.session.connection()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        db.session.close()
        db.engine.dispose()


def test_every_environment_variable_is_documented():
    """docs/configuration.md lists every variable config/ and gunicorn read."""
    sources = list((ROOT / "config").glob("*.py"))  # settings, the server's, gunicorn's
    read = set()
    for source in sources:
        read |= set(re.findall(r"environ(?:\.get)?[(\[]\s*[\"']([A-Z_]+)[\"']", source.read_text()))
        read |= set(re.findall(r"\b\w+\(\s*environ, \"([A-Z_]+)\"", source.read_text()))
    read |= set(RATE_LIMITS)
    documented = set(
        re.findall(r"^\| `([A-Z_]+)` \|", (ROOT / "docs" / "configuration.md").read_text(), re.M)
    )
    assert read - documented == set()
    assert {
        "DATABASE_URL",
        "JWT_ALGORITHM",
        "REDIS_URL",
        "CORS_ORIGINS",
        "PORT",
        "CLIENT_TIMEOUT",
    } <= read


def test_postgresql_connections_and_statements_are_bounded():
    config = ProductionConfig(
        {
            "JWT_SECRET_KEY": STRONG,
            "DATABASE_URL": "postgres://u@db/x",
            "DATABASE_CONNECT_TIMEOUT": "3",
            "DATABASE_STATEMENT_TIMEOUT": "4",
        }
    )
    assert config.SQLALCHEMY_ENGINE_OPTIONS == {
        "pool_timeout": 3,
        "connect_args": {
            "connect_timeout": 3,
            "options": "-c statement_timeout=4000",
            "keepalives": 1,
            "keepalives_idle": 1,
            "keepalives_interval": 1,
            "keepalives_count": 3,
            "tcp_user_timeout": 4000,
        },
    }
    assert config.DATABASE_STATEMENT_TIMEOUT == 4  # also the wait for any answer: see database.py
    default = ProductionConfig({"JWT_SECRET_KEY": STRONG, "DATABASE_URL": "postgres://u@db/x"})
    connect_args = default.SQLALCHEMY_ENGINE_OPTIONS["connect_args"]
    assert (connect_args["connect_timeout"], connect_args["options"]) == (
        5,
        "-c statement_timeout=5000",
    )
    # A SQLite file has no server whose restart could leave the pool's connections dead.
    assert ProductionConfig({"JWT_SECRET_KEY": STRONG}).SQLALCHEMY_ENGINE_OPTIONS == {
        "pool_timeout": 5,
    }


def test_redis_calls_time_out_well_under_a_second():
    shared = ProductionConfig({"JWT_SECRET_KEY": STRONG, "REDIS_URL": "redis://cache:6379/1"})
    assert shared.RATELIMIT_STORAGE_OPTIONS == {
        "shared": "redis://cache:6379/1",
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }
    quicker = ProductionConfig(
        {"JWT_SECRET_KEY": STRONG, "REDIS_URL": "redis://cache:6379/1", "REDIS_TIMEOUT_MS": "200"}
    )
    assert quicker.RATELIMIT_STORAGE_OPTIONS["socket_timeout"] == 0.2
    without = ProductionConfig({"JWT_SECRET_KEY": STRONG})  # the database: no timeouts of Redis'
    assert without.RATELIMIT_STORAGE_OPTIONS == {"shared": "database://"}
