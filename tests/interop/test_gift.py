"""``lms interop export-gift`` / ``import-gift`` are aliases of ``lms courses export-gift`` /
``import-gift`` (GIFT itself is tested in ``tests/courses/test_gift.py``)."""
from __future__ import annotations

from lms.plugins.courses import cli as courses_cli
from lms.plugins.interop.cli import interop


def test_the_interop_gift_commands_are_the_courses_commands(runner, imported, tmp_path):
    assert interop.commands["export-gift"] is courses_cli.export_gift
    assert interop.commands["import-gift"] is courses_cli.import_gift

    via_interop = runner.invoke(args=["interop", "export-gift", "contoh/marc"])
    via_courses = runner.invoke(args=["courses", "export-gift", "contoh/marc"])
    assert via_interop.exit_code == 0, via_interop.output
    assert via_interop.stdout == via_courses.stdout
    assert "::marc-245::[markdown]Ruas mana yang memuat judul? {" in via_interop.stdout

    module_file = imported / "contoh" / "01-marc.md"
    source = tmp_path / "in.gift"
    source.write_text("::baru::Ruas subjek? {=650 ~245}\n", encoding="utf-8")
    added = runner.invoke(args=["interop", "import-gift", str(source), "--into", str(module_file)])
    assert added.exit_code == 0, added.output
    assert "```quiz\nid: baru\n" in module_file.read_text(encoding="utf-8")
    again = runner.invoke(args=["interop", "import-gift", str(source), "--into", str(module_file)])
    assert again.exit_code != 0
    assert f"{source}:1: question id 'baru' is already used" in again.output
