"""The environment helpers refuse bad values with a message that names the variable."""
import pytest

from deliverability.env import (
    ConfigError,
    env_bool,
    env_database,
    env_int,
    env_nameservers,
    parse_database_url,
)


def test_bool_accepts_common_spellings():
    assert env_bool("DEBUG", environ={"DEBUG": "Yes"}) is True
    assert env_bool("DEBUG", environ={"DEBUG": "0"}) is False
    assert env_bool("DEBUG", default=True, environ={}) is True


def test_bool_rejects_anything_else_naming_the_variable():
    with pytest.raises(ConfigError, match="DEBUG"):
        env_bool("DEBUG", environ={"DEBUG": "maybe"})


def test_int_rejects_words_and_values_below_minimum():
    with pytest.raises(ConfigError, match="DNS_CONCURRENCY must be a whole number"):
        env_int("DNS_CONCURRENCY", 100, environ={"DNS_CONCURRENCY": "lots"})
    with pytest.raises(ConfigError, match="at least 1"):
        env_int("DNS_CONCURRENCY", 100, environ={"DNS_CONCURRENCY": "0"}, minimum=1)


def test_database_url_postgres():
    db = parse_database_url("postgres://app:s%40cret@db.internal:6543/review")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == ("review", "app", "s@cret", "db.internal", "6543")


def test_database_url_sqlite_relative_and_absolute():
    assert parse_database_url("sqlite:///var/db.sqlite3")["NAME"] == "var/db.sqlite3"
    assert parse_database_url("sqlite:////tmp/x.db")["NAME"] == "/tmp/x.db"


def test_database_url_rejects_unknown_scheme_and_missing_name():
    with pytest.raises(ConfigError, match="postgres:// or sqlite:///"):
        parse_database_url("mysql://localhost/x")
    with pytest.raises(ConfigError, match="names no database"):
        parse_database_url("postgres://localhost")
    assert env_database("DATABASE_URL", "sqlite:///default.db", environ={})["NAME"] == "default.db"


def test_nameservers_normalised_and_validated():
    assert env_nameservers(environ={"DNS_NAMESERVERS": "127.0.0.1:5353, 10.0.0.2"}) == ["127.0.0.1:5353", "10.0.0.2:53"]
    with pytest.raises(ConfigError, match="DNS_NAMESERVERS"):
        env_nameservers(environ={"DNS_NAMESERVERS": "127.0.0.1:99999"})


def test_settings_refuse_to_start_without_secret_key_when_not_debugging(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    result = subprocess.run([sys.executable, "-c", "import deliverability.settings"], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_manage_py_reports_a_bad_setting_in_one_line_without_a_traceback():
    # A new user running a README command without DEBUG=1 or SECRET_KEY (fresh-eyes review, 5 Dec 2026).
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    result = subprocess.run([sys.executable, str(root / "manage.py"), "check"], env=env, cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Configuration error: SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for a generated development key)"]
