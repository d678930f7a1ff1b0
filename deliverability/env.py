"""Typed readers for environment variables: a bad value stops start-up with a clear message."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class ConfigError(ValueError):
    """A configuration variable holds a value we cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, environ: Mapping[str, str] = os.environ) -> str | None:
    value = environ.get(name)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool = False, environ: Mapping[str, str] = os.environ) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}")


def env_int(name: str, default: int, environ: Mapping[str, str] = os.environ, minimum: int | None = None) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> list[str]:
    raw = environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_hostport(value: str, default_port: int = 53) -> tuple[str, int]:
    """'127.0.0.1:5353' → ('127.0.0.1', 5353); '[::1]:53' and bare hosts too."""
    text = value.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    if not host:
        raise ConfigError(f"{value!r} is not HOST or HOST:PORT")
    if port_text == "":
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"{value!r} has an invalid port (expected 1-65535)")
    return host, int(port_text)


def env_nameservers(name: str = "DNS_NAMESERVERS", environ: Mapping[str, str] = os.environ) -> list[str]:
    """Comma-separated HOST[:PORT] list, validated, normalised to 'host:port'."""
    result = []
    for item in env_list(name, environ=environ):
        try:
            host, port = parse_hostport(item)
        except ConfigError as exc:
            raise ConfigError(f"{name}: {exc}") from None
        result.append(f"{host}:{port}")
    return result


def parse_database_url(url: str) -> dict:
    """A DATABASE_URL → Django DATABASES entry. Supports postgres:// and sqlite:///."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("postgres", "postgresql", "pgsql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError(f"DATABASE_URL {url!r} names no database (postgres://user@host:port/NAME)")
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
        }
    if scheme == "sqlite":
        path = unquote(parts.path)
        if url.startswith("sqlite:////"):
            path = "/" + path.lstrip("/")
        elif path.startswith("/"):
            path = path[1:]
        if not path:
            raise ConfigError(f"DATABASE_URL {url!r} names no file (sqlite:///relative.db or sqlite:////abs/path.db)")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            # The embedded default has two writers (the web process and its task thread): WAL lets
            # readers go on during a write, IMMEDIATE transactions wait for the lock up front instead
            # of failing on an upgrade, and the timeout is how long they wait.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Tests use a file too: an in-memory shared-cache database locks whole tables and fails at
            # once (no busy wait) when the task thread and the live server write at the same time.
            "TEST": {"NAME": str(Path(path).with_name("test-" + Path(path).name))},
        }
    raise ConfigError(f"DATABASE_URL must start with postgres:// or sqlite:///, not {url!r}")


def env_database(name: str, default_url: str, environ: Mapping[str, str] = os.environ) -> dict:
    raw = environ.get(name) or default_url
    return parse_database_url(raw)
