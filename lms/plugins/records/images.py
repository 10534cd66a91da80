"""Evidence photos made safe to keep: location and other metadata gone, upright, not huge.

A phone photo carries where it was taken (EXIF GPS), the device, the time and often XMP,
IPTC and comments; a supervisor reviewing a certificate needs none of that, and a record
kept for years should not hold a librarian's home address. So every image upload is
decoded and written again by Pillow in its own format (JPEG stays JPEG, PNG stays PNG,
WebP stays WebP) with nothing but its pixels and its colour profile (ICC, which changes how
the photo looks, not who or where). Before that the EXIF orientation is applied to the
pixels (the tag that kept a portrait photo upright goes with the rest of the EXIF), and a
photo whose longest side is above ``RECORDS_IMAGE_MAX_SIDE`` is scaled down to it.

A JPEG that needs neither turning nor scaling is written again with its own quantisation
tables (``quality="keep"``), so it looks as it did; one that is turned or scaled is
encoded at quality :data:`JPEG_QUALITY`. Refused, with a message for the person: a file
that says it is an image but does not decode, an image with more than
``RECORDS_IMAGE_MAX_PIXELS`` pixels to decode (a decompression bomb: a few kilobytes that
unpack to gigabytes), and an animated image (keeping only its first frame would change it
silently).
"""
from __future__ import annotations

import io
import warnings

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# content type -> Pillow format
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
JPEG_QUALITY = 90
WEBP_QUALITY = 90


class ImageRefused(ValueError):
    """An image upload that cannot be kept; the message is for the person."""


def _unreadable() -> ImageRefused:
    return ImageRefused(_("This file says it is an image, but it cannot be read as one (it may be damaged). "
                          "Nothing was saved."))


def _too_many_pixels(max_pixels: int) -> ImageRefused:
    return ImageRefused(_("This image is too large to process: at most %(mp)s megapixels. Nothing was saved.",
                          mp=f"{max_pixels / 1_000_000:g}"))


def _webp_lossless(data: bytes) -> bool:
    """Whether a WebP file holds a lossless (``VP8L``) bitstream: it is written back the
    same way, so a lossless screenshot does not become a lossy one."""
    position = 12
    while position + 8 <= len(data):
        chunk = data[position:position + 4]
        if chunk == b"VP8L":
            return True
        if chunk == b"VP8 ":
            return False
        size = int.from_bytes(data[position + 4:position + 8], "little")
        position += 8 + size + (size & 1)
    return False


def _open(data: bytes, fmt: str, max_side: int, max_pixels: int) -> tuple[Image.Image, bool]:
    """Decode ``data`` as ``fmt`` only, a JPEG at the smallest scale that still covers
    ``max_side`` (so a 50-megapixel photo is not decoded in full to be scaled down).
    Returns the image and whether it was decoded smaller than it is."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            if getattr(image, "n_frames", 1) > 1:
                raise ImageRefused(_("Animated images cannot be used as evidence: upload a photo, a scan or "
                                     "a PDF. Nothing was saved."))
            original = image.size
            if fmt == "JPEG":
                image.draft(None, (max_side, max_side))
            if image.width * image.height > max_pixels:
                raise _too_many_pixels(max_pixels)
            image.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
        raise _unreadable() from None
    return image, image.size != original


def clean(data: bytes, content_type: str, max_side: int, max_pixels: int) -> bytes:
    """``data`` (an image of ``content_type``) without metadata, upright, its longest side
    at most ``max_side``, in the same format; :class:`ImageRefused` if it cannot be."""
    fmt = FORMATS[content_type]
    image, scaled = _open(data, fmt, max_side, max_pixels)
    icc_profile = image.info.get("icc_profile")
    transparency = image.info.get("transparency")
    orientation = image.getexif().get(0x0112, 1)  # EXIF Orientation
    changed = scaled or orientation not in (1, None)
    if changed or max(image.size) > max_side:
        image = ImageOps.exif_transpose(image)
        if max(image.size) > max_side:
            if image.mode in ("P", "1"):  # palette pixels cannot be averaged; PNG keeps the wider mode
                image = image.convert("RGBA" if transparency is not None else "RGB")
                transparency = None
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        changed = True
    image.info = {}  # comments, XMP, EXIF, IPTC, text chunks: none is written back
    options: dict = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if fmt == "JPEG":
        options.update({"quality": JPEG_QUALITY} if changed
                       else {"quality": "keep", "subsampling": "keep", "qtables": "keep"})
    elif fmt == "PNG":
        if transparency is not None:
            options["transparency"] = transparency
    else:
        options.update({"lossless": True} if _webp_lossless(data) else {"quality": WEBP_QUALITY})
    out = io.BytesIO()
    try:
        image.save(out, fmt, **options)
    except (OSError, ValueError):
        raise _unreadable() from None
    return out.getvalue()
