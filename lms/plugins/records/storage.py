"""Evidence files on disk, outside the web root.

Files are written under ``RECORDS_EVIDENCE_DIR`` (default ``<instance>/evidence``) with a
random name; the uploader's file name is only ever kept, sanitised, for display. The type is
decided by the file's first bytes (PDF, PNG, JPEG, WebP) and nothing else: a ``.pdf`` that is
really HTML is refused. Files are served only by a view that checks access first.

Images are rewritten before they are stored (:mod:`lms.plugins.records.images`): no
location or other metadata, EXIF orientation applied, the longest side at most
``RECORDS_IMAGE_MAX_SIDE``; size and SHA-256 are those of the stored file. PDFs are
stored byte for byte.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from lms.plugins.records import images

# content type -> file extension
TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
STORED_RE = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg|webp)$")
NAME_MAX = 120


class EvidenceError(ValueError):
    """An upload that cannot be kept; the message is for the user."""


@dataclass(frozen=True)
class StoredEvidence:
    name: str  # sanitised display name
    stored: str  # random name on disk
    content_type: str
    size: int
    sha256: str


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (by their signature), or None if not allowed."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def display_name(filename: str | None, content_type: str) -> str:
    """A safe name for showing and downloading: no directories, no path tricks, ASCII, and the
    extension of the real type (``../../etc/passwd`` -> ``etc_passwd.pdf``)."""
    extension = TYPES[content_type]
    name = secure_filename((filename or "").replace("\\", "/")) or "evidence"
    endings = (extension, ".jpeg") if extension == ".jpg" else (extension,)
    stem = next((name[: -len(end)] for end in endings if name.lower().endswith(end)), name) or "evidence"
    return stem[: NAME_MAX - len(extension)] + extension


def max_bytes() -> int:
    return int(current_app.config["RECORDS_MAX_BYTES"])


def evidence_dir() -> Path:
    return Path(current_app.config["RECORDS_EVIDENCE_DIR"])


def path_of(stored: str) -> Path:
    """Where a stored file is; refuses anything but a name this module made."""
    if not STORED_RE.match(stored or ""):
        raise EvidenceError("bad stored name")
    return evidence_dir() / stored


def check(data: bytes) -> str:
    """The content type of an upload, or :class:`EvidenceError` with a message for the user."""
    limit = max_bytes()
    if not data:
        raise EvidenceError(_("The evidence file is empty."))
    if len(data) > limit:
        raise EvidenceError(_("The evidence file is too large: at most %(mb)s MB.",
                              mb=f"{limit / (1024 * 1024):g}"))
    content_type = sniff(data)
    if content_type is None:
        raise EvidenceError(_("The evidence must be a PDF, PNG, JPEG or WebP file; this file is none of "
                              "these, whatever its name says."))
    return content_type


def save(data: bytes, filename: str | None) -> StoredEvidence:
    """Check ``data`` and write it under a random name. The caller deletes it again
    (:func:`remove`) if the database change that refers to it fails."""
    content_type = check(data)
    if content_type in images.FORMATS:
        config = current_app.config
        try:
            data = images.clean(data, content_type, max_side=int(config["RECORDS_IMAGE_MAX_SIDE"]),
                                max_pixels=int(config["RECORDS_IMAGE_MAX_PIXELS"]))
        except images.ImageRefused as error:
            raise EvidenceError(str(error)) from None
    folder = evidence_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = secrets.token_hex(16) + TYPES[content_type]
    target = folder / stored
    temporary = folder / (stored + ".part")
    with open(temporary, "xb") as handle:
        handle.write(data)
    os.replace(temporary, target)
    return StoredEvidence(name=display_name(filename, content_type), stored=stored, content_type=content_type,
                          size=len(data), sha256=hashlib.sha256(data).hexdigest())


def read(stored: str) -> bytes:
    return path_of(stored).read_bytes()


def remove(stored: str) -> None:
    """Delete a stored file; a file already gone is not an error."""
    try:
        path_of(stored).unlink()
    except (FileNotFoundError, EvidenceError):
        pass
