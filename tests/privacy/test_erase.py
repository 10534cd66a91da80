"""Erasure (UU PDP): after an admin erases a librarian, no page, export, search result or
xAPI statement shows their name, username, e-mail or free text; the dashboard's figures
are unchanged; the audit log is untouched and still refuses changes; certificates say
"revoked"; evidence files are gone."""
from __future__ import annotations

import io
import json
import re
import zipfile
from collections import deque
from pathlib import Path

from sqlalchemy import select

from lms.audit.models import AuditEntry, AuditPersonal
from lms.auth.models import User, UserSession
from lms.extensions import db
from lms.plugins.discussions.models import Post, Thread
from lms.plugins.learning.models import Certificate
from lms.plugins.records import storage
from lms.plugins.records.models import ExternalTraining
from lms.plugins.reports import annual, dashboard
from lms.privacy.services import erased_at
from tests.conftest import csrf_token, login
from tests.privacy.conftest import user

HREF_RE = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/logout", "/static/", "/healthz", "/language")


def figures():
    """What the dashboard and the annual report count, for the whole library (no names)."""
    erlina = user("erlina")
    filters = dashboard.Filters()
    out = {}
    for name in ("modules", "trends"):
        table = dashboard.build_table(name, erlina, filters, "en")
        out[name] = [[cell.text for cell in row.cells] for row in table.rows]
    people = dashboard.build_table("people", erlina, filters, "en")
    out["people_numbers"] = sorted(tuple(cell.text for cell in row.cells[1:]) for row in people.rows)
    library = db.session.scalar(select(annual.Unit).where(annual.Unit.code == "pkp"))
    report = annual.build(library, annual.resolve_year(None), "en")
    out["annual_totals"] = repr(report.totals)
    return out


def texts_of(response) -> str:
    body = response.get_data()
    if body[:2] == b"PK":  # XLSX (or a zip): the text of every part
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return body.decode("utf-8", "replace")


def crawl(client, start: list[str], limit: int = 400) -> dict[str, str]:
    """Every page (and export) reachable from ``start`` by GET links, up to ``limit``."""
    seen: dict[str, str] = {}
    queue = deque(start)
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen or path.startswith(SKIP):
            continue
        response = client.get(path)
        seen[path] = texts_of(response) if response.status_code == 200 else ""
        if response.mimetype == "text/html":
            for link in HREF_RE.findall(seen[path]):
                link = link.replace("&amp;", "&")
                if link not in seen:
                    queue.append(link)
    return seen


def audit_snapshot():
    return [(e.id, e.at, e.actor_id, e.action, e.target_type, e.target_id, json.dumps(e.details, sort_keys=True))
            for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def certificate_holder() -> str:
    """A demo librarian with a certificate (the demo's activity is drawn at random over the
    courses' content, so who finishes a course changes when the courses do)."""
    return db.session.scalar(select(User.username).join(Certificate, Certificate.user_id == User.id)
                             .where(User.username != "eko").order_by(User.username).limit(1))


def test_erased_librarian_is_nowhere_and_figures_and_audit_hold(demo, app, runner, tmp_path):
    holder = certificate_holder()
    eko, fitri = user("eko"), user(holder)
    # eko also writes: feedback is free text, a post edit keeps the old text beside the audit log
    post = db.session.scalar(select(Post).where(Post.author_id == eko.id))
    secrets = {
        "eko": [eko.username, eko.full_name, eko.email, post.body_md[:40]],
        "fitri": [fitri.username, fitri.full_name, fitri.email],
    }
    for name, username in (("eko", "eko"), ("fitri", holder)):
        person = user(username)
        for p in db.session.scalars(select(Post).where(Post.author_id == person.id)):
            secrets[name].append(p.body_md[:40])
        for t in db.session.scalars(select(Thread).where(Thread.author_id == person.id)):
            secrets[name].append(t.title)
    record = db.session.scalar(select(ExternalTraining).where(ExternalTraining.user_id == eko.id))
    evidence = storage.path_of(record.evidence_stored)
    assert evidence.exists()
    [certificate] = db.session.scalars(select(Certificate).where(Certificate.user_id == fitri.id)).all()
    code = certificate.code
    eko_client = app.test_client()
    login(eko_client, "eko", "pembina-demo")
    assert db.session.scalars(select(UserSession).where(UserSession.user_id == eko.id)).all()
    eko, fitri = user("eko"), user(holder)
    # Erasure deactivates the account, which takes a person off the live dashboard as for
    # anyone who leaves; the erasure itself must change no figure: compare with the same
    # two people merely deactivated.
    from lms.auth.services import set_active
    set_active(eko, False)
    set_active(fitri, False)
    before = figures()
    audit_before = audit_snapshot()
    eko_id, fitri_id = eko.id, fitri.id
    db.session.remove()

    # the admin erases eko through the page (typing the username), fitri from the command line
    admin = app.test_client()
    login(admin, "admin", "pembina-demo")
    page = admin.get(f"/admin/users/{eko_id}/erase")
    assert page.status_code == 200 and "Eko Prasetyo" in page.get_data(as_text=True)
    token = csrf_token(admin, f"/admin/users/{eko_id}/erase")
    wrong = admin.post(f"/admin/users/{eko_id}/erase", data={"csrf_token": token, "confirm_username": "ek"})
    assert wrong.status_code == 400 and erased_at(eko_id) is None
    done = admin.post(f"/admin/users/{eko_id}/erase", data={"csrf_token": token, "confirm_username": "eko"})
    assert done.status_code == 302, done.get_data(as_text=True)
    result = runner.invoke(args=["privacy", "erase", holder, "--yes"])
    assert result.exit_code == 0, result.output
    db.session.remove()

    from lms.auth.models import User
    eko, fitri = db.session.get(User, eko_id), db.session.get(User, fitri_id)
    assert erased_at(eko.id) and erased_at(fitri.id) and not eko.active and eko.password_hash is None and eko.email is None
    assert eko.full_name.startswith("Pengguna terhapus #") and eko.username.startswith("terhapus-")
    assert db.session.scalars(select(UserSession).where(UserSession.user_id == eko.id)).all() == []
    assert not login(app.test_client(), "eko", "pembina-demo").headers.get("Location", "").endswith("/")
    assert not evidence.exists()
    assert db.session.scalars(select(AuditPersonal).where(AuditPersonal.user_id.in_([eko.id, fitri.id]))).all() == []

    # the figures are what they were, and the audit log too (plus the erasures themselves)
    assert figures() == before
    after = audit_snapshot()
    assert after[:len(audit_before)] == audit_before
    assert [row[3] for row in after[len(audit_before):]] == ["user.erased", "user.erased"]
    assert "eko" not in after[-2][6] and "Prasetyo" not in after[-2][6]

    # the certificate says revoked, and names nobody
    verify = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "revoked" in verify.lower() or "dicabut" in verify.lower()
    assert "Fitri" not in verify

    # no page or export that admin, supervisors or trainers reach shows them
    pages: dict[str, str] = {}
    for username in ("admin", "erlina", "citra", "frans", "budi"):
        client = app.test_client()
        login(client, username, "pembina-demo")
        starts = ["/", "/admin/users", "/admin/audit", "/admin/users?status=inactive", "/reports/",
                  "/discussions/", f"/admin/users/{eko.id}", f"/admin/users/{fitri.id}"]
        starts += [f"/reports/export.csv?table={name}" for name in dashboard.TABLES]
        starts += ["/reports/export.xlsx"]
        for secret_list in secrets.values():
            starts += [f"/discussions/search?q={word}" for word in secret_list[:2]]
        found = crawl(client, starts)
        pages.update({f"{username} {path}": text for path, text in found.items()})
    assert len(pages) > 100
    for name, secret_list in secrets.items():
        for secret in secret_list:
            pattern = re.compile(r"(?<![\w.-])" + re.escape(secret) + r"(?![\w-])")
            # a search page echoes its own query: that is not a leak
            leaks = [path for path, text in pages.items() if pattern.search(text) and secret not in path]
            assert not leaks, (name, secret, leaks[:5])

    # nor does the xAPI export
    out = tmp_path / "xapi.jsonl"
    result = runner.invoke(args=["export", "xapi", "--since", "2000-01-01", "--output", str(out)])
    assert result.exit_code == 0, result.output
    statements = Path(out).read_text(encoding="utf-8")
    assert statements  # the crawl above viewed lessons: statements were written
    for secret_list in secrets.values():
        for secret in secret_list[:3]:
            # a whole word: the username "fitri" is also the end of another learner's "Safitri"
            assert not re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", statements), secret
