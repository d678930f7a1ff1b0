"""python manage.py classify_bounces PATH [PATH …] | --text "550 5.1.1 …" | -   (JSON lines on stdout).

A file named on the command line that is missing or cannot be read is an error: a message naming it
on standard error and a non-zero exit once every path was read. A file that was read but holds no
bounce is said on standard error and the exit stays 0 (the command read what it was given). Inside a
folder, files without a bounce are reported as rows (a folder of mail is expected to hold some).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from deliverability.bounces.reading import parse_message
from deliverability.bounces.report import record_row, rows_for_paths, text_row
from deliverability.bounces.sources import iter_messages


class Command(BaseCommand):
    help = "Parse bounce emails (.eml, mbox, directory, zip) and print one classified JSON object per recipient."
    # Reads files and prints JSON: no database, no URLs. The system checks (which import every URLconf)
    # would only add start-up time and fail the command for an unrelated configuration problem.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="files, directories or zips; '-' reads JSON lines from stdin")
        parser.add_argument("--text", help="classify one diagnostic text instead of files")
        parser.add_argument("--no-progress", action="store_true", help="no progress line on standard error")

    def handle(self, *args, **options):
        out = self.stdout._out if hasattr(self.stdout, "_out") else sys.stdout
        if options["text"] is not None:
            self._emit(out, text_row(options["text"]))
            return
        paths = options["paths"]
        if not paths:
            raise CommandError("give at least one PATH, '-' or --text")
        progress = _Progress(enabled=not options["no_progress"])
        problems: list[str] = []  # inputs that could not be read: a non-zero exit
        notes: list[str] = []  # inputs read that hold no bounce: said, exit 0
        # One encoder for the run (json.dumps with options builds a new one per call) and writes in
        # batches: the output path costs a small share of the reading, not a per-row flush.
        encode = _ENCODER.encode
        pending: list[str] = []
        for path in paths:
            if path == "-":
                rows = self._stdin_rows()
            elif Path(path).is_dir():
                rows = rows_for_paths([path])
            else:
                rows = self._file_rows(path, problems, notes)
            for row in rows:
                pending.append(encode(row))
                if len(pending) >= _BATCH:
                    pending.append("")
                    out.write("\n".join(pending))
                    pending.clear()
                if progress.enabled:
                    progress.tick(row["source"])
        if pending:
            pending.append("")
            out.write("\n".join(pending))
        out.flush()
        progress.done()
        for note in notes:
            self.stderr.write(note)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} of the {len(paths)} paths named could not be read (see above)")

    @staticmethod
    def _file_rows(path: str, problems: list[str], notes: list[str]):
        """The rows of one named file; a file that cannot be read adds a problem, one with no bounce a note."""
        found = unreadable = False
        reasons = []
        for source, data, error in iter_messages(path):
            if error is not None or data is None:
                reasons.append(error or "no data")
                unreadable = True
                continue
            for record in parse_message(data):
                if record.recipient or record.diagnostic or record.status or record.reply_code or record.category_hint:
                    found = True
                    yield record_row(source, record)
                elif record.note:
                    reasons.append(record.note)
        if not found:
            reason = reasons[0] if reasons else "no message in it"
            if reason.startswith("no bounce report found"):
                reason = "not a bounce email (" + reason + ")"
            (problems if unreadable else notes).append(f"{path}: {reason}")

    def _stdin_rows(self):
        for n, line in enumerate(sys.stdin, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("not an object")
                code = item.get("reply_code")
                code = int(code) if code not in (None, "") else None
            except (ValueError, TypeError) as exc:
                sys.stderr.write(f"stdin line {n}: not a JSON object with diagnostic/status/reply_code ({exc})\n")
                continue
            yield text_row(item.get("diagnostic"), item.get("status"), code, source=f"-#{n}", index=1)

    @staticmethod
    def _emit(out, row: dict) -> None:
        out.write(_ENCODER.encode(row) + "\n")


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)
_BATCH = 256  # rows per write


class _Progress:
    """A one-line counter on stderr, refreshed at most 5 times a second; silent when not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.count = 0
        self.started = self.last = time.monotonic()

    def tick(self, source: str) -> None:
        self.count += 1
        now = time.monotonic()
        if self.enabled and now - self.last > 0.2:
            self.last = now
            rate = self.count / max(now - self.started, 1e-9)
            sys.stderr.write(f"\r{self.count} records ({rate:,.0f}/s) {source[-60:]:<60}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write(f"\r{self.count} records in {time.monotonic() - self.started:.1f}s{' ' * 60}\n")
