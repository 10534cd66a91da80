"""Static files light on the wire (issue 16 item 8): content-hashed names, long-lived cache
headers and pre-compressed files, served by WhiteNoise in front of the app.

At start-up the files under the static folder are hashed (a few dozen small files: about a
millisecond; nothing is written) and each is registered with WhiteNoise twice:

- ``/static/css/pembina.3f2a9c81d0e4.css``: the name ``url_for('static', ...)`` now builds;
  its content can never change, so it is sent ``public, max-age=31536000, immutable`` and a
  browser never asks again;
- ``/static/css/pembina.css``: the plain name, for pages cached before a deploy, with a short
  ``max-age`` (``STATIC_MAX_AGE``, 60 s) so it is re-checked soon.

Compression is a build step, not a request-time cost: ``make install`` runs
``python -m whitenoise.compress lms/static``, which writes ``.gz`` (and ``.br`` when the
``Brotli`` package is installed) beside each text file; WhiteNoise sends the variant the
browser's ``Accept-Encoding`` asks for. Without the build step files are sent uncompressed,
still hashed and cached. Generated files are ignored by git.

Settings: ``STATIC_HASHED`` (default on; off serves Flask's plain static route as before),
``STATIC_ROOT`` (default: the app's static folder), ``STATIC_MAX_AGE``. After editing a static
file, restart the server: the names are computed once.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from wsgiref.headers import Headers
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.responders import StaticFile

YEAR = 365 * 24 * 60 * 60
COMPRESSED = (".gz", ".br")


def fresh_variants(path: str) -> dict[str, str]:
    """The pre-compressed variants of ``path`` that hold its current content. A ``.gz`` left
    from before an edit would otherwise be sent under the new content's hashed, immutable
    name - the old stylesheet cached for a year. ``.gz`` is checked by content; ``.br`` by
    content when the Brotli package is there, else by being at least as new as the file."""
    source = Path(path).read_bytes()
    variants = {}
    try:
        if gzip.decompress(Path(path + ".gz").read_bytes()) == source:
            variants["gzip"] = path + ".gz"
    except (OSError, EOFError, zlib.error):
        pass
    if os.path.isfile(path + ".br"):
        try:
            import brotli  # optional: only when it is installed are .br files written at all

            fresh = brotli.decompress(Path(path + ".br").read_bytes()) == source
        except ImportError:
            fresh = os.path.getmtime(path + ".br") >= os.path.getmtime(path)
        except Exception:  # noqa: BLE001 - a damaged .br is simply not used
            fresh = False
        if fresh:
            variants["br"] = path + ".br"
    return variants


class StaticFiles(WhiteNoise):
    """WhiteNoise with a year, not ten, for the hashed names (RFC 9111 caches cap at a year),
    and only compressed variants that match the file (:func:`fresh_variants`)."""

    FOREVER = YEAR

    def get_static_file(self, path, url, stat_cache=None):
        headers = Headers([])
        self.add_mime_headers(headers, path, url)
        self.add_cache_headers(headers, path, url)
        if self.add_headers_function is not None:
            self.add_headers_function(headers, path, url)
        return StaticFile(path, headers.items(), stat_cache=stat_cache, encodings=fresh_variants(path))


def hashed_name(relative: str, digest: str) -> str:
    """``css/pembina.css`` -> ``css/pembina.<first 12 hex of its SHA-256>.css``."""
    stem, dot, extension = relative.rpartition(".")
    return f"{stem}.{digest[:12]}.{extension}" if dot and "/" not in extension else f"{relative}.{digest[:12]}"


def build_manifest(root: Path) -> dict[str, str]:
    """Each file's name under ``root`` (with ``/``) -> its content-hashed name."""
    manifest = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix not in COMPRESSED:
            relative = path.relative_to(root).as_posix()
            manifest[relative] = hashed_name(relative, hashlib.sha256(path.read_bytes()).hexdigest())
    return manifest


def _nosniff(headers, _path, _url) -> None:
    """The one security header that matters for a file (lms/security.py does the pages)."""
    headers["X-Content-Type-Options"] = "nosniff"


def init_app(app: Flask) -> None:
    """Serve the static folder through WhiteNoise with hashed names, when ``STATIC_HASHED``."""
    if not app.config.get("STATIC_HASHED", True) or not app.static_folder:
        return
    root = Path(app.config.get("STATIC_ROOT") or app.static_folder)
    if not root.is_dir():
        return
    manifest = build_manifest(root)
    prefix = (app.static_url_path or "/static").rstrip("/") + "/"
    immutable = {prefix + name for name in manifest.values()}
    static = StaticFiles(app.wsgi_app, max_age=int(app.config.get("STATIC_MAX_AGE", 60)), allow_all_origins=False,
                         add_headers_function=_nosniff, immutable_file_test=lambda _path, url: url in immutable)
    for name, hashed in manifest.items():
        path = os.path.join(root, *name.split("/"))
        static.add_file_to_dictionary(prefix + name, path)
        static.add_file_to_dictionary(prefix + hashed, path)
    app.wsgi_app = static
    app.extensions["lms.static_manifest"] = manifest

    @app.url_defaults
    def _hashed_static_names(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.get(values["filename"], values["filename"])
