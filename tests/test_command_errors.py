"""Command-line errors: a clear message naming the user's own file, and a non-zero exit; no traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bounces.test_bad_input import DSN

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def manage(tmp_path):
    """`manage.py` in a subprocess on a fresh SQLite database (what a user runs), returning (code, stdout, stderr)."""
    database = tmp_path / "cli.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "1", "MEDIA_ROOT": str(tmp_path / "media")}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    def run(*args: str, **more_env: str):
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **more_env},
                              capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    return run


def test_analyze_a_missing_file(manage, tmp_path):
    code, out, err = manage("analyze", str(tmp_path / "missing.csv"))
    assert code != 0 and "Traceback" not in err
    assert f"{tmp_path / 'missing.csv'}: no such file or folder" in err


def test_analyze_an_empty_file_says_why_with_the_users_file_name(manage, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, out, err = manage("analyze", str(empty))
    assert code != 0 and "Traceback" not in err
    assert f"{empty}: The file 'empty.csv' is empty" in err


def test_analyze_refuses_a_file_over_the_upload_limit(manage, tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"email,status\n" + b"a@b.example,delivered\n" * 100)
    code, out, err = manage("analyze", str(big), UPLOAD_MAX_BYTES="1000")
    assert code != 0 and "big.csv is 2.2\xa0KB (2,213 bytes): larger than the limit of 1000\xa0bytes" in err


def test_classify_bounces_on_a_missing_file_exits_non_zero(manage, tmp_path):
    code, out, err = manage("classify_bounces", str(tmp_path / "missing.eml"))
    assert code != 0 and "Traceback" not in err
    assert f"{tmp_path / 'missing.eml'}: no such file or directory" in err
    assert out == ""


def test_classify_bounces_finds_no_bounce_in_a_plain_csv(manage, tmp_path):
    # Issue 16: the file was read, so the exit is 0; the reason is still said on standard error.
    plain = tmp_path / "results.csv"
    plain.write_text("email,status\nana@acme.example,bounced\n")
    code, out, err = manage("classify_bounces", str(plain))
    assert code == 0, err
    assert f"{plain}: not a bounce email" in err
    assert out == ""


def test_classify_bounces_prints_the_bounces_it_found_and_still_reports_the_bad_file(manage, tmp_path):
    good = tmp_path / "bounce.eml"
    good.write_bytes(DSN)
    code, out, err = manage("classify_bounces", str(good), str(tmp_path / "missing.eml"))
    assert code != 0
    assert '"recipient": "gone@example.org"' in out
    assert "missing.eml: no such file or directory" in err


def test_classify_bounces_on_a_folder_with_some_non_bounces_exits_zero(manage, tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "bounce.eml").write_bytes(DSN)
    (folder / "notes.txt").write_text("not a bounce")
    code, out, err = manage("classify_bounces", str(folder))
    assert code == 0, err
    assert '"recipient": "gone@example.org"' in out


def test_import_results_refuses_a_file_over_the_upload_limit_and_imports_the_others(manage, tmp_path):
    big, small = tmp_path / "big.csv", tmp_path / "small.csv"
    big.write_bytes(b"email,status\n" + b"a@b.example,delivered\n" * 100)
    small.write_bytes(b"email,status,campaign\nc@d.example,delivered,Small\n")
    code, out, err = manage("import_results", str(big), str(small), "--org", "acme", "--no-enrich",
                            UPLOAD_MAX_BYTES="1000")
    assert code != 0 and "Traceback" not in err
    assert f"{big}: FAILED — big.csv is 2.2\xa0KB (2,213 bytes): larger than the limit of 1000\xa0bytes" in out
    assert f"{small}: csv · 1 rows · 1 events" in out


def test_a_file_of_no_known_shape_is_named_as_the_user_named_it(manage, tmp_path):
    odd = tmp_path / "odd-export.json"
    odd.write_text('{"hello": "world"}')
    code, out, err = manage("import_results", str(odd), "--org", "acme", "--no-enrich")
    assert code != 0 and "Traceback" not in err
    assert "odd-export.json" in out.split("FAILED — ", 1)[1]
