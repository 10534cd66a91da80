"""Discussion search: Indonesian stemming, accents, the prefix on the last word, query syntax
that must stay text, visibility by board, hidden and deleted posts, grouping, ranking,
paging, snippets and the page itself - on SQLite (FTS5) and PostgreSQL (tsvector) alike."""
from __future__ import annotations

import pytest
from markupsafe import Markup
from sqlalchemy import event, update

from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.discussions import search as search_service
from lms.plugins.discussions import services
from lms.plugins.discussions.models import Board, BoardUnit, Post, Thread
from lms.plugins.discussions.search import SearchError, parse_query, reindex_all, snippet

SYNTAX_QUERIES = ['"', 'katalog"', '"katalog', "*", "katalog*", "katalog AND buku", "NEAR(katalog buku)",
                  "NEAR(", "-katalog", "katalog -buku", "search_text:katalog", "katalog:*", "'", "katalog'",
                  "!katalog & | (", "\\", "^katalog", "OR", "NOT katalog", "(katalog", "katalog)", "{katalog}",
                  "a:b:c", "<->", "katalog <-> buku", "'';--", "%", "_", "katalog +", "+", "&&", "||"]


@pytest.fixture
def search_app(app, people, marc):
    """Posting without the rate limit (these tests write many posts quickly)."""
    app.config["DISCUSSIONS_RATE_LIMIT"] = []
    return app


@pytest.fixture
def branch_b_board(search_app, org):
    board = Board(slug="forum-cabang-b", name="Forum Cabang B", description="")
    board.units.append(BoardUnit(unit_id=org["branch_b"].id))
    db.session.add(board)
    db.session.commit()
    return board


def ask(author, title, body, module=None, board=None, kind="question") -> Thread:
    return services.create_thread(author, title=title, body=body, module=module, board=board, kind=kind)


def find(app, user, query, **kwargs):
    """search() as a view calls it (URLs need a request)."""
    with app.test_request_context("/discussions/search"):
        return search_service.search(user, query, **kwargs)


def found_ids(app, user, query, **kwargs) -> list[int]:
    return [hit.thread_id for hit in find(app, user, query, **kwargs).hits]


# --- words --------------------------------------------------------------------------------

def test_stemmed_forms_find_each_other(search_app, people, marc):
    thread = ask(people["ani"], "Koleksi langka", "Bagaimana cara mengkatalogkan naskah kuno?", module=marc)
    ask(people["ani"], "Hal lain", "Jadwal pelatihan bulan depan", module=marc)

    for query in ("katalog", "Katalognya", "mengkatalogkan", "dikatalogkan naskah", "KATALOG KUNO"):
        assert found_ids(search_app, people["eko"], query) == [thread.id], query
    hit = find(search_app, people["eko"], "katalog").hits[0]
    assert "<mark>mengkatalogkan</mark>" in hit.snippet


def test_accents_are_folded_both_ways(search_app, people, marc):
    thread = ask(people["ani"], "Kunjungan", "Diskusi buku di café literasi dan résumé acara", module=marc)

    assert found_ids(search_app, people["eko"], "cafe") == [thread.id]
    assert found_ids(search_app, people["eko"], "CAFÉ resume") == [thread.id]
    assert found_ids(search_app, people["eko"], "résumé") == [thread.id]
    hit = find(search_app, people["eko"], "cafe").hits[0]
    assert "<mark>café</mark>" in hit.snippet  # marked as written


def test_last_word_matches_as_a_prefix_only(search_app, people, marc):
    thread = ask(people["ani"], "Pertanyaan", "Tentang katalog perpustakaan daerah", module=marc)

    assert found_ids(search_app, people["eko"], "katal") == [thread.id]
    assert found_ids(search_app, people["eko"], "daerah katal") == [thread.id]
    assert found_ids(search_app, people["eko"], "perpus") == [thread.id]  # stemmed: pustaka
    assert found_ids(search_app, people["eko"], "katal daerah") == []  # only the last word is a prefix
    assert found_ids(search_app, people["eko"], "katalogisasi") == []


def test_every_word_is_required(search_app, people, marc):
    both = ask(people["ani"], "Rak", "Penataan rak referensi", module=marc)
    ask(people["ani"], "Rak lain", "Penataan rak fiksi", module=marc)

    assert found_ids(search_app, people["eko"], "rak referensi") == [both.id]
    assert found_ids(search_app, people["eko"], "rak zebra") == []


def test_title_words_are_found_and_marked(search_app, people, marc):
    thread = ask(people["ani"], "Pertanyaan tentang RDA", "Mohon penjelasannya.", module=marc)

    page = find(search_app, people["eko"], "rda")
    assert [hit.thread_id for hit in page.hits] == [thread.id]
    assert page.hits[0].title_marked == Markup("Pertanyaan tentang <mark>RDA</mark>")
    assert "Mohon" in page.hits[0].snippet  # the start of the post when only the title matched


@pytest.mark.parametrize("query", SYNTAX_QUERIES)
def test_query_syntax_is_text_never_an_error(search_app, people, marc, query):
    thread = ask(people["ani"], "Buku", "Cara katalog buku", module=marc)

    page = find(search_app, people["eko"], query)  # raises nothing
    assert page.total == len(page.hits)
    if query in ('katalog"', '"katalog', "katalog*", "-katalog", "katalog:*", "katalog'", "^katalog",
                 "(katalog", "katalog)", "{katalog}", "katalog +", "katalog -buku"):
        assert [hit.thread_id for hit in page.hits] == [thread.id], query


@pytest.mark.parametrize("query", ['"', "NEAR(katalog", "katalog:* & !", "' OR 1=1 --", "-"])
def test_query_syntax_on_the_page(search_app, signed_in, query):
    client = signed_in("eko")
    response = client.get("/discussions/search", query_string={"q": query})
    assert response.status_code == 200


def test_parse_query_keeps_only_words():
    assert parse_query('NEAR("katalog" * -buku:') == (
        search_service.Term("near"), search_service.Term("katalog"), search_service.Term("buku", ("buku",)))
    assert parse_query('" * : - ( )') == ()
    assert search_service.fts5_query(parse_query('katalog "buku')) == '"katalog" AND ("buku"*)'
    assert search_service.tsquery(parse_query("katalog buku:*")) == "'katalog' & ('buku':*)"
    # the last word matches its stem or the word as typed; the shorter covers the longer
    assert parse_query("perpus")[-1].prefixes == ("pus", "perpus")
    assert parse_query("katalognya")[-1].prefixes == ("katalog",)
    assert parse_query("a")[-1].prefixes == ()  # too short for a prefix: the whole word


# --- who sees what --------------------------------------------------------------------------

def test_board_threads_only_for_those_who_may_see_the_board(search_app, people, branch_b_board):
    thread = ask(people["dodi"], "Rapat evaluasi", "Evaluasi program pembinaan triwulan", board=branch_b_board,
                 kind="discussion")

    for name in ("dodi", "tono", "adi"):
        assert found_ids(search_app, people[name], "evaluasi pembinaan") == [thread.id], name
    for name in ("ani", "eko", "sari", "budi"):
        page = find(search_app, people[name], "evaluasi pembinaan")
        assert page.hits == [] and page.total == 0, name


def test_board_hit_says_where_it_lives(search_app, people, branch_b_board, marc):
    on_board = ask(people["dodi"], "Praktik baik", "Layanan keliling ke sekolah", board=branch_b_board,
                   kind="discussion")
    on_module = ask(people["ani"], "Layanan keliling", "Apakah modul ini membahas layanan keliling?", module=marc)

    hits = {hit.thread_id: hit for hit in find(search_app, people["tono"], "layanan keliling").hits}
    assert set(hits) == {on_board.id, on_module.id}
    assert (hits[on_board.id].where_kind, hits[on_board.id].where) == ("board", "Forum Cabang B")
    assert hits[on_board.id].where_url == "/discussions/b/forum-cabang-b/"
    assert hits[on_module.id].where_kind == "module"
    assert hits[on_module.id].where == "Mengenal MARC 21"
    assert hits[on_module.id].where_url == f"/discussions/module/{marc.id}/"
    assert hits[on_module.id].url.startswith(f"/discussions/thread/{on_module.id}#post-")


def test_hidden_and_deleted_posts_never_match(search_app, people, marc):
    thread = ask(people["ani"], "Sampul", "Perbaikan sampul buku", module=marc)
    hidden = services.reply(people["budi"], thread, "Gunakan lem khusus arsip")
    deleted = services.reply(people["eko"], thread, "Saya pakai selotip bening")
    assert found_ids(search_app, people["dodi"], "lem arsip") == [thread.id]
    assert found_ids(search_app, people["dodi"], "selotip") == [thread.id]

    now = utcnow()
    db.session.execute(update(Post).where(Post.id == hidden.id).values(hidden_at=now, hidden_reason="uji"))
    db.session.execute(update(Post).where(Post.id == deleted.id).values(deleted_at=now))
    db.session.commit()

    for user in ("dodi", "adi", "budi"):  # moderators neither
        assert found_ids(search_app, people[user], "lem arsip") == []
        assert found_ids(search_app, people[user], "selotip") == []
    assert found_ids(search_app, people["dodi"], "sampul") == [thread.id]  # the visible first post

    db.session.execute(update(Post).where(Post.id == hidden.id).values(hidden_at=None))
    db.session.commit()
    assert found_ids(search_app, people["dodi"], "lem arsip") == [thread.id]  # unhidden: found again


def test_thread_with_a_hidden_first_post_is_withdrawn(search_app, people, marc):
    thread = ask(people["ani"], "Judul unik zamrud", "Isi pertama", module=marc)
    services.reply(people["budi"], thread, "Balasan biasa")
    db.session.execute(update(Post).where(Post.thread_id == thread.id, Post.body_md == "Isi pertama")
                       .values(hidden_at=utcnow()))
    db.session.commit()
    assert found_ids(search_app, people["eko"], "zamrud") == []
    assert found_ids(search_app, people["eko"], "balasan biasa") == []  # withdrawn: not by its replies either


# --- grouping, ranking, paging ----------------------------------------------------------------

def test_one_hit_per_thread_with_its_best_post(search_app, people, marc):
    thread = ask(people["ani"], "Inventaris", "Inventaris tahunan", module=marc)
    services.reply(people["budi"], thread, "Inventaris dilakukan tiap Januari")
    best = services.reply(people["eko"], thread, "Inventaris inventaris inventaris: ulangi inventaris")
    services.reply(people["dodi"], thread, "Terima kasih")

    page = find(search_app, people["sari"], "inventaris")
    assert page.total == 1
    [hit] = page.hits
    assert (hit.thread_id, hit.matches) == (thread.id, 3)
    assert hit.post_id == best.id
    assert hit.url.endswith(f"#post-{best.id}")


def test_more_relevant_threads_come_first(search_app, people, marc):
    weak = ask(people["ani"], "Catatan", "Soal sirkulasi ada juga di rapat; " + "lain " * 40, module=marc)
    strong = ask(people["eko"], "Sirkulasi", "Sirkulasi harian: sirkulasi pagi dan sirkulasi sore", module=marc)

    assert found_ids(search_app, people["sari"], "sirkulasi") == [strong.id, weak.id]


def test_pages_and_total(search_app, people, marc):
    made = {ask(people["ani"], f"Topik {n}", f"Pengadaan koleksi nomor {n}", module=marc).id for n in range(23)}
    ask(people["ani"], "Lain", "Tidak relevan", module=marc)

    first = find(search_app, people["eko"], "pengadaan", per_page=10)
    second = find(search_app, people["eko"], "pengadaan", page=2, per_page=10)
    third = find(search_app, people["eko"], "pengadaan", page=3, per_page=10)
    past = find(search_app, people["eko"], "pengadaan", page=9, per_page=10)
    assert (first.total, first.pages, len(first.hits), len(second.hits), len(third.hits)) == (23, 3, 10, 10, 3)
    seen = [hit.thread_id for page in (first, second, third) for hit in page.hits]
    assert len(seen) == len(set(seen)) and set(seen) == made
    assert (first.has_prev, first.has_next, third.has_next) == (False, True, False)
    assert past.hits == [] and past.total == 23


def test_two_queries_whatever_the_number_of_hits(search_app, people, marc):
    for n in range(3):
        ask(people["ani"], f"Pelestarian {n}", "Pelestarian arsip", module=marc)

    def statements(count_threads: int) -> int:
        seen: list[str] = []

        def note(conn, cursor, statement, *args):
            if "discussion_posts" in statement:
                seen.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", note)
        try:
            page = find(search_app, people["eko"], "pelestarian", per_page=2)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert page.total == count_threads
        return len(seen)

    few = statements(3)
    for n in range(3, 12):
        ask(people["ani"], f"Pelestarian {n}", "Pelestarian arsip", module=marc)
    assert few == statements(12) == 2  # the hits, and the count


# --- snippets -------------------------------------------------------------------------------

def test_snippet_is_escaped_then_marked_around_the_first_match():
    text = " ".join(f"kata{n}" for n in range(60)) + " <b>menyiangi</b> & koleksi " + " ".join(
        f"akhir{n}" for n in range(60))
    shown = snippet(text, parse_query("siang koleksi"))
    assert isinstance(shown, Markup)
    assert shown.startswith("… ") and shown.endswith(" …")
    assert "&lt;b&gt;<mark>menyiangi</mark>&lt;/b&gt; &amp; <mark>koleksi</mark>" in shown
    assert "<b>" not in shown
    assert 25 <= len(shown.split()) <= 34
    assert "… kata52 " in shown and "kata51 " not in shown  # eight words of context before it


def test_snippet_of_a_short_text_is_all_of_it():
    assert snippet("Buku baru datang", parse_query("buku")) == Markup("<mark>Buku</mark> baru datang")
    assert snippet("", parse_query("buku")) == Markup("")


def test_post_html_is_not_trusted_in_snippets(search_app, people, marc):
    ask(people["ani"], "Kode", "Contoh `<script>alert(1)</script>` dalam katalog\n\n<img src=x onerror=alert(2)>",
        module=marc)
    [hit] = find(search_app, people["eko"], "katalog").hits
    assert "<script" not in hit.snippet and "<img" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet


# --- limits and the page ----------------------------------------------------------------------

def test_query_length_limit(search_app, people):
    with pytest.raises(SearchError):
        find(search_app, people["eko"], "a" * 201)
    assert find(search_app, people["eko"], "a" * 200).hits == []


def test_page_asks_for_a_sign_in(client):
    response = client.get("/discussions/search?q=katalog")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_page_without_a_query_shows_the_form(search_app, signed_in):
    client = signed_in("eko")
    for url in ("/discussions/search", "/discussions/search?q=", "/discussions/search?q=+++"):
        page = client.get(url).get_data(as_text=True)
        assert 'id="discussion-search-q"' in page and 'id="search-help"' in page
        assert 'id="search-results"' not in page and 'id="search-empty"' not in page


def test_page_refuses_a_long_query(search_app, signed_in):
    client = signed_in("eko")
    response = client.get("/discussions/search", query_string={"q": "katalog " * 40})
    assert response.status_code == 400
    assert 'id="search-error"' in response.get_data(as_text=True)


def test_page_lists_hits_with_where_and_marks(search_app, people, signed_in, branch_b_board, marc):
    board_thread = ask(people["dodi"], "Rapat <b>evaluasi</b>", "Notulen evaluasi", board=branch_b_board,
                       kind="meeting")
    module_thread = ask(people["ani"], "Evaluasi modul", "Evaluasi modul MARC", module=marc)

    page = signed_in("tono").get("/discussions/search?q=evaluasi").get_data(as_text=True)
    assert 'data-total="2"' in page
    assert f'data-thread="{board_thread.id}"' in page and f'data-thread="{module_thread.id}"' in page
    assert 'data-where="board"' in page and "Forum Cabang B" in page
    assert 'data-where="module"' in page and "Mengenal MARC 21" in page
    assert "Rapat &lt;b&gt;<mark>evaluasi</mark>&lt;/b&gt;" in page  # the title escaped, then marked
    assert f'href="/discussions/thread/{module_thread.id}#post-' in page
    assert 'value="evaluasi"' in page  # the box keeps the query

    other = signed_in("ani").get("/discussions/search?q=evaluasi").get_data(as_text=True)
    assert f'data-thread="{module_thread.id}"' in other
    assert f'data-thread="{board_thread.id}"' not in other and "Forum Cabang B" not in other


def test_page_says_nothing_was_found_with_the_query_escaped(search_app, signed_in):
    response = signed_in("eko").get("/discussions/search", query_string={"q": "<i>tidakada</i>"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="search-empty"' in page
    assert "&lt;i&gt;tidakada&lt;/i&gt;" in page and "<i>tidakada" not in page


def test_page_is_paginated(search_app, people, signed_in, marc):
    for n in range(23):
        ask(people["ani"], f"Topik {n}", f"Penyiangan koleksi {n}", module=marc)
    client = signed_in("eko")
    first = client.get("/discussions/search?q=penyiangan").get_data(as_text=True)
    assert first.count("data-thread=") == 20  # DISCUSSIONS_PAGE_SIZE
    assert "page=2" in first and "q=penyiangan" in first
    second = client.get("/discussions/search?q=penyiangan&page=2").get_data(as_text=True)
    assert second.count("data-thread=") == 3
    assert client.get("/discussions/search?q=penyiangan&page=x").status_code == 200  # bad page: the first


# --- reindex ----------------------------------------------------------------------------------

def test_reindex_all_rebuilds_search_text(search_app, people, marc):
    thread = ask(people["ani"], "Judul gudang", "Penyimpanan di gudang", module=marc)
    reply = services.reply(people["budi"], thread, "Atur kelembapan ruangan")
    db.session.execute(update(Post).values(search_text=""))
    db.session.commit()
    assert found_ids(search_app, people["eko"], "gudang") == []

    assert reindex_all() == 2
    assert found_ids(search_app, people["eko"], "judul gudang") == [thread.id]
    assert found_ids(search_app, people["eko"], "lembap") == [thread.id]
    assert db.session.get(Post, reply.id).search_text == "atur lembap ruang"
    assert "judul" not in db.session.get(Post, reply.id).search_text  # the title goes with the first post only


def test_reindex_command(search_app, people, marc):
    thread = ask(people["ani"], "Pustaka digital", "Repositori lokal", module=marc)
    db.session.execute(update(Post).values(search_text="x"))
    db.session.commit()
    result = search_app.test_cli_runner().invoke(args=["discussions", "reindex"])
    assert result.exit_code == 0 and "1" in result.output
    assert found_ids(search_app, people["eko"], "repositori") == [thread.id]
