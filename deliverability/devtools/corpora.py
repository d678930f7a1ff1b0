"""Where the shared reference corpora are: the one way tests and benchmarks find them.

``SHARED_DIR`` (environment) names the folder holding ``data/`` (sisimai-dev, peers-dev,
smtp-field-manual) and ``research/``; without it, ``../shared`` next to the repository root, the
layout of the team's machines, or, for a clone made elsewhere (CI clones the checkout into a
temporary folder), ``../shared`` next to the checkout it was cloned from. No path of one machine is
written anywhere.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    configured = os.environ.get("SHARED_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    beside = REPO_ROOT.parent / "shared"
    if not beside.is_dir():  # a clone made elsewhere (CI clones the checkout): the folder beside its origin
        origin = _local_origin()
        if origin is not None and (origin.parent / "shared").is_dir():
            return origin.parent / "shared"
    return beside


def _local_origin() -> Path | None:
    """The checkout this repository was cloned from, when that is a folder on this machine."""
    try:
        url = subprocess.run(["git", "-C", str(REPO_ROOT), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not url or "://" in url or url.startswith("git@") or ":" in url.split("/")[0]:
        return None
    path = Path(url.removeprefix("file://")).expanduser()
    return path.resolve() if path.is_dir() else None


def shared_data(*parts: str) -> Path:
    """A path under the shared ``data/`` folder, e.g. ``shared_data("sisimai-dev", "emails")``."""
    return shared_dir().joinpath("data", *parts)
