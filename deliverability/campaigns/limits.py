"""The size limit of a result file (settings.UPLOAD_MAX_BYTES), for the upload page and import_results.

The upload page enforces it while the body arrives (`SizeLimitUploadHandler`: bytes past the
limit are counted, never stored); the command checks the file on disk before reading it
(`check_path`). Both refuse with the same message, naming the file, its size and the limit.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from deliverability.ingest import UnsupportedFormat, zipped


class FileTooLarge(ValueError):
    """A result file over settings.UPLOAD_MAX_BYTES; str() is the message for the user."""

    def __init__(self, name: str, size: int, limit: int) -> None:
        self.name, self.size, self.limit = name, size, limit
        super().__init__(too_large_message(name, size, limit))


def upload_limit() -> int:
    return int(settings.UPLOAD_MAX_BYTES)


def too_large_message(name: str, size: int, limit: int | None = None) -> str:
    limit = upload_limit() if limit is None else limit
    return _("%(name)s is %(size)s (%(size_bytes)s bytes): larger than the limit of %(limit)s (%(limit_bytes)s bytes, "
             "UPLOAD_MAX_BYTES). Split the file, or zip it.") % {
        "name": name, "size": filesizeformat(size), "size_bytes": f"{size:,}",
        "limit": filesizeformat(limit), "limit_bytes": f"{limit:,}"}


def check_size(name: str, size: int) -> None:
    """Raise FileTooLarge when `size` bytes is over the limit."""
    limit = upload_limit()
    if size > limit:
        raise FileTooLarge(name, size, limit)


def check_path(path: str | os.PathLike) -> None:
    """Raise FileTooLarge when the file at `path` is over the limit (OSError when it cannot be read)."""
    check_size(Path(path).name if str(path) else str(path), os.stat(path).st_size)


def zip_problem(uploaded, name: str) -> str | None:
    """Why an uploaded zip is refused (it declares more than the upload limit, or more than 100x its
    size), read from its central directory before anything is stored or inflated; None otherwise."""
    try:
        if not zipfile.is_zipfile(uploaded):
            return None
        uploaded.seek(0)
        with zipfile.ZipFile(uploaded) as archive:
            zipped.check_declared_total(archive, uploaded.size, upload_limit(), name)
    except UnsupportedFormat as refused:
        return str(refused)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None  # not a readable zip: the import says what it is
    finally:
        uploaded.seek(0)
    return None


class SizeLimitUploadHandler(FileUploadHandler):
    """First of the request's upload handlers: passes chunks on until a file passes the limit, then
    swallows the rest (the handlers after it store nothing more) and only counts it, so the page can
    say how large the file was. The partial file the next handler holds is discarded by the view."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.limit = upload_limit()
        self.received = 0
        self.refused: FileTooLarge | None = None

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        if self.received > self.limit:
            return None  # the next handlers never see bytes past the limit
        return raw_data

    def file_complete(self, file_size: int):
        if self.received > self.limit:
            self.refused = FileTooLarge(self.file_name or "", self.received, self.limit)
        return None  # the file object comes from the next handler
