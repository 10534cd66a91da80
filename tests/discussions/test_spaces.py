"""Each library its own discussion space on a shared course (docs/organisations.md, section
4): a module thread is shown to the people of the organisation it was started in, to those
who teach or administer there, to supervisors of its units and to install-wide trainers and
admins - nobody else, on any page, in search or by its URL."""
from __future__ import annotations

from sqlalchemy import select

from lms.auth.models import OrganisationRole, UnitSupervisor
from lms.extensions import db
from lms.plugins.discussions import access, services
from lms.plugins.discussions.models import Thread
from tests.conftest import OTHER_MARKER, login


def _client(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_a_module_thread_stays_in_its_library(app, people, marc, other_org, make_user):
    seb = make_user("sebastian", unit=other_org["section"], full_name=f"Sebastian {OTHER_MARKER}")
    make_user("sekar", unit=other_org["branch"], full_name=f"Sekar {OTHER_MARKER}")
    theirs = services.create_thread(seb, title=f"Pertanyaan {OTHER_MARKER}", body="Bagaimana mengisi ruas 245?",
                                    module=marc)
    ours = services.create_thread(people["ani"], title="Pertanyaan kami", body="Bagaimana mengisi ruas 100?",
                                  module=marc)
    assert theirs.organisation_id == other_org["library"].id
    assert ours.organisation_id == people["ani"].unit.organisation_id

    for username in ("ani", "dodi", "sari"):  # a colleague, another branch, a supervisor
        client = _client(app, username)
        for url in (f"/discussions/module/{marc.id}/", "/discussions/", "/courses/contoh/marc/",
                    "/discussions/search?q=ruas", "/"):
            page = client.get(url).get_data(as_text=True)
            assert OTHER_MARKER not in page, (username, url)
        assert "Pertanyaan kami" in client.get(f"/discussions/module/{marc.id}/").get_data(as_text=True)
        assert client.get(f"/discussions/thread/{theirs.id}").status_code == 404, username
        assert client.get(f"/discussions/post/{theirs.posts[0].id}/edit").status_code == 404, username

    colleague = _client(app, "sekar")
    assert f"Pertanyaan {OTHER_MARKER}" in colleague.get(f"/discussions/module/{marc.id}/").get_data(as_text=True)
    assert "Pertanyaan kami" not in colleague.get(f"/discussions/module/{marc.id}/").get_data(as_text=True)
    assert colleague.get(f"/discussions/thread/{theirs.id}").status_code == 200
    assert colleague.get(f"/discussions/thread/{ours.id}").status_code == 404

    for username in ("budi", "adi"):  # install-wide trainer and admin read every space
        page = _client(app, username).get(f"/discussions/module/{marc.id}/").get_data(as_text=True)
        assert f"Pertanyaan {OTHER_MARKER}" in page and "Pertanyaan kami" in page, username


def test_the_other_library_can_neither_open_nor_reply(app, people, marc, other_org,
                                                      make_user):
    seb = make_user("sebastian", unit=other_org["section"])
    ours = services.create_thread(people["ani"], title="Pertanyaan kami", body="Bagaimana mengisi ruas 100?",
                                  module=marc)
    client = _client(app, "sebastian")
    assert client.get(f"/discussions/thread/{ours.id}").status_code == 404
    assert access.can_reply(seb, ours) is False


def test_scoped_trainers_admins_and_supervisors_read_the_spaces_they_serve(app, people, marc, other_org,
                                                                          make_user):
    seb = make_user("sebastian", unit=other_org["section"])
    theirs = services.create_thread(seb, title="Pertanyaan", body="Bagaimana mengisi ruas 245?", module=marc)
    trainer = make_user("pelatih", roles=(), unit=people["ani"].unit)
    supervisor = make_user("penyelia", roles=("supervisor",), unit=people["ani"].unit)
    assert not access.can_see_thread(trainer, theirs)
    assert not access.can_see_thread(supervisor, theirs)
    db.session.add_all([OrganisationRole(user_id=trainer.id, organisation_id=other_org["library"].id, role="trainer"),
                        UnitSupervisor(unit_id=other_org["branch"].id, user_id=supervisor.id)])
    db.session.commit()
    db.session.expire_all()
    for user in (trainer, supervisor):
        assert access.can_see_thread(user, theirs)
        assert theirs.id in db.session.scalars(select(Thread.id).where(access.visible_threads_clause(user))).all()


def test_the_migration_puts_existing_module_threads_in_their_authors_space(tmp_path, course_root):
    """0027 on a database with threads: a module thread takes its author's organisation, a
    board thread and an author without a unit stay without one."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from lms import organisations
    from lms.auth.models import Unit, User
    from lms.plugins.courses.models import Module
    from lms.plugins.courses.services import import_courses
    from tests.test_migrations import _empty_app, _scripts

    before = next(script.down_revision for script in _scripts()
                  if script.revision == "0027_discussion_organisations")
    with _empty_app(tmp_path):
        # Down to the revision just below 0027 from the head: the later revisions keep their
        # columns when taken down, so today's models can still write the rows below.
        upgrade()
        downgrade(revision=before)
        report = import_courses([course_root])
        assert report.ok, report.problems
        library = Unit(code="lib", name="Perpustakaan", kind="library")
        db.session.add(library)
        db.session.flush()
        db.session.add_all([User(username="ani", full_name="Ani", unit=library),
                            User(username="tamu", full_name="Tamu", unit=None)])
        organisations.assign_organisations()
        db.session.commit()
        library_id = library.id
        module_id = db.session.scalar(select(Module.id).where(Module.slug == "marc"))
        ids = {name: db.session.scalar(select(User.id).where(User.username == name)) for name in ("ani", "tamu")}
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO discussion_boards (name, slug, description, position, created_at) "
                              "VALUES ('Papan', 'papan', '', 0, CURRENT_TIMESTAMP)"))
            for title, author, column, target in (("ani", ids["ani"], "module_id", module_id),
                                                  ("tamu", ids["tamu"], "module_id", module_id),
                                                  ("papan", ids["ani"], "board_id", 1)):
                conn.execute(text(f"INSERT INTO discussion_threads ({column}, kind, title, author_id, created_at, "
                                  "last_post_at, reply_count) VALUES (:target, 'question', :title, :author, "
                                  "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)"),
                             {"target": target, "title": title, "author": author})
        db.session.remove()
        upgrade()
        found = dict(db.session.execute(select(Thread.title, Thread.organisation_id)).all())
        assert found == {"ani": library_id, "tamu": None, "papan": None}
