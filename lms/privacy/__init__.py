"""Personal-data rights under UU 27/2022 (Pelindungan Data Pribadi): a person's download of
everything held about them, erasure by an admin, retention and the privacy page.

Each plugin tells what it holds about a person and how to erase it through the hooks
``lms_personal_data``, ``lms_erase_personal_data`` and ``lms_retention_purge``; this package
builds the zip, runs the erasure in one transaction and applies the retention settings.
The design is in docs/privacy.md.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select


@dataclass
class PersonalData:
    """One file of a person's download: ``name`` (no extension; a ``.json`` and a ``.csv``
    are written), what it holds in Indonesian and English, its columns, a callable giving
    the rows (dicts, read lazily), and ``files``: ``(name in the zip, path on disk)``."""

    name: str
    about_id: str
    about_en: str
    columns: list[str]
    rows: Callable[[], Iterable[dict[str, Any]]]
    files: Callable[[], Iterable[tuple[str, str]]] = field(default=lambda: ())


def plain(value: Any) -> Any:
    """A JSON-ready value: datetimes and dates as ISO 8601, everything else as it is."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def cell(value: Any) -> str:
    """A CSV cell: structured values as JSON, None as empty."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def columns_of(model: Any, exclude: tuple[str, ...] = ()) -> list[str]:
    return [column.key for column in model.__table__.columns if column.key not in exclude]


def model_rows(model: Any, *where: Any, exclude: tuple[str, ...] = (), order_by: Any = None,
               batch: int = 500) -> Callable[[], Iterable[dict[str, Any]]]:
    """Rows of ``model`` matching ``where`` as dicts of its columns (minus ``exclude``),
    read in batches so a long history never sits in memory whole."""
    from lms.extensions import db

    names = columns_of(model, exclude)

    def rows() -> Iterable[dict[str, Any]]:
        query = select(*(getattr(model, name) for name in names)).where(*where)
        query = query.order_by(order_by if order_by is not None else model.__table__.primary_key.columns.values()[0])
        for row in db.session.execute(query.execution_options(yield_per=batch)):
            yield dict(zip(names, row))

    return rows


def model_data(name: str, about_id: str, about_en: str, model: Any, *where: Any,
               exclude: tuple[str, ...] = (), order_by: Any = None) -> PersonalData:
    """A :class:`PersonalData` of the rows of one table."""
    return PersonalData(name, about_id, about_en, columns_of(model, exclude),
                        model_rows(model, *where, exclude=exclude, order_by=order_by))
