"""Staff boards: admins create, edit and archive them; who sees which board (units, roles,
the units above and below, supervisors), the lists with their counts, posting a thread on
a board, and every refusal with nothing changed."""
from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.plugins.discussions import boards, services
from lms.plugins.discussions.models import Board, BoardRole, BoardUnit, Post, Thread
from tests.conftest import post_form


@pytest.fixture(autouse=True)
def _no_rate_limit(app):
    """These tests post many threads at once; the rate limit has its own tests (A)."""
    app.config["DISCUSSIONS_RATE_LIMIT"] = []


@pytest.fixture
def board_a(people, org):
    """A board for branch-a (and the units below it), every role."""
    return boards.create_board(people["adi"], name="Evaluasi Cabang A", description="Evaluasi program",
                               unit_ids=[org["branch_a"].id], roles=[])


@pytest.fixture
def board_b(people, org):
    return boards.create_board(people["adi"], name="Berbagi Cabang B", unit_ids=[org["branch_b"].id], roles=[])


@pytest.fixture
def board_all(people):
    """A board for the whole library."""
    return boards.create_board(people["adi"], name="Berbagi praktik baik", unit_ids=[], roles=[])


def visible_slugs(user) -> set[str]:
    return {row.board.slug for row in boards.visible_boards(user)}


def count_rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- creating, editing, archiving -----------------------------------------------------------------

def test_an_admin_creates_a_board_with_units_roles_and_a_slug(people, org):
    board = boards.create_board(people["adi"], name="  Évaluasi Program Pembinaan ", description="Per triwulan",
                                unit_ids=[org["branch_b"].id, org["branch_a"].id, org["branch_a"].id],
                                roles=["supervisor", "librarian"])
    db.session.expire_all()
    board = db.session.get(Board, board.id)
    assert board.slug == "evaluasi-program-pembinaan"
    assert board.name == "Évaluasi Program Pembinaan"
    assert board.unit_ids == sorted([org["branch_a"].id, org["branch_b"].id])
    assert board.role_names == ["librarian", "supervisor"]
    assert board.created_by_id == people["adi"].id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "discussions.board_created"))
    assert entry.target_id == str(board.id) and entry.details["roles"] == ["librarian", "supervisor"]


def test_a_second_board_with_the_same_name_gets_a_numbered_slug(people):
    first = boards.create_board(people["adi"], name="Berbagi praktik baik")
    second = boards.create_board(people["adi"], name="Berbagi Praktik Baik!")
    third = boards.create_board(people["adi"], name="berbagi praktik baik")
    assert (first.slug, second.slug, third.slug) == ("berbagi-praktik-baik", "berbagi-praktik-baik-2",
                                                     "berbagi-praktik-baik-3")
    assert boards.create_board(people["adi"], name="!!!").slug == "forum"


@pytest.mark.parametrize("who", ["ani", "budi", "sari"])
def test_only_admins_manage_boards(people, board_a, who):
    with pytest.raises(boards.BoardError):
        boards.create_board(people[who], name="Liar")
    with pytest.raises(boards.BoardError):
        boards.update_board(people[who], board_a, name="Diubah")
    with pytest.raises(boards.BoardError):
        boards.set_archived(people[who], board_a, True)
    db.session.rollback()
    db.session.expire_all()
    assert count_rows(Board) == 1
    assert db.session.get(Board, board_a.id).name == "Evaluasi Cabang A"
    assert db.session.get(Board, board_a.id).archived_at is None


@pytest.mark.parametrize("fields, field", [
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "Ok", "description": "y" * 2001}, "description"),
    ({"name": "Ok", "unit_ids": [999_999]}, "unit_ids"),
    ({"name": "Ok", "roles": ["librarian", "root"]}, "roles"),
])
def test_bad_board_input_is_refused_with_nothing_stored(people, fields, field):
    with pytest.raises(boards.BoardError) as refused:
        boards.create_board(people["adi"], **fields)
    assert refused.value.field == field and str(refused.value.message)
    db.session.rollback()
    assert count_rows(Board) == 0 and count_rows(BoardUnit) == 0 and count_rows(BoardRole) == 0


def test_an_inactive_unit_cannot_be_chosen_but_may_stay_on_a_board(people, org, board_a):
    org["branch_b"].active = False
    db.session.commit()
    with pytest.raises(boards.BoardError):
        boards.create_board(people["adi"], name="Baru", unit_ids=[org["branch_b"].id])
    db.session.rollback()
    org["branch_a"].active = False
    db.session.commit()
    boards.update_board(people["adi"], board_a, name="Evaluasi A", unit_ids=[org["branch_a"].id], roles=["librarian"])
    assert board_a.unit_ids == [org["branch_a"].id] and board_a.role_names == ["librarian"]


def test_editing_keeps_the_slug_and_audits_the_audience_before_and_after(people, org, board_a):
    boards.update_board(people["adi"], board_a, name="Nama Baru", description="",
                        unit_ids=[org["branch_b"].id], roles=["supervisor"])
    db.session.expire_all()
    board = db.session.get(Board, board_a.id)
    assert board.slug == "evaluasi-cabang-a" and board.name == "Nama Baru"
    assert board.unit_ids == [org["branch_b"].id] and board.role_names == ["supervisor"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "discussions.board_updated"))
    assert entry.details["before"] == {"units": [org["branch_a"].id], "roles": []}
    assert entry.details["after"] == {"units": [org["branch_b"].id], "roles": ["supervisor"]}


def test_archiving_and_reopening(people, board_a):
    boards.set_archived(people["adi"], board_a, True)
    assert board_a.archived_at is not None
    with pytest.raises(services.PostingError):
        services.create_thread(people["ani"], title="Judul", body="Isi", board=board_a, kind="discussion")
    db.session.rollback()
    boards.set_archived(people["adi"], board_a, False)
    assert board_a.archived_at is None
    assert services.create_thread(people["ani"], title="Judul", body="Isi", board=board_a, kind="discussion").id
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"discussions.board_archived", "discussions.board_reopened"} <= actions


# --- who sees which board -------------------------------------------------------------------------

def test_unit_boards_are_seen_by_members_units_below_supervisors_and_admins(people, board_a, board_b, board_all):
    assert visible_slugs(people["ani"]) == {board_a.slug, board_all.slug}
    assert visible_slugs(people["eko"]) == {board_a.slug, board_all.slug}  # section-a1 is below branch-a
    assert visible_slugs(people["sari"]) == {board_a.slug, board_all.slug}
    assert visible_slugs(people["dodi"]) == {board_b.slug, board_all.slug}
    assert visible_slugs(people["tono"]) == {board_b.slug, board_all.slug}
    assert visible_slugs(people["budi"]) == {board_all.slug}  # the library unit is above, not in
    assert visible_slugs(people["adi"]) == {board_a.slug, board_b.slug, board_all.slug}


def test_a_role_limited_board_is_hidden_from_other_roles(people, org):
    supervisors = boards.create_board(people["adi"], name="Rapat pimpinan", roles=["supervisor"])
    branch_trainers = boards.create_board(people["adi"], name="Pelatih A", unit_ids=[org["branch_a"].id],
                                          roles=["trainer", "supervisor"])
    assert supervisors.slug in visible_slugs(people["sari"]) and supervisors.slug in visible_slugs(people["tono"])
    assert supervisors.slug not in visible_slugs(people["ani"]) | visible_slugs(people["budi"])
    assert branch_trainers.slug in visible_slugs(people["sari"])
    assert branch_trainers.slug not in visible_slugs(people["tono"]) | visible_slugs(people["ani"])


def test_board_rows_count_threads_and_the_last_post(people, board_a, board_all):
    services.create_thread(people["ani"], title="Satu", body="Isi satu", board=board_a, kind="discussion")
    second = services.create_thread(people["eko"], title="Dua", body="Isi dua", board=board_a, kind="discussion")
    rows = {row.board.slug: row for row in boards.visible_boards(people["ani"])}
    assert rows[board_a.slug].thread_count == 2 and rows[board_all.slug].thread_count == 0
    assert rows[board_all.slug].last_post_at is None
    assert rows[board_a.slug].last_post_at.replace(tzinfo=None) == second.last_post_at.replace(tzinfo=None)
    boards.set_archived(people["adi"], board_a, True)
    assert [row.board.slug for row in boards.visible_boards(people["ani"])] == [board_all.slug, board_a.slug]
    assert [row.board.slug for row in boards.visible_boards(people["ani"], include_archived=False)] == [board_all.slug]


def _queries(callable_) -> int:
    count = 0

    def count_it(*_args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", count_it)
    try:
        callable_()
    finally:
        event.remove(db.engine, "before_cursor_execute", count_it)
    return count


def test_the_board_list_takes_a_fixed_number_of_queries(people, org, signed_in):
    ani = signed_in("ani")

    def make(n):
        board = boards.create_board(people["adi"], name=f"Papan {n}", unit_ids=[org["branch_a"].id], roles=["librarian"])
        services.create_thread(people["ani"], title=f"Topik {n}", body="Isi", board=board, kind="discussion")

    make(1)
    db.session.expire_all()
    few_list = _queries(lambda: boards.visible_boards(people["ani"]))
    few_page = _queries(lambda: ani.get("/discussions/"))
    for n in range(2, 7):
        make(n)
    db.session.expire_all()
    assert _queries(lambda: boards.visible_boards(people["ani"])) == few_list
    assert _queries(lambda: ani.get("/discussions/")) == few_page


def test_the_audience_sentence_says_who_can_see(app, people, org):
    with force_locale("en"):
        assert boards.audience_summary([], []) == "Everyone in the library can see this board."
        text = boards.audience_summary([org["branch_a"], org["branch_b"]], ["supervisor", "librarian"])
        assert "librarians and supervisors" in text and "Cabang A and Cabang B" in text
        assert "Only trainers can see" in boards.audience_summary([], ["trainer"])
        assert "Everyone who belongs to Cabang A" in boards.audience_summary([org["branch_a"]], [])
    with force_locale("id"):  # translated once the lead merges the catalog; never empty
        assert boards.audience_summary([], [])


# --- the pages ------------------------------------------------------------------------------------

def test_the_index_lists_only_visible_boards_with_counts(people, signed_in, board_a, board_b, board_all):
    services.create_thread(people["ani"], title="Halo", body="Isi", board=board_a, kind="discussion")
    page = signed_in("ani").get("/discussions/").get_data(as_text=True)
    assert f'data-board="{board_a.slug}"' in page and f'data-board="{board_all.slug}"' in page
    assert f'data-board="{board_b.slug}"' not in page and "Berbagi Cabang B" not in page
    assert 'data-count="1"' in page
    assert 'id="manage-boards"' not in page
    assert 'id="manage-boards"' in signed_in("adi").get("/discussions/").get_data(as_text=True)


def test_the_index_shows_my_questions_and_recent_module_questions(people, marc, signed_in, board_a):
    mine = services.create_thread(people["ani"], title="Bagaimana subfield 245?", body="Tanya", module=marc)
    other = services.create_thread(people["eko"], title="Tag 100 untuk apa?", body="Tanya", module=marc)
    page = signed_in("ani").get("/discussions/").get_data(as_text=True)
    mine_part = page.split('id="my-questions"')[1].split("</section>")[0]
    recent_part = page.split('id="recent-questions"')[1].split("</section>")[0]
    assert f'data-thread="{mine.id}"' in mine_part and f'data-thread="{other.id}"' not in mine_part
    assert f'data-thread="{mine.id}"' in recent_part and f'data-thread="{other.id}"' in recent_part


def test_a_board_outside_ones_units_is_a_404(signed_in, board_a):
    dodi = signed_in("dodi")
    for path in (f"/discussions/b/{board_a.slug}/", f"/discussions/b/{board_a.slug}/new",
                 f"/discussions/b/{board_a.slug}/meeting/new", "/discussions/b/no-such-board/"):
        assert dodi.get(path).status_code == 404, path


def test_the_board_page_lists_its_threads_and_says_who_sees_it(people, signed_in, board_a, board_all):
    first = services.create_thread(people["ani"], title="Topik lama", body="Isi", board=board_a, kind="discussion")
    second = services.create_thread(people["eko"], title="Topik baru", body="Isi", board=board_a, kind="discussion")
    elsewhere = services.create_thread(people["ani"], title="Di papan lain", body="Isi", board=board_all,
                                       kind="discussion")
    response = signed_in("eko").get(f"/discussions/b/{board_a.slug}/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.index(f'data-thread="{second.id}"') < page.index(f'data-thread="{first.id}"')
    assert f'data-thread="{elsewhere.id}"' not in page
    assert 'id="board-audience"' in page and 'id="new-thread"' in page
    assert 'id="new-meeting"' not in page  # a librarian does not schedule meetings
    assert 'id="new-meeting"' in signed_in("sari").get(f"/discussions/b/{board_a.slug}/").get_data(as_text=True)


def test_a_thread_whose_opening_post_was_withdrawn_is_not_listed_for_readers(people, signed_in, board_a):
    thread = services.create_thread(people["ani"], title="Ditarik", body="Isi", board=board_a, kind="discussion")
    thread.posts[0].deleted_at = thread.created_at
    db.session.commit()
    assert f'data-thread="{thread.id}"' not in signed_in("eko").get(f"/discussions/b/{board_a.slug}/").get_data(as_text=True)
    assert f'data-thread="{thread.id}"' in signed_in("adi").get(f"/discussions/b/{board_a.slug}/").get_data(as_text=True)


def test_the_board_page_paginates(app, people, signed_in, board_all):
    app.config["DISCUSSIONS_PAGE_SIZE"] = 2
    for n in range(3):
        services.create_thread(people["ani"], title=f"Topik {n}", body="Isi", board=board_all, kind="discussion")
    ani = signed_in("ani")
    assert ani.get(f"/discussions/b/{board_all.slug}/").get_data(as_text=True).count('data-kind="discussion"') == 2
    assert ani.get(f"/discussions/b/{board_all.slug}/?page=2").get_data(as_text=True).count('data-kind="discussion"') == 1


def test_posting_a_thread_on_a_board(signed_in, board_a):
    ani = signed_in("ani")
    path = f"/discussions/b/{board_a.slug}/new"
    assert 'id="thread-form"' in ani.get(path).get_data(as_text=True)
    response = post_form(ani, path, {"title": "Layanan rujukan", "body": "Cara kami **menjawab** <script>x()</script>"})
    assert response.status_code == 302
    thread = db.session.scalar(select(Thread).where(Thread.title == "Layanan rujukan"))
    assert response.headers["Location"].endswith(f"/discussions/thread/{thread.id}")
    assert thread.board_id == board_a.id and thread.kind == "discussion" and thread.module_id is None
    assert "<strong>menjawab</strong>" in thread.posts[0].body_html and "<script" not in thread.posts[0].body_html


@pytest.mark.parametrize("data", [{"title": "Judul", "body": "   "}, {"title": "", "body": "Isi"},
                                  {"title": "Judul", "body": "x" * 10_001}])
def test_bad_board_threads_are_refused_with_a_message(signed_in, board_a, data):
    response = post_form(signed_in("ani"), f"/discussions/b/{board_a.slug}/new", data)
    assert response.status_code == 400
    assert 'class="errors"' in response.get_data(as_text=True)
    assert count_rows(Thread) == 0 and count_rows(Post) == 0


def test_no_new_thread_on_an_archived_board(people, signed_in, board_a):
    boards.set_archived(people["adi"], board_a, True)
    ani = signed_in("ani")
    page = ani.get(f"/discussions/b/{board_a.slug}/").get_data(as_text=True)
    assert 'id="board-archived"' in page and 'id="new-thread"' not in page
    assert 'id="thread-form"' not in ani.get(f"/discussions/b/{board_a.slug}/new").get_data(as_text=True)
    response = post_form(ani, f"/discussions/b/{board_a.slug}/new", {"title": "Judul", "body": "Isi"},
                         token_from="/discussions/")
    assert response.status_code == 303
    assert count_rows(Thread) == 0


# --- the admins' pages ----------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["ani", "budi", "sari"])
def test_board_admin_pages_are_for_admins_only(people, signed_in, board_a, who):
    client = signed_in(who)
    assert client.get("/discussions/boards/").status_code == 403
    assert client.get("/discussions/boards/new").status_code == 403
    assert client.get(f"/discussions/boards/{board_a.id}/edit").status_code == 403
    response = post_form(client, f"/discussions/boards/{board_a.id}/archive", {"archived": "1"},
                         token_from="/discussions/")
    assert response.status_code == 403
    response = post_form(client, "/discussions/boards/new", {"name": "Liar"}, token_from="/discussions/")
    assert response.status_code == 403
    assert count_rows(Board) == 1 and db.session.get(Board, board_a.id).archived_at is None


def test_an_admin_creates_a_board_through_the_form(org, signed_in):
    adi = signed_in("adi")
    page = adi.get("/discussions/boards/new").get_data(as_text=True)
    assert 'id="board-form"' in page and 'id="audience-summary"' in page
    assert f'value="{org["branch_a"].id}"' in page and 'value="supervisor"' in page
    response = post_form(adi, "/discussions/boards/new", {
        "name": "Evaluasi program pembinaan", "description": "Rapat triwulan",
        "unit_ids": [str(org["branch_a"].id), str(org["branch_b"].id)], "roles": ["supervisor", "trainer"]})
    assert response.status_code == 302
    board = db.session.scalar(select(Board))
    assert response.headers["Location"].endswith(f"/discussions/b/{board.slug}/")
    assert board.unit_ids == sorted([org["branch_a"].id, org["branch_b"].id])
    assert board.role_names == ["supervisor", "trainer"]
    assert 'id="boards-table"' in adi.get("/discussions/boards/").get_data(as_text=True)


def test_checking_who_can_see_a_board_saves_nothing(app, org, people, signed_in):
    people["adi"].locale = "en"  # the summary's wording is checked in English
    db.session.commit()
    adi = signed_in("adi")
    response = post_form(adi, "/discussions/boards/new", {"name": "Coba", "unit_ids": [str(org["branch_b"].id)],
                                                        "roles": ["librarian"], "preview": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and count_rows(Board) == 0
    summary = page.split('id="audience-summary"')[1].split("</div>")[0]
    assert "Only librarians" in summary and "Cabang B" in summary
    assert 'value="Coba"' in page  # the form keeps what was typed


@pytest.mark.parametrize("data", [
    {"name": ""},
    {"name": "Ok", "unit_ids": ["999999"]},
    {"name": "Ok", "unit_ids": ["abc"]},
    {"name": "Ok", "roles": ["root"]},
])
def test_bad_board_forms_are_refused_with_messages(signed_in, data):
    response = post_form(signed_in("adi"), "/discussions/boards/new", data)
    assert response.status_code == 400
    assert 'class="errors"' in response.get_data(as_text=True)
    assert count_rows(Board) == 0


def test_an_admin_edits_and_archives_a_board(org, signed_in, board_a):
    adi = signed_in("adi")
    path = f"/discussions/boards/{board_a.id}/edit"
    page = adi.get(path).get_data(as_text=True)
    assert 'value="Evaluasi Cabang A"' in page and "selected" in page
    response = post_form(adi, path, {"name": "Evaluasi A dan B", "description": "",
                                     "unit_ids": [str(org["branch_a"].id), str(org["branch_b"].id)], "roles": []})
    assert response.status_code == 302
    db.session.expire_all()
    board = db.session.get(Board, board_a.id)
    assert board.name == "Evaluasi A dan B" and len(board.unit_ids) == 2
    response = post_form(adi, f"/discussions/boards/{board_a.id}/archive", {"archived": "1"}, token_from="/discussions/boards/")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Board, board_a.id).archived_at is not None
    post_form(adi, f"/discussions/boards/{board_a.id}/archive", {"archived": "0"}, token_from="/discussions/boards/")
    db.session.expire_all()
    assert db.session.get(Board, board_a.id).archived_at is None
    assert adi.get("/discussions/boards/999999/edit").status_code == 404
    assert adi.get(f"/discussions/boards/{board_a.id}/archive").status_code == 405


def test_archiving_without_a_csrf_token_is_refused(signed_in, board_a):
    response = signed_in("adi").post(f"/discussions/boards/{board_a.id}/archive", data={"archived": "1"})
    assert response.status_code == 400
    assert db.session.get(Board, board_a.id).archived_at is None
