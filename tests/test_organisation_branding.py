"""Each library's logo and default language (issue 20, item 1): an upload is checked by its
content and re-encoded without metadata, each library's pages, sign-in page and certificates
show its own logo (certificates the one of their issue day), and people who have not chosen a
language read their library's."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from lms import organisations
from lms.audit.models import AuditEntry
from lms.auth.models import Organisation, OrganisationLogo, User
from lms.extensions import db
from tests.conftest import OTHER_MARKER, csrf_token, post_form

LOGO_RE = re.compile(r'src="/logos/([0-9a-f]{64})\.png"')


def image_bytes(fmt: str = "PNG", size=(60, 30), colour=(15, 94, 92), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **save)
    return out.getvalue()


def upload(client, organisation_id: int, data: bytes, filename: str = "logo.png"):
    path = f"/admin/organisations/{organisation_id}"
    return client.post(f"{path}/logo", data={"csrf_token": csrf_token(client, path),
                                             "logo": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def logo_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OrganisationLogo))


def organisation_of(unit) -> Organisation:
    db.session.expire_all()
    return db.session.get(Organisation, unit.id)


def set_logo(unit, data: bytes) -> str:
    organisation = db.session.get(Organisation, unit.id)
    organisations.set_logo(organisation, data)
    return organisation.logo


def logos_on(page: str) -> set[str]:
    return set(LOGO_RE.findall(page))


# -- upload -----------------------------------------------------------------------------------

def test_a_jpeg_with_location_becomes_a_png_without_metadata(app, org, client_as):
    admin = client_as("admin")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "S", 2: (2.0, 12.0, 30.0)}  # GPS: where the photo was taken
    photo = image_bytes("JPEG", size=(1200, 600), exif=exif.tobytes(), comment=b"secret comment")
    response = upload(admin, org["library"].id, photo, "logo.jpg")
    assert response.status_code == 302, response.get_data(as_text=True)
    key = organisation_of(org["library"]).logo
    stored = db.session.get(OrganisationLogo, key)
    image = Image.open(io.BytesIO(stored.data))
    assert image.format == "PNG" and max(image.size) == 512 and (stored.width, stored.height) == image.size
    assert image.getexif() == {} and not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)
    assert b"PhoneMaker" not in stored.data and b"secret" not in stored.data
    served = admin.get(f"/logos/{key}.png")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == stored.data
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served.headers["Cache-Control"] and "public" in served.headers["Cache-Control"]
    assert "Set-Cookie" not in served.headers
    assert admin.get(f"/logos/{key}.png", headers={"If-None-Match": f'"{key}"'}).status_code == 304
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.logo_changed"))
    assert entry.target_id == str(org["library"].id) and entry.details["new"] == key


def test_png_text_chunks_are_dropped_and_webp_is_accepted(app, org, client_as):
    admin = client_as("admin")
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Somebody Private")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPS</x:xmpmeta>")
    assert upload(admin, org["library"].id, image_bytes("PNG", pnginfo=info)).status_code == 302
    stored = db.session.get(OrganisationLogo, organisation_of(org["library"]).logo)
    assert b"Somebody" not in stored.data and b"xmpmeta" not in stored.data
    assert upload(admin, org["library"].id, image_bytes("WEBP"), "logo.webp").status_code == 302
    assert Image.open(io.BytesIO(db.session.get(OrganisationLogo, organisation_of(org["library"]).logo)
                                 .data)).format == "PNG"


@pytest.mark.parametrize("case", ["html-named-png", "too-large", "too-many-pixels", "damaged", "empty-gif"])
def test_a_refused_upload_keeps_nothing_and_says_why(app, org, client_as, case):
    admin = client_as("admin")
    before = set_logo(org["library"], image_bytes())
    rows = logo_count()
    data = {
        "html-named-png": b"<!doctype html><script>alert(1)</script>",
        "too-large": image_bytes("PNG", size=(10, 10)) + b"\0" * (600 * 1024),
        "too-many-pixels": image_bytes("PNG", size=(3000, 3000)),  # ~30 KB, 9 megapixels to decode
        "damaged": image_bytes()[:40],
        "empty-gif": image_bytes("GIF"),
    }[case]
    response = upload(admin, org["library"].id, data, "logo.png")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was changed" in page or "Tidak ada yang diubah" in page
    assert organisation_of(org["library"]).logo == before and logo_count() == rows
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "organisation.logo_changed")) == 1


def test_only_admins_change_a_logo(app, org, client_as):
    librarian = client_as("librarian")
    response = librarian.post(f"/admin/organisations/{org['library'].id}/logo",
                              data={"logo": (io.BytesIO(image_bytes()), "logo.png")},
                              content_type="multipart/form-data")
    assert response.status_code in (400, 403) and logo_count() == 0


def test_the_logo_route_serves_stored_logos_only(app, org, client):
    key = set_logo(org["library"], image_bytes())
    assert client.get(f"/logos/{key}.png").status_code == 200  # signed out: it is on the sign-in page
    for path in (f"/logos/{'0' * 64}.png", f"/logos/{key.upper()}.png", "/logos/..%2F..%2Fetc%2Fpasswd.png",
                 f"/logos/{key}.svg", "/logos/1.png"):
        assert client.get(path).status_code == 404, path


# -- shown ------------------------------------------------------------------------------------

def test_each_library_shows_its_own_logo_and_never_the_others(app, org, other_org, client_as):
    ours = set_logo(org["library"], image_bytes(colour=(200, 0, 0)))
    theirs = set_logo(other_org["library"], image_bytes(colour=(0, 0, 200)))
    librarian, neighbour = client_as("librarian"), client_as("librarian", unit_code="seb-branch")
    for path in ("/", "/privacy", "/account"):
        page = librarian.get(path).get_data(as_text=True)
        assert logos_on(page) == {ours}, path
        assert 'alt="Perpustakaan Uji"' in page
        page = neighbour.get(path).get_data(as_text=True)
        assert logos_on(page) == {theirs}, path
        assert f'alt="Perpustakaan {OTHER_MARKER}"' in page
    # signed out: the home library's logo on the sign-in page, with its name as alt text
    app.config["HOME_ORGANISATION"] = "lib"
    page = app.test_client().get("/login").get_data(as_text=True)
    assert logos_on(page) == {ours} and "Perpustakaan Uji" in page
    app.config["HOME_ORGANISATION"] = "lib-seb"
    assert logos_on(app.test_client().get("/login").get_data(as_text=True)) == {theirs}


def test_settings_page_shows_the_logo_and_removing_it_is_audited(app, org, client_as):
    admin = client_as("admin")
    path = f"/admin/organisations/{org['library'].id}"
    assert 'enctype="multipart/form-data"' in admin.get(path).get_data(as_text=True)
    key = set_logo(org["library"], image_bytes())
    assert key in admin.get(path).get_data(as_text=True)
    response = post_form(admin, f"{path}/logo/remove", {"remove-csrf_token": csrf_token(admin, path)},
                         token_from=path)
    assert response.status_code == 302
    assert organisation_of(org["library"]).logo is None and logos_on(admin.get("/").get_data(as_text=True)) == set()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.logo_removed"))
    assert entry.details["old"] == key
    assert db.session.get(OrganisationLogo, key) is not None  # kept for the certificates issued with it


# -- default language -------------------------------------------------------------------------

def set_language(unit, locale: str) -> None:
    organisation = db.session.get(Organisation, unit.id)
    current = {name: getattr(organisation, name) for name in organisations.SETTINGS}
    organisations.save_settings(organisation, **{**current, "default_locale": locale})


def test_people_who_have_not_chosen_read_their_librarys_language(app, org, other_org, client_as):
    set_language(org["library"], "en")
    set_language(other_org["library"], "id")
    ours, theirs = client_as("librarian"), client_as("librarian", unit_code="seb-branch")
    assert ours.user.locale == "" and theirs.user.locale == ""
    assert '<html lang="en">' in ours.get("/").get_data(as_text=True)
    assert '<html lang="id">' in theirs.get("/").get_data(as_text=True)
    assert '<option selected value="en">' in ours.get("/account").get_data(as_text=True)  # what they read
    # an explicit choice wins over the library's
    user = db.session.get(User, ours.user.id)
    user.locale = "id"
    db.session.commit()
    assert '<html lang="id">' in ours.get("/").get_data(as_text=True)
    # signed-out pages speak the home library's language, and the switcher still wins
    app.config["HOME_ORGANISATION"] = "lib"
    visitor = app.test_client()
    assert '<html lang="en">' in visitor.get("/login").get_data(as_text=True)
    app.config["HOME_ORGANISATION"] = "lib-seb"
    assert '<html lang="id">' in visitor.get("/login").get_data(as_text=True)
    visitor.post("/language", data={"lang": "en", "csrf_token": csrf_token(visitor), "next": "/login"})
    assert '<html lang="en">' in visitor.get("/login").get_data(as_text=True)


def test_new_accounts_follow_their_librarys_language_until_they_choose(app, org, client_as):
    from lms.auth.importer import import_users_csv

    set_language(org["library"], "en")
    admin = client_as("admin")
    page = admin.get("/admin/users/new").get_data(as_text=True)
    assert re.search(r'<option selected value="">|<option value="" selected>', page)
    response = post_form(admin, "/admin/users/new", {
        "username": "baru", "full_name": "Orang Baru", "roles": ["librarian"], "unit_id": org["branch_a"].id,
        "locale": "", "password": "kata-sandi-yang-panjang-9"})
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    created = db.session.scalar(select(User).where(User.username == "baru"))
    assert created.locale == "" and organisations.locale_of(created) == "en"
    result = import_users_csv(b"username,full_name,email,roles,unit\nimpor,Orang Impor,,librarian,branch-a\n")
    assert not result.errors, result.errors
    imported = db.session.scalar(select(User).where(User.username == "impor"))
    assert imported.locale == "" and organisations.locale_of(imported) == "en"


def test_mail_is_in_the_recipients_library_language(app, org, other_org, make_user):
    set_language(org["library"], "en")
    ours = make_user("ani", unit=org["branch_a"])
    theirs = make_user("budi", unit=other_org["branch"])
    chose = make_user("citra", unit=org["branch_a"], locale="id")
    assert organisations.locales_for([ours.id, theirs.id, chose.id]) == {ours.id: "en", theirs.id: "id",
                                                                          chose.id: "id"}
    assert [organisations.locale_of(user) for user in (ours, theirs, chose)] == ["en", "id", "id"]


def test_demo_library_has_its_logo(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    organisation = db.session.scalar(select(Organisation).where(Organisation.logo.is_not(None)))
    stored = db.session.get(OrganisationLogo, organisation.logo)
    assert stored is not None and len(stored.data) < 8000
    assert runner.invoke(args=["demo"]).exit_code == 0 and logo_count() == 1


def test_an_organisation_admin_changes_their_own_librarys_logo_only(app, org, other_org, client_as):
    """The logo routes opt in like the settings page: an admin of ``lib`` alone uploads and
    removes ``lib``'s logo; ``lib-seb``'s is not found for them and nothing is stored."""
    from lms.auth.models import OrganisationRole

    admin = client_as("librarian")
    admin.user.organisation_roles.append(OrganisationRole(organisation_id=org["library"].id, role="admin"))
    db.session.commit()
    assert upload(admin, org["library"].id, image_bytes()).status_code == 302 and logo_count() == 1
    ours = f"/admin/organisations/{org['library'].id}"
    assert admin.post(f"{ours}/logo/remove", data={"remove-csrf_token": csrf_token(admin, ours)}).status_code == 302
    assert db.session.get(Organisation, org["library"].id).logo is None
    theirs = f"/admin/organisations/{other_org['library'].id}"
    assert admin.post(f"{theirs}/logo", data={"csrf_token": csrf_token(admin, ours),
                                              "logo": (io.BytesIO(image_bytes()), "logo.png")},
                      content_type="multipart/form-data").status_code == 404
    assert admin.post(f"{theirs}/logo/remove",
                      data={"remove-csrf_token": csrf_token(admin, ours)}).status_code == 404
    assert logo_count() == 1
