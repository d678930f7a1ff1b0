"""Helpers for the format-reader tests: fixture paths and a reader that sorts what comes out."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deliverability.ingest import Record, RowError, read_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"


@dataclass
class Result:
    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    def types(self) -> Counter:
        return Counter(r.event_type for r in self.records)

    def by_email(self, email: str, event_type: str | None = None) -> Record:
        found = [r for r in self.records if r.email == email and (event_type is None or r.event_type == event_type)]
        assert len(found) == 1, f"{email} {event_type}: {found}"
        return found[0]


def read_all(path, fmt: str = "auto", mapping=None) -> Result:
    result = Result()
    for item in read_records(path, fmt, mapping, skipped=result.skipped):
        if isinstance(item, Record):
            result.records.append(item)
        else:
            assert isinstance(item, RowError), item
            result.errors.append(item)
    return result


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
