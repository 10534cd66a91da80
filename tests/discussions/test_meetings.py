"""Review meetings on boards: scheduling (local time stored in UTC), the record (minutes
and decisions rendered once), the link to a needs round or report offered through
``lms_discussion_links`` (and refused when not offered), the calendar file, upcoming
meetings, and who may do what."""
from __future__ import annotations

import re

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from lms.clock import aware, local_today, utcnow
from lms.extensions import db
from lms.plugins.discussions import boards, meetings, services
from lms.plugins.discussions.models import Meeting, Post, Thread
from lms.plugins.needs.models import NeedsRound
from tests.conftest import from_host, post_form


WHEN = datetime(2030, 3, 10, 10, 0)  # library time (Asia/Jakarta, UTC+7)
WHEN_UTC = datetime(2030, 3, 10, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def rounds(org):
    """Needs rounds: whole organisation (closed), branch-a (open), branch-b (closed),
    section-a1 (closed), the library unit (closed) and one not open yet."""
    today = local_today()

    def make(title, units, opens, closes):
        found = NeedsRound(title=title, opens_on=today + timedelta(days=opens), closes_on=today + timedelta(days=closes),
                           units=units)
        db.session.add(found)
        return found

    made = {
        "all": make("Putaran organisasi", [], -60, -30),
        "a_open": make("Putaran Cabang A", [org["branch_a"]], -3, 10),
        "b": make("Putaran Cabang B", [org["branch_b"]], -60, -30),
        "a1": make("Putaran Seksi A1", [org["section_a1"]], -60, -31),
        "lib": make("Putaran perpustakaan", [org["library"]], -90, -61),
        "later": make("Putaran nanti", [], 5, 20),
    }
    db.session.commit()
    return made


@pytest.fixture(autouse=True)
def _no_rate_limit(app):
    """Many meetings are scheduled at once here; the rate limit has its own tests (A)."""
    app.config["DISCUSSIONS_RATE_LIMIT"] = []


@pytest.fixture
def board_a(people, org):
    """A board for branch-a (and the units below it), every role."""
    return boards.create_board(people["adi"], name="Evaluasi Cabang A", unit_ids=[org["branch_a"].id])


@pytest.fixture
def board_all(people):
    return boards.create_board(people["adi"], name="Berbagi praktik baik")


def choice_keys(app, user) -> set[str]:
    with app.test_request_context():
        return {meetings.link_key(t.kind, t.ref) for t in meetings.link_choices(user)}


def rkey(needs_round) -> str:
    return f"needs_round:{needs_round.id}"


def schedule(app, user, board, link="", when=WHEN, **fields):
    with app.test_request_context():
        return meetings.create_meeting(user, board, title=fields.pop("title", "Evaluasi triwulan I"),
                                       meeting_at=when, place=fields.pop("place", "Ruang rapat, lantai 2"),
                                       agenda=fields.pop("agenda", "1. Hasil survei\n2. Rencana"), link=link)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the link choices -----------------------------------------------------------------------------

def test_trainers_and_admins_may_link_every_round_that_has_opened(app, people, rounds):
    expected = {rkey(r) for name, r in rounds.items() if name != "later"}
    for who in ("budi", "adi"):
        assert {k for k in choice_keys(app, people[who]) if k.startswith("needs_round:")} == expected


def test_supervisors_may_link_the_rounds_that_touch_their_units(app, people, rounds):
    sari = {k for k in choice_keys(app, people["sari"]) if k.startswith("needs_round:")}
    assert sari == {rkey(rounds[name]) for name in ("all", "a_open", "a1", "lib")}
    tono = {k for k in choice_keys(app, people["tono"]) if k.startswith("needs_round:")}
    assert tono == {rkey(rounds[name]) for name in ("all", "b", "lib")}


def test_librarians_are_offered_nothing(app, people, rounds):
    assert choice_keys(app, people["ani"]) == set()


def test_round_links_go_to_the_analysis_when_closed_and_the_round_when_open(app, people, rounds):
    with app.test_request_context():
        targets = {t.ref: t for t in meetings.link_choices(people["adi"]) if t.kind == "needs_round"}
    assert targets[str(rounds["all"].id)].url == f"/needs/analysis/?round={rounds['all'].id}"
    assert targets[str(rounds["a_open"].id)].url == f"/needs/rounds/{rounds['a_open'].id}"
    assert targets[str(rounds["a_open"].id)].label == "Putaran Cabang A"


def test_reports_are_offered_to_supervisors_and_admins(app, people):
    year = local_today().year
    reports = {"report:dashboard", f"report:annual-{year}", f"report:annual-{year - 1}"}
    assert choice_keys(app, people["sari"]) >= reports
    assert choice_keys(app, people["adi"]) >= reports
    assert not {k for k in choice_keys(app, people["budi"]) if k.startswith("report:")}
    with app.test_request_context():
        urls = {t.ref: t.url for t in meetings.link_choices(people["sari"]) if t.kind == "report"}
    assert urls["dashboard"] == "/reports/" and urls[f"annual-{year}"] == f"/reports/annual/?year={year}"


def test_the_supervisor_may_open_what_is_offered(app, people, rounds, signed_in):
    sari = signed_in("sari")
    with app.test_request_context():
        targets = meetings.link_choices(people["sari"])
    for target in targets:
        assert sari.get(target.url).status_code == 200, target


# --- scheduling -----------------------------------------------------------------------------------

def test_a_supervisor_schedules_a_meeting_linked_to_a_round(app, people, rounds, board_a):
    thread = schedule(app, people["sari"], board_a, link=rkey(rounds["a_open"]))
    db.session.expire_all()
    thread = db.session.get(Thread, thread.id)
    meeting = db.session.get(Meeting, thread.id)
    assert thread.kind == "meeting" and thread.board_id == board_a.id and thread.title == "Evaluasi triwulan I"
    assert aware(meeting.meeting_at) == WHEN_UTC
    assert meeting.place == "Ruang rapat, lantai 2"
    assert thread.posts[0].body_md == "1. Hasil survei\n2. Rencana" == meeting.agenda_md
    assert "<ol>" in meeting.agenda_html
    assert (meeting.link_kind, meeting.link_ref) == ("needs_round", str(rounds["a_open"].id))
    assert meeting.link_label == "Putaran Cabang A" and meeting.link_url == f"/needs/rounds/{rounds['a_open'].id}"


def test_a_meeting_without_a_link(app, people, board_all):
    thread = schedule(app, people["budi"], board_all)
    meeting = db.session.get(Meeting, thread.id)
    assert meeting.link_kind is None and meeting.link_url is None


@pytest.mark.parametrize("who", ["ani", "eko"])
def test_librarians_do_not_schedule_meetings(app, people, board_a, who):
    with pytest.raises(meetings.MeetingError):
        schedule(app, people[who], board_a)
    assert count(Thread) == 0 and count(Meeting) == 0


def test_nobody_schedules_on_a_board_they_cannot_see_or_an_archived_one(app, people, board_a):
    for who in ("tono", "budi"):  # branch-b supervisor; trainer of the library unit (above, not in)
        with pytest.raises(meetings.MeetingError):
            schedule(app, people[who], board_a)
    boards.set_archived(people["adi"], board_a, True)
    for who in ("sari", "adi"):
        with pytest.raises(meetings.MeetingError):
            schedule(app, people[who], board_a)
    assert count(Thread) == 0 and count(Meeting) == 0


def test_a_link_not_offered_to_the_user_is_refused(app, people, rounds, board_a):
    for key in (rkey(rounds["b"]), rkey(rounds["later"]), "needs_round:999999", "report:secret",
                "javascript:alert(1)", "needs_round"):
        with pytest.raises(meetings.MeetingError) as refused:
            schedule(app, people["sari"], board_a, link=key)
        assert refused.value.field == "link"
    assert count(Thread) == 0 and count(Meeting) == 0


@pytest.mark.parametrize("fields, error", [
    ({"place": "x" * 201}, meetings.MeetingError),
    ({"when": None}, meetings.MeetingError),
    ({"when": "2030-03-10"}, meetings.MeetingError),
    ({"agenda": "   "}, services.PostingError),
    ({"title": ""}, services.PostingError),
])
def test_bad_meeting_input_is_refused_with_nothing_stored(app, people, board_a, fields, error):
    with pytest.raises(error):
        schedule(app, people["sari"], board_a, **fields)
    db.session.rollback()
    assert count(Thread) == 0 and count(Meeting) == 0 and count(Post) == 0


# --- the record -----------------------------------------------------------------------------------

def test_minutes_and_decisions_are_rendered_once_and_sanitised(app, people, rounds, board_a):
    thread = schedule(app, people["sari"], board_a, link=rkey(rounds["a_open"]))
    meeting = db.session.get(Meeting, thread.id)
    with app.test_request_context():
        meetings.update_record(people["sari"], meeting, "**Hadir** 6 orang <script>alert(1)</script>",
                               "- Pelatihan MARC\n- Survei ulang", "report:dashboard",
                               meeting_at=datetime(2030, 3, 12, 14, 30), place="Aula")
    db.session.expire_all()
    meeting = db.session.get(Meeting, thread.id)
    assert "<strong>Hadir</strong>" in meeting.minutes_html and "<script" not in meeting.minutes_html
    assert meeting.decisions_html.count("<li>") == 2
    assert (meeting.link_kind, meeting.link_ref, meeting.link_url) == ("report", "dashboard", "/reports/")
    assert aware(meeting.meeting_at) == datetime(2030, 3, 12, 7, 30, tzinfo=timezone.utc)
    assert meeting.place == "Aula" and meeting.updated_by_id == people["sari"].id


def test_a_link_set_by_someone_else_stays_when_the_record_is_edited(app, people, rounds, board_a):
    thread = schedule(app, people["adi"], board_a, link=rkey(rounds["b"]))  # not offered to sari
    meeting = db.session.get(Meeting, thread.id)
    with app.test_request_context():
        meetings.update_record(people["sari"], meeting, "Catatan", "", rkey(rounds["b"]))
        assert meeting.link_ref == str(rounds["b"].id)
        with pytest.raises(meetings.MeetingError):  # but she cannot pick it anew elsewhere
            schedule(app, people["sari"], board_a, link=rkey(rounds["b"]))
        meetings.update_record(people["sari"], meeting, "Catatan", "", "")
    assert meeting.link_kind is None


def test_the_record_is_refused_to_others_and_bad_input_changes_nothing(app, people, board_a):
    thread = schedule(app, people["sari"], board_a)
    meeting = db.session.get(Meeting, thread.id)
    with app.test_request_context():
        for who in ("ani", "tono"):
            with pytest.raises(meetings.MeetingError):
                meetings.update_record(people[who], meeting, "Coba", "", "")
        with pytest.raises(meetings.MeetingError):
            meetings.update_record(people["sari"], meeting, "x" * 10_001, "", "")
        with pytest.raises(meetings.MeetingError):
            meetings.update_record(people["sari"], meeting, "Ok", "", "report:secret")
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Meeting, thread.id).minutes_md == ""


# --- upcoming meetings ----------------------------------------------------------------------------

def local_in(days: float) -> datetime:
    return meetings.to_local(utcnow() + timedelta(days=days)).replace(tzinfo=None, second=0, microsecond=0)


def test_upcoming_meetings_are_those_soon_on_visible_open_boards(app, people, board_a, board_all):
    soon = schedule(app, people["sari"], board_a, when=local_in(2), title="Segera")
    sooner = schedule(app, people["budi"], board_all, when=local_in(1), title="Lebih segera")
    schedule(app, people["sari"], board_a, when=local_in(-1), title="Lewat")
    schedule(app, people["sari"], board_a, when=local_in(45), title="Jauh")
    assert [item.thread.id for item in meetings.upcoming(people["ani"])] == [sooner.id, soon.id]
    assert [item.thread.id for item in meetings.upcoming(people["dodi"])] == [sooner.id]
    assert len(meetings.upcoming(people["ani"], days=60)) == 3
    boards.set_archived(people["adi"], board_a, True)
    assert [item.thread.id for item in meetings.upcoming(people["ani"])] == [sooner.id]


def test_the_home_page_shows_upcoming_meetings_once(app, people, board_a, signed_in):
    schedule(app, people["sari"], board_a, when=local_in(3), title="Rapat evaluasi")
    home = signed_in("sari").get("/").get_data(as_text=True)
    assert home.count('id="panel-discussion-meetings"') == 1 and "Rapat evaluasi" in home
    assert 'id="panel-discussion-meetings"' not in signed_in("dodi").get("/").get_data(as_text=True)


# --- the pages ------------------------------------------------------------------------------------

def test_the_meeting_form_offers_the_users_links_grouped(app, people, rounds, board_a, signed_in):
    page = signed_in("sari").get(f"/discussions/b/{board_a.slug}/meeting/new").get_data(as_text=True)
    assert 'id="meeting-form"' in page and re.search(r'<select [^>]*id="link"', page)
    assert f'value="{rkey(rounds["a_open"])}"' in page and f'value="{rkey(rounds["b"])}"' not in page
    assert "<optgroup" in page and 'value="report:dashboard"' in page
    assert 'type="datetime-local"' in page


def test_scheduling_through_the_form_then_the_thread_shows_the_link(app, people, rounds, board_a, signed_in):
    sari = signed_in("sari")
    path = f"/discussions/b/{board_a.slug}/meeting/new"
    response = post_form(sari, path, {"title": "Evaluasi program", "meeting_at": "2030-03-10T10:00",
                                      "place": "Aula", "agenda": "Membahas hasil putaran",
                                      "link": rkey(rounds["a_open"])})
    assert response.status_code == 302, response.get_data(as_text=True)
    thread = db.session.scalar(select(Thread).where(Thread.kind == "meeting"))
    assert response.headers["Location"].endswith(f"/discussions/thread/{thread.id}")
    assert aware(db.session.get(Meeting, thread.id).meeting_at) == WHEN_UTC
    page = signed_in("eko").get(f"/discussions/thread/{thread.id}").get_data(as_text=True)
    assert f'id="meeting-link" data-kind="needs_round" data-ref="{rounds["a_open"].id}" ' \
           f'href="/needs/rounds/{rounds["a_open"].id}"' in page
    assert 'id="meeting-ics"' in page and 'id="meeting-edit"' not in page  # eko is a librarian
    assert 'id="meeting-edit"' in sari.get(f"/discussions/thread/{thread.id}").get_data(as_text=True)
    listed = sari.get(f"/discussions/b/{board_a.slug}/").get_data(as_text=True)
    assert f'data-thread="{thread.id}" data-kind="meeting"' in listed


@pytest.mark.parametrize("data", [
    {"meeting_at": "", "link": ""},
    {"meeting_at": "10/03/2030", "link": ""},
    {"meeting_at": "2030-03-10T10:00", "link": "needs_round:999999"},
    {"meeting_at": "2030-03-10T10:00", "link": "", "agenda": ""},
])
def test_bad_meeting_forms_are_refused_with_messages(app, people, rounds, board_a, signed_in, data):
    form = {"title": "Evaluasi", "place": "", "agenda": "Agenda", **data}
    response = post_form(signed_in("sari"), f"/discussions/b/{board_a.slug}/meeting/new", form)
    assert response.status_code == 400
    assert 'class="errors"' in response.get_data(as_text=True)
    assert count(Thread) == 0 and count(Meeting) == 0


def test_who_may_open_the_meeting_pages(app, people, board_a, signed_in):
    thread = schedule(app, people["sari"], board_a)
    eko, dodi = signed_in("eko"), signed_in("dodi")
    assert eko.get(f"/discussions/b/{board_a.slug}/meeting/new").status_code == 403
    assert eko.get(f"/discussions/thread/{thread.id}/meeting").status_code == 403
    response = post_form(eko, f"/discussions/thread/{thread.id}/meeting", {"meeting_at": "2030-03-10T10:00",
                                                                           "minutes": "Diubah"},
                         token_from="/discussions/")
    assert response.status_code == 403
    assert dodi.get(f"/discussions/thread/{thread.id}/meeting").status_code == 404
    assert dodi.get(f"/discussions/thread/{thread.id}/meeting.ics").status_code == 404
    assert signed_in("adi").get("/discussions/thread/999999/meeting").status_code == 404
    assert db.session.get(Meeting, thread.id).minutes_md == ""


def test_a_thread_that_is_not_a_meeting_has_no_meeting_pages(app, people, board_a, signed_in):
    thread = services.create_thread(people["sari"], title="Biasa", body="Isi", board=board_a, kind="discussion")
    sari = signed_in("sari")
    assert sari.get(f"/discussions/thread/{thread.id}/meeting").status_code == 404
    assert sari.get(f"/discussions/thread/{thread.id}/meeting.ics").status_code == 404


def test_editing_the_record_through_the_form(app, people, rounds, board_a, signed_in):
    thread = schedule(app, people["sari"], board_a, link=rkey(rounds["a_open"]))
    sari = signed_in("sari")
    path = f"/discussions/thread/{thread.id}/meeting"
    page = sari.get(path).get_data(as_text=True)
    assert 'id="meeting-form"' in page and 'value="2030-03-10T10:00"' in page
    assert f'<option selected value="{rkey(rounds["a_open"])}"' in page or \
        f'value="{rkey(rounds["a_open"])}" selected' in page
    response = post_form(sari, path, {"meeting_at": "2030-03-10T13:00", "place": "Aula",
                                      "minutes": "Hadir *semua*", "decisions": "1. Lanjut",
                                      "link": rkey(rounds["all"])})
    assert response.status_code == 302
    db.session.expire_all()
    meeting = db.session.get(Meeting, thread.id)
    assert "<em>semua</em>" in meeting.minutes_html and meeting.link_ref == str(rounds["all"].id)
    assert aware(meeting.meeting_at) == datetime(2030, 3, 10, 6, 0, tzinfo=timezone.utc)
    page = signed_in("eko").get(f"/discussions/thread/{thread.id}").get_data(as_text=True)
    assert 'id="meeting-minutes"' in page and "<em>semua</em>" in page
    response = post_form(sari, path, {"meeting_at": "2030-03-10T13:00", "link": rkey(rounds["b"])})
    assert response.status_code == 400 and 'class="errors"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Meeting, thread.id).link_ref == str(rounds["all"].id)


# --- the calendar file ----------------------------------------------------------------------------

def test_the_calendar_file(app, people, board_a, signed_in):
    thread = schedule(app, people["sari"], board_a, title="Evaluasi; triwulan, I",
                      agenda="Baris satu\nBaris dua " + "panjang " * 20)
    response = signed_in("eko").get(f"/discussions/thread/{thread.id}/meeting.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert f'filename="meeting-{thread.id}.ics"' in response.headers["Content-Disposition"]
    raw = response.get_data()
    lines = raw.decode("utf-8").split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    unfolded = raw.decode("utf-8").replace("\r\n ", "")
    assert "DTSTART:20300310T030000Z" in unfolded and "DTEND:20300310T040000Z" in unfolded
    assert "SUMMARY:Evaluasi\\; triwulan\\, I" in unfolded
    assert "LOCATION:Ruang rapat\\, lantai 2" in unfolded
    assert "DESCRIPTION:Baris satu\\nBaris dua panjang" in unfolded
    assert f"/discussions/thread/{thread.id}" in unfolded
    assert f"UID:meeting-{thread.id}@" in unfolded


def test_the_calendar_file_names_the_configured_site_whatever_the_host(app, people, board_a, signed_in):
    """A calendar keeps the UID and link for good: they come from BASE_URL, not from Host."""
    app.config["BASE_URL"] = "https://pembina.example.go.id"
    thread = schedule(app, people["sari"], board_a, title="Rapat")
    response = from_host(signed_in("eko"), "evil.example").get(f"/discussions/thread/{thread.id}/meeting.ics")
    unfolded = response.get_data(as_text=True).replace("\r\n ", "")
    assert f"UID:meeting-{thread.id}@pembina.example.go.id" in unfolded
    assert f"URL:https://pembina.example.go.id/discussions/thread/{thread.id}" in unfolded
    assert "evil.example" not in unfolded


def test_local_time_conversion(app):
    assert meetings.from_local(WHEN) == WHEN_UTC
    assert meetings.to_local(WHEN_UTC).replace(tzinfo=None) == WHEN
    assert meetings.from_local(WHEN_UTC) == WHEN_UTC


# --- the rate limit on the record (issue 14, finding 3) -------------------------------------------

def test_saving_minutes_counts_against_the_rate_limit(app, people, board_a):
    thread = schedule(app, people["sari"], board_a)  # the agenda is one write
    meeting = db.session.get(Meeting, thread.id)
    app.config["DISCUSSIONS_RATE_LIMIT"] = [(3, 60)]
    with app.test_request_context():
        meetings.update_record(people["sari"], meeting, "Catatan 1", "", "")
        meetings.update_record(people["sari"], meeting, "Catatan 1", "Keputusan", "")
        # moving the meeting renders nothing and is not limited
        meetings.update_record(people["sari"], meeting, "Catatan 1", "Keputusan", "", place="Aula")
        with pytest.raises(services.PostingError) as refused:
            meetings.update_record(people["sari"], meeting, "Catatan 2", "Keputusan", "")
    assert 0 < refused.value.retry_after <= 61
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Meeting, thread.id).minutes_md == "Catatan 1"
    from lms.audit.models import AuditEntry
    saved = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "discussion.meeting_record_saved")
                               .order_by(AuditEntry.id)).all()
    # the text before is kept beside the log, where erasure can reach it (docs/privacy.md)
    assert [{p.key: p.value for p in entry.personal}["minutes_before"] for entry in saved] == ["", "Catatan 1"]


def test_minutes_flooding_through_the_form_answers_429(app, people, board_a, signed_in):
    thread = schedule(app, people["sari"], board_a)
    app.config["DISCUSSIONS_RATE_LIMIT"] = [(2, 60)]
    sari = signed_in("sari")
    path = f"/discussions/thread/{thread.id}/meeting"
    fields = {"meeting_at": "2030-03-10T10:00", "link": "", "decisions": ""}
    assert post_form(sari, path, {**fields, "minutes": "Satu"}).status_code == 302
    response = post_form(sari, path, {**fields, "minutes": "Dua"})
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 60
    assert "Dua" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Meeting, thread.id).minutes_md == "Satu"


def test_scheduling_too_fast_answers_429(app, people, board_a, signed_in):
    app.config["DISCUSSIONS_RATE_LIMIT"] = [(1, 60)]
    schedule(app, people["sari"], board_a)
    sari = signed_in("sari")
    path = f"/discussions/b/{board_a.slug}/meeting/new"
    response = post_form(sari, path, {"title": "Lagi", "meeting_at": "2030-03-11T10:00", "agenda": "Agenda",
                                      "place": "", "link": ""})
    assert response.status_code == 429 and response.headers["Retry-After"].isdigit()
