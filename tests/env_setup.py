"""Loaded by pytest before Django (see pyproject addopts): the test process's environment.
"""
import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="deliverability-media-"))
os.environ.setdefault("DNS_TIMEOUT_MS", "300")
# The SQLite test database is a file next to the default one (see env.parse_database_url).
os.makedirs(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "var"), exist_ok=True)
