"""Where the shared reference corpora are: the one way tests and benchmarks find them.

``SHARED_DIR`` (environment) names the folder holding ``data/`` (sisimai-dev, peers-dev,
smtp-field-manual) and ``research/``; without it, ``../shared`` next to the repository root, the
layout of the team's machines and of CI. No path of one machine is written anywhere else.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    configured = os.environ.get("SHARED_DIR")
    return Path(configured).expanduser().resolve() if configured else REPO_ROOT.parent / "shared"


def shared_data(*parts: str) -> Path:
    """A path under the shared ``data/`` folder, e.g. ``shared_data("sisimai-dev", "emails")``."""
    return shared_dir().joinpath("data", *parts)
