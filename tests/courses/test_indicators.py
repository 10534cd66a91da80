"""Behaviour indicators in competencies.yml: 3-5 per competency, each in Indonesian and
English, no duplicates; every problem reported as ``path:line`` by the framework loader,
and the shipped framework holds a complete set."""
from __future__ import annotations

import textwrap
from pathlib import Path

from lms.plugins.courses.framework import MAX_INDICATORS, MIN_INDICATORS, load_framework

REPO = Path(__file__).resolve().parents[2]

HEAD = """\
areas:
  - id: customer-service
    name: {id: Layanan Pelanggan, en: Customer Service}
    competencies:
      - id: cs-reference-interview
        name: {id: Wawancara referensi, en: Reference interview}
"""


def _load(tmp_path, indicators: str) -> tuple[dict, list[str], Path]:
    (tmp_path / "topics.yml").write_text("katalog: {id: Katalog, en: Catalogue}\n", encoding="utf-8")
    path = tmp_path / "competencies.yml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(indicators), " " * 8), encoding="utf-8")
    problems: list[str] = []
    framework = load_framework(tmp_path, problems)
    return framework.competencies, problems, path


def test_the_shipped_framework_has_three_to_five_indicators_everywhere(english_app):
    problems: list[str] = []
    framework = load_framework(REPO / "courses", problems)
    assert problems == []
    assert framework.competencies
    for comp_id, info in framework.competencies.items():
        found = info["indicators"]
        assert MIN_INDICATORS <= len(found) <= MAX_INDICATORS, comp_id
        assert all(item["id"] and item["en"] and item["id"] != item["en"] for item in found), comp_id


def test_good_indicators_are_read_in_both_languages(english_app, tmp_path):
    competencies, problems, _path = _load(tmp_path, """\
        indicators:
          - {id: Mengajukan pertanyaan terbuka, en: Asks an open question}
          - {id: Mengulang kebutuhan, en: Restates the need}
          - id: Menegaskan sebelum menutup
            en: Confirms before closing
        """)
    assert problems == []
    assert competencies["cs-reference-interview"]["indicators"] == [
        {"id": "Mengajukan pertanyaan terbuka", "en": "Asks an open question"},
        {"id": "Mengulang kebutuhan", "en": "Restates the need"},
        {"id": "Menegaskan sebelum menutup", "en": "Confirms before closing"}]


def test_a_missing_language_is_reported_on_its_own_line(english_app, tmp_path):
    _c, problems, path = _load(tmp_path, """\
        indicators:
          - {id: Satu, en: One}
          - {id: Dua}
          - {en: Three}
        """)
    assert f"{path}:9: the indicator has no English text (`en:`)" in problems
    assert f"{path}:10: the indicator has no Indonesian text (`id:`)" in problems


def test_too_few_and_too_many_are_refused(english_app, tmp_path):
    _c, problems, path = _load(tmp_path, """\
        indicators:
          - {id: Satu, en: One}
          - {id: Dua, en: Two}
        """)
    assert problems == [f"{path}:5: competency 'cs-reference-interview' has 2 indicators: give between 3 and 5"]
    many = "indicators:\n" + "".join(f"  - {{id: Perilaku {n}, en: Behaviour {n}}}\n" for n in range(6))
    _c, problems, path = _load(tmp_path, many)
    assert problems == [f"{path}:5: competency 'cs-reference-interview' has 6 indicators: give between 3 and 5"]


def test_duplicates_are_refused_naming_the_first_line(english_app, tmp_path):
    _c, problems, path = _load(tmp_path, """\
        indicators:
          - {id: Bertanya terbuka, en: Asks openly}
          - {id: Mengulang kebutuhan, en: Restates the need}
          - {id: bertanya  terbuka, en: Asks in another way}
        """)
    assert problems == [f"{path}:10: indicator 'bertanya terbuka' repeats line 8"]


def test_indicators_must_be_a_list(english_app, tmp_path):
    _c, problems, path = _load(tmp_path, "indicators: Bertanya terbuka\n")
    assert problems == [f"{path}:5: `indicators` must be a list of behaviours, each with `id:` and `en:`"]


def test_the_import_stores_the_indicators(english_app, tmp_path):
    from lms.extensions import db
    from lms.plugins.courses.models import Competency
    from lms.plugins.courses.services import import_courses

    report = import_courses([REPO / "courses"])
    assert report.ok, report.problems
    competency = db.session.get(Competency, "cs-complaints")
    assert len(competency.indicators) == 5
    assert competency.indicators[0]["en"] == "Listens to the whole complaint before responding"
