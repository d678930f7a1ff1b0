"""python manage.py classify_bounces PATH [PATH …] | --text "550 5.1.1 …" | -   (JSON lines on stdout)."""
from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from deliverability.bounces.report import rows_for_paths, text_row


class Command(BaseCommand):
    help = "Parse bounce emails (.eml, mbox, directory, zip) and print one classified JSON object per recipient."

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
        for path in paths:
            rows = self._stdin_rows() if path == "-" else rows_for_paths([path])
            for row in rows:
                self._emit(out, row)
                progress.tick(row["source"])
        progress.done()

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
        out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


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
