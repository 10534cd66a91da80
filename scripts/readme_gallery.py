"""Take the README's pictures again: ``.venv/bin/python scripts/readme_gallery.py``.

Seeds what ``make run`` seeds into a throw-away SQLite file, serves it on a free port and
photographs four screens with Debian's Chromium: a lesson and a quiz on a 360 px phone, the
supervisor dashboard and the needs analysis on a 1280 px desktop. Writes docs/img/*.png.
"""
from __future__ import annotations

import logging
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lms.core.demo import DEMO_PASSWORD  # noqa: E402
from tests.conftest import make_test_app, reset_database, seed_full_demo  # noqa: E402

IMAGES = ROOT / "docs" / "img"
LESSON = "/courses/katalogisasi/marc21/"


def serve(folder: Path):
    app = make_test_app(folder)
    reset_database(app)
    seed_full_demo(app)  # the tests' recipe (tests/conftest.py), so the pictures show what they test
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def signed_in(browser, base: str, username: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 760 if width < 600 else 900},
                                  device_scale_factor=1)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/")
    return context, page


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        server, base = serve(Path(folder))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--headless", "--no-sandbox", "--disable-gpu"])
            context, page = signed_in(browser, base, "ani", 360)
            page.goto(base + LESSON)
            page.locator("main a[href*='/marc21/']").nth(1).click()
            page.screenshot(path=str(IMAGES / "lesson-phone.png"))
            page.goto(f"{base}/quiz{LESSON[len('/courses'):]}")
            page.locator("main form[action$='/start'] button[type=submit]").first.click()
            page.wait_for_url("**/attempt/**")
            page.locator("main form input[type=radio]").nth(2).check()  # not the key
            page.screenshot(path=str(IMAGES / "quiz-phone.png"))
            context.close()
            context, page = signed_in(browser, base, "citra", 1280)
            page.goto(f"{base}/reports/")
            page.screenshot(path=str(IMAGES / "dashboard.png"))
            context.close()
            context, page = signed_in(browser, base, "erlina", 1280)
            page.goto(f"{base}/needs/analysis/")
            page.screenshot(path=str(IMAGES / "needs-analysis.png"))
            context.close()
            browser.close()
        server.shutdown()
    print(f"wrote {', '.join(sorted(p.name for p in IMAGES.glob('*.png')))}")


if __name__ == "__main__":
    main()
