"""Static files light on the wire (issue 16 item 8): pages link content-hashed names that are
cached for a year, gzip goes to browsers that ask, and the plain names still answer (for
pages cached before a deploy) with a short cache."""
from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pytest
from whitenoise.compress import Compressor

from lms import PACKAGE_DIR
from tests.conftest import make_test_app

CSS = (PACKAGE_DIR / "static" / "css" / "pembina.css").read_bytes()


@pytest.fixture
def static_app(tmp_path):
    """An app serving a copy of the static folder, compressed as ``make install`` does."""
    root = tmp_path / "static"
    shutil.copytree(PACKAGE_DIR / "static", root, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    compressor = Compressor(use_brotli=False, quiet=True)
    for path in root.rglob("*"):
        if path.is_file() and compressor.should_compress(path.name):
            compressor.compress(str(path))
    return make_test_app(tmp_path, STATIC_ROOT=str(root))


def stylesheet_url(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    match = re.search(r'<link rel="stylesheet" href="(/static/css/pembina\.[0-9a-f]{12}\.css)">', html)
    assert match, "the page links its stylesheet by a content-hashed name"
    return match.group(1)


def test_the_page_links_the_hashed_name_served_with_immutable_caching(static_app):
    client = static_app.test_client()
    url = stylesheet_url(client)
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == CSS
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.get("Content-Encoding") is None  # no Accept-Encoding: plain bytes


def test_gzip_when_the_browser_asks(static_app):
    client = static_app.test_client()
    url = stylesheet_url(client)
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(response.data) == CSS
    assert len(response.data) < len(CSS) / 2


def test_the_plain_name_still_answers_with_a_short_cache(static_app):
    response = static_app.test_client().get("/static/css/pembina.css")
    assert response.status_code == 200 and response.data == CSS
    cache = response.headers["Cache-Control"]
    assert "max-age=60" in cache and "immutable" not in cache


def test_a_changed_file_gets_a_new_name(tmp_path):
    root = tmp_path / "static"
    shutil.copytree(PACKAGE_DIR / "static", root)
    first = stylesheet_url(make_test_app(tmp_path, STATIC_ROOT=str(root)).test_client())
    (root / "css" / "pembina.css").write_bytes(CSS + b"\n/* changed */\n")
    second = stylesheet_url(make_test_app(tmp_path, STATIC_ROOT=str(root)).test_client())
    assert first != second


def test_switched_off_the_plain_static_route_serves_as_before(tmp_path):
    app = make_test_app(tmp_path, STATIC_HASHED=False)
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/static/css/pembina.css"' in html
    assert client.get("/static/css/pembina.css").status_code == 200


def test_unknown_static_names_are_not_found(static_app):
    assert static_app.test_client().get("/static/css/pembina.0123456789ab.css").status_code == 404
    assert Path(PACKAGE_DIR / "static" / "css" / "pembina.css").is_file()


def test_a_compressed_file_left_from_before_an_edit_is_never_sent(tmp_path):
    """An edit after `make install` leaves the old pembina.css.gz beside the new file: sending
    it under the new content's hashed, immutable name would cache the old stylesheet for a
    year. Only a variant that holds the file's current content is used."""
    root = tmp_path / "static"
    shutil.copytree(PACKAGE_DIR / "static", root, ignore=shutil.ignore_patterns("*.gz", "*.br"))
    css = root / "css" / "pembina.css"
    css.with_name("pembina.css.gz").write_bytes(gzip.compress(b"/* the stylesheet before the edit */"))
    client = make_test_app(tmp_path, STATIC_ROOT=str(root)).test_client()
    response = client.get(stylesheet_url(client), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") is None and response.data == css.read_bytes()


def test_no_merge_conflict_markers_are_left_in_the_sources():
    """A stray `=======` in a stylesheet silently drops the rule after it (it happened once)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    marker = re.compile(r"^(<{7}|={7}|>{7})( |$)")
    found = [f"{path.relative_to(root)}:{number}"
             for pattern in ("lms/**/*.py", "lms/**/*.css", "lms/**/*.js", "templates/**/*.html", "docs/**/*.md",
                             "courses/**/*.md", "courses/**/*.yml", "migrations/**/*.py", "tests/**/*.py", "lms/**/*.po")
             for path in root.glob(pattern) if "vendor" not in path.parts
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if marker.match(line)]
    assert found == []
