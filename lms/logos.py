"""Library logos: an upload checked, decoded and written again before anything is kept.

A logo is shown on every page of its library, on the sign-in page and on certificates, so
what is stored must be a plain picture and nothing else. The type is decided by the file's
first bytes (PNG, JPEG or WebP), never by its name or the browser's content type; then
Pillow decodes it as that format only, refusing more than ``LOGO_MAX_PIXELS`` pixels (a
decompression bomb is a few kilobytes that unpack to gigabytes) and animations, and writes
its pixels again as a PNG no larger than ``LOGO_MAX_SIDE`` on its longest side: no EXIF,
XMP, text chunks, colour profile or anything else the file carried comes along.

Stored in the database (``organisation_logos``), keyed by the SHA-256 of the PNG: every app
server reads the same bytes without a shared folder, a backup holds them, and a refusal or a
failed save leaves nothing behind (it is one transaction). Rows are never deleted, so a
certificate's snapshot key (``Certificate.issuer_logo``) keeps its picture after the
library changes its logo; the key also makes the served file immutable, so browsers may
cache it for a year.
"""
from __future__ import annotations

import hashlib
import io
import re
import warnings

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from lms.auth.models import OrganisationLogo
from lms.extensions import db

MAX_BYTES = 512 * 1024
MAX_PIXELS = 4_000_000  # 2000 x 2000 to decode at most
MAX_SIDE = 512  # the stored PNG's longest side
KEY_RE = re.compile(r"^[0-9a-f]{64}$")
FORMATS = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


class LogoRefused(ValueError):
    """An upload that cannot be a logo; the message is for the person. Nothing was kept."""


def sniff(data: bytes) -> str | None:
    """The Pillow format the bytes really are (by their signature), or None if not allowed."""
    for signature, fmt in FORMATS.items():
        if data.startswith(signature):
            return fmt
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def limits() -> tuple[int, int, int]:
    config = current_app.config
    return (int(config.get("LOGO_MAX_BYTES", MAX_BYTES)), int(config.get("LOGO_MAX_PIXELS", MAX_PIXELS)),
            int(config.get("LOGO_MAX_SIDE", MAX_SIDE)))


def clean(data: bytes) -> tuple[bytes, int, int]:
    """``data`` as a PNG of its pixels only, at most ``LOGO_MAX_SIDE`` wide and high:
    ``(png, width, height)``, or :class:`LogoRefused`."""
    max_bytes, max_pixels, max_side = limits()
    if not data:
        raise LogoRefused(_("The logo file is empty. Nothing was changed."))
    if len(data) > max_bytes:
        raise LogoRefused(_("The logo file is too large: at most %(kb)d KB. Nothing was changed.",
                            kb=max_bytes // 1024))
    fmt = sniff(data)
    if fmt is None:
        raise LogoRefused(_("A logo must be a PNG, JPEG or WebP image; this file is none of these, whatever "
                            "its name says. Nothing was changed."))
    unreadable = LogoRefused(_("This file cannot be read as an image (it may be damaged). Nothing was changed."))
    too_big = LogoRefused(_("This image has too many pixels: at most %(mp)s megapixels. Nothing was changed.",
                            mp=f"{max_pixels / 1_000_000:g}"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            if getattr(image, "n_frames", 1) > 1:
                raise LogoRefused(_("An animated image cannot be a logo. Nothing was changed."))
            if image.width * image.height > max_pixels:
                raise too_big
            image.load()
    except LogoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
        raise unreadable from None
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    try:
        image = image.convert("RGBA" if has_alpha else "RGB")  # palette, CMYK, 16-bit: one plain mode
        if max(image.size) > max_side:
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    except (OSError, ValueError):
        raise unreadable from None
    clean_image = Image.new(image.mode, image.size)  # a fresh image: no info, no EXIF, no profile
    clean_image.paste(image)
    out = io.BytesIO()
    clean_image.save(out, "PNG", optimize=True)
    return out.getvalue(), clean_image.width, clean_image.height


def store(data: bytes) -> str:
    """Clean ``data`` and keep it (in the caller's transaction); return its key."""
    png, width, height = clean(data)
    key = hashlib.sha256(png).hexdigest()
    if db.session.get(OrganisationLogo, key) is None:
        db.session.add(OrganisationLogo(sha256=key, data=png, width=width, height=height))
        db.session.flush()
    return key


def get(key: str | None) -> OrganisationLogo | None:
    """The stored logo of ``key``, or None (also for anything that is not a key)."""
    if not key or not KEY_RE.match(key):
        return None
    return db.session.get(OrganisationLogo, key)


def png_bytes(key: str | None) -> bytes | None:
    """A logo's PNG bytes for the PDF certificate, or None."""
    if not key or not KEY_RE.match(key):
        return None
    return db.session.scalar(select(OrganisationLogo.data).where(OrganisationLogo.sha256 == key))
