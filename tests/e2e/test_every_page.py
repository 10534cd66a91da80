"""Every page type, as each role, on a phone (360 px) and a desktop (1280 px): axe-core finds
no critical or serious accessibility violation, and nothing makes the page scroll sideways.

The pages are not listed by hand (a list would drift): each role's crawl starts at its home
and follows the links it is shown, one page per *page type* (the path with ids and slugs
masked), so a new screen is checked the day a link leads to it. Downloads, sign-out and
other actions are not followed. axe-core comes from ``axe-playwright-python``, which
evaluates it through the browser, so the app's strict Content-Security-Policy stays on.
"""
from __future__ import annotations

import logging
import re
import threading
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import update
from werkzeug.serving import make_server

from lms.auth.models import User
from lms.core.demo import DEMO_PASSWORD
from lms.extensions import db
from tests.e2e.conftest import demo_copy_app, dispose

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
ROLES = ("ani", "budi", "citra", "erlina", "admin")
WIDTHS = (360, 1280)
PAGES_PER_ROLE = 60
SKIP = re.compile(r"^/(logout|static/|healthz)|\.(csv|xlsx|pdf|ics|zip|png|jpe?g|svg)$|/(export|download|evidence)\b")
BLOCKING = {"critical", "serious"}
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def page_type(path: str) -> str:
    """``/courses/katalogisasi/marc21/lessons/leader`` -> ``/courses/{}/{}/lessons/{}``: ids,
    and slugs (anything with a digit or a hyphen, or after the first segment of a course or
    board path), are masked, so one page stands for all pages of its kind."""
    parts = [p for p in path.split("/") if p]
    masked = []
    for index, part in enumerate(parts):
        sluggy = bool(re.search(r"[\d-]", part)) or (index in (1, 2) and parts[0] in ("courses", "discussions"))
        masked.append("{}" if sluggy else part)
    return "/" + "/".join(masked)


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_database):
    """What ``make run`` seeds (a copy of the session's demo: pages record views as they are
    crawled), served once for every role and width of this module."""
    app = demo_copy_app(tmp_path_factory.mktemp("every-page"), demo_database)
    with app.app_context():
        db.session.execute(update(User).where(User.username == "erlina").values(locale="en"))
        db.session.commit()
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # hundreds of request lines otherwise
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="every-page", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        dispose(app, demo_database)


def crawl(page, base: str) -> list[str]:
    """Breadth first from the home page: the first page of each type the role can reach."""
    seen_types: set[str] = set()
    queue = deque(["/"])
    found: list[str] = []
    while queue and len(found) < PAGES_PER_ROLE:
        path = queue.popleft()
        kind = page_type(path)
        if kind in seen_types:
            continue
        seen_types.add(kind)
        response = page.goto(base + path)
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        found.append(path)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urlsplit(urljoin(base + path, href))
            if f"{target.scheme}://{target.netloc}" != base or SKIP.search(target.path):
                continue
            if page_type(target.path) not in seen_types:
                queue.append(target.path)
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("username", ROLES)
def test_every_page_is_accessible_and_fits(browser, site, username, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{site}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url(f"{site}/")
        paths = crawl(page, site)
        assert len(paths) >= 5, f"{username} reached only {paths}"
        axe = Axe()
        problems: list[str] = []
        for path in paths:
            page.goto(site + path)
            overflow = page.evaluate(OVERFLOW)
            if overflow > 0:
                problems.append(f"{path}: the page scrolls sideways by {overflow} px")
            for violation in axe.run(page).response["violations"]:
                if violation["impact"] in BLOCKING:
                    targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
                    problems.append(f"{path}: {violation['id']} ({violation['impact']}, "
                                    f"{len(violation['nodes'])}x): {targets}")
        assert not problems, f"{username} at {width} px, {len(paths)} pages:\n" + "\n".join(problems)
    finally:
        context.close()
