"""Compile the gettext catalogs (``.po`` -> ``.mo``); run by ``make`` and the wheel build.

Only ``.po`` files are committed; a missing ``.mo`` would silently fall back to English,
so every install path compiles them. Usage: ``python -m lms.translations_build [DIR]``.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_DIR = Path(__file__).resolve().parent / "translations"


def compile_catalogs(source: Path = DEFAULT_DIR, target: Path | None = None) -> list[Path]:
    """Write ``messages.mo`` beside (or, with ``target``, under) every ``messages.po``."""
    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        mo_path = (target / po_path.relative_to(source) if target else po_path).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


if __name__ == "__main__":
    out = compile_catalogs(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR)
    print(f"compiled {len(out)} catalog(s)")
