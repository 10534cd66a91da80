"""Time that grows with the size of hostile Markdown (issue 14, finding 2).

Each test renders or scans one shape at two sizes and fails when doubling the size more
than triples the time (the minimum of a few runs, to tame a noisy machine): linear code
stays near 2, quadratic code near 4. The shapes are runs of the characters that open
Markdown constructs, repeated without what would close them.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from lms.markdown_html import (
    BLOCK_LIMIT,
    NESTING_LIMIT,
    deep_lines,
    find_references,
    long_blocks,
    render_markdown,
)
from lms.plugins.courses.framework import Framework
from lms.plugins.courses.parsing import CourseSource, check_references, parse_module_text
from lms.plugins.courses.quizparse import parse_quiz_block
from lms.plugins.discussions.rendering import render_post

SMALL, LARGE = 5_000, 10_000
MAX_MODULE_CHARS = 400_000  # the editor's limit (lms.plugins.courses.forms)
FRONT_MATTER = "---\ntitle: T\nobjectives: [a]\ncompetencies: []\nminutes: 5\n---\n## L\n"
SHAPES = ["[", "]", "(", "[a](", "![a](", "<", "*", "_", "`", "~~", "==", "^", "&", "\\", "[[[[", "<a",
          "<!--", "](", "[a]: b\n", "|", "> ", "#", "&amp;", "<http://", "[^", "*[a]: b\n", "[a](<",
          "[a](b ", "[a](b \"", "![", "[a][", "- [ ] ", "    ", "{", "{: #a", "!!! ", "??? "]


def fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def best_time(action, text: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action(text)
        times.append(time.perf_counter() - start)
    return min(times)


def growth(action, unit: str, small_size: int = SMALL, make=fill, runs: int = 5, floor: float = 0.005) -> float:
    """How much longer ``action`` takes on twice the text: the lowest of up to three
    measurements, because a shared machine can only make a linear ratio look worse, never a
    quadratic one look better (linear stays near 2, quadratic near 4)."""
    ratios = []
    for _ in range(3):
        small = best_time(action, make(unit, small_size), runs)
        ratios.append(best_time(action, make(unit, 2 * small_size), runs) / max(small, floor))  # below floor: noise
        if ratios[-1] <= 3:
            break
    return min(ratios)


def check_module_text(text: str) -> None:
    """What the editor's check does before rendering: parse, then check every reference."""
    problems: list[str] = []
    module = parse_module_text(Path("c/01-m.md"), FRONT_MATTER + text, Framework(), problems, 1)
    check_references(CourseSource(path=Path("c"), slug="c", meta={}, intro="", text="", modules=[module]),
                      problems)


@pytest.mark.parametrize("unit", SHAPES)
def test_finding_references_grows_linearly(unit):
    assert growth(find_references, unit) <= 3


@pytest.mark.parametrize("unit", ["[", "[a](", "![a](", "[[[[", "[a](b", "["])
def test_finding_references_in_the_editors_largest_module_grows_linearly(unit):
    # up to the editor's limit: quadratic code took 276 s for 60,000 `[` alone
    assert growth(lambda text: find_references(FRONT_MATTER + text), unit, MAX_MODULE_CHARS // 2, runs=1) <= 3


@pytest.mark.parametrize("unit", ["[a](", "![a](", "[", "1. a\n"])
def test_checking_a_module_grows_linearly(app, unit):
    with app.app_context():
        assert growth(check_module_text, unit, 10 * SMALL) <= 3  # larger: a few ms are noise


def list_lines(unit: str, size: int) -> str:
    return unit * size + "x"


def space_run(unit: str, size: int) -> str:
    return "- " + unit * size + "x"


@pytest.mark.parametrize("make,unit,size", [(list_lines, "1. a\n", 20_000), (space_run, " ", 2_000_000)],
                         ids=["long-list", "space-run"])
def test_quiz_blocks_of_long_lists_and_space_runs_grow_linearly(app, make, unit, size):
    # quadratic before: a scan per line, a backtrack per space
    with app.app_context():
        assert growth(lambda stem: parse_quiz_block("id: q\n\n" + stem + "\n- [x] a", 1), unit, size,
                      make=make, runs=3) <= 3


# Rendering: the family of shapes that open a construct of python-markdown or an enabled
# extension (links, images, autolinks, raw HTML, comments, emphasis, code, entities, escapes,
# footnotes, abbreviations, tables, quotes, lists, headings, admonitions, details, task
# lists, fences), each repeated without what would close it, or closed and repeated.
RENDER_SHAPES = ["[", "]", "(", "[a](", "![a](", "[a](<", "[a](b) ", "[a](()", "<", "<a ", "<a", "<http://",
                 "<!--", "*", "_", "**a", "*a* ", "`", "`a` ", "~~", "==", "^", "&amp;", "&", "&#x", "\\", "[[[[",
                 "[a][", "![", "[^", "a[^1] ", "[^1]: ", "*[a]: ", "[a]: b\n", "| a ", "|a|\n", "> ", "- ",
                 "- [ ] ", "1. ", "#", "!!! note\n", "??? note\n", "```\n", "<div>", "<b>a</b> ", "a  \n"]
RENDER_SIZE = 8_000  # one block above BLOCK_LIMIT, and four paragraphs below it


def paragraphs(unit: str, size: int) -> str:
    return "\n\n".join(fill(unit, 2_000) for _ in range(size // 2_000))


@pytest.mark.parametrize("layout", [fill, paragraphs], ids=["one-block", "paragraphs"])
@pytest.mark.parametrize("unit", RENDER_SHAPES)
def test_rendering_markdown_grows_linearly(unit, layout):
    assert growth(render_markdown, unit, RENDER_SIZE, make=layout, runs=3, floor=0.02) <= 3


@pytest.mark.parametrize("unit", ["[a](b) ", "[a](", "<a ", "&amp;"])
def test_rendering_code_in_a_fence_grows_linearly(unit):
    assert growth(lambda text: render_markdown("```\n" + text + "\n```"), unit, RENDER_SIZE) <= 3


@pytest.mark.parametrize("unit", ["[a](b) ", "[a](", "<a ", "[^", "*[a]: b\n"])
def test_rendering_a_post_grows_linearly(app, unit):
    with app.app_context():
        assert growth(render_post, unit, 5_000) <= 3  # posts stop at 10,000 characters


def test_a_paragraph_over_the_limit_is_shown_as_text_and_reported():
    text = "Intro with [a link](https://example.org).\n\n" + fill("[a](b) ", BLOCK_LIMIT + 1) + "\n\nEnd *here*."
    html = render_markdown(text)
    assert '<a href="https://example.org"' in html and "<em>here</em>" in html
    assert "<p>[a](b) [a](b)" in html  # the long paragraph, unrendered
    assert long_blocks(text) == [(2, BLOCK_LIMIT + 1)]


def test_text_nested_too_deep_is_shown_as_text_and_reported():
    deep = "> " * (NESTING_LIMIT + 1) + "a"
    assert render_markdown("# T\n\n" + deep) == f"<p># T</p><p>{'&gt; ' * (NESTING_LIMIT + 1)}a</p>"
    assert deep_lines("x\n\n" + deep + "\n" + "- " * 10) == [2]
    assert "<blockquote>" in render_markdown("> " * NESTING_LIMIT + "a")  # at the limit: rendered
    assert render_markdown("<div>" * (3 * NESTING_LIMIT + 1)).startswith("<p>&lt;div&gt;")  # raw HTML too


@pytest.mark.slow
@pytest.mark.parametrize("unit", ["[a](b) ", "[a](()", "<a ", "```\n", "> ", "1. ", "<div>"])
def test_rendering_the_editors_largest_module_grows_linearly(unit):
    # up to the editor's limit: minutes before (278 s at 40,000 links)
    for layout in (fill, paragraphs):
        assert growth(render_markdown, unit, MAX_MODULE_CHARS // 2, make=layout, runs=1, floor=0.02) <= 3
