"""Needs plugin services that its hooks call: the demo data (committed here, with the kept
quiz evidence invalidated) and the rounds a review meeting may link to. The rest of the
domain logic lives in named service modules: ``rounds`` (rounds and answers), ``analysis``,
``evidence``, ``feedback``, ``patron``, ``impact``."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select

from lms.auth.models import Unit, User
from lms.auth.scoping import supervised_unit_ids
from lms.extensions import db
from lms.nav import LinkTarget
from lms.plugins.needs.models import NeedsRound, NeedsRoundUnit


def seed_demo(log) -> None:
    """``lms demo``: the demo round (idempotent), then one commit."""
    from lms.plugins.needs import demo, evidence

    demo.seed(log)
    evidence.invalidate()  # the demo writes back-dated quiz attempts around grade_attempt
    db.session.commit()


def seed_scale(scale: int, log) -> None:
    """``lms demo --scale N``: the benchmark's round and responses, then one commit."""
    from lms.plugins.needs import evidence
    from lms.plugins.needs import bench_data as scale_data

    scale_data.seed(scale, log)
    evidence.invalidate()  # the quiz attempts are written in bulk, around grade_attempt
    db.session.commit()


def rounds_touching(user: User):
    """A select of the rounds whose scope (their units and every unit below; no unit = the
    owning organisation's tree) meets the units ``user`` supervises, in SQL. The scope meets the
    supervised tree exactly when one of the round's units is a supervised unit or an
    ancestor of one, so one recursive CTE walks up from the supervised units (UNION, not
    UNION ALL: each ancestor once however many units lie below it). Nobody's rounds when
    ``user`` supervises no unit."""
    reach = (select(Unit.id.label("id"), Unit.parent_id.label("parent_id"))
             .where(Unit.id.in_(supervised_unit_ids(user))).cte(recursive=True))
    reach = reach.union(select(Unit.id, Unit.parent_id).join(reach, Unit.id == reach.c.parent_id))
    scoped = exists().where(NeedsRoundUnit.round_id == NeedsRound.id)
    touching = exists().where(NeedsRoundUnit.round_id == NeedsRound.id,
                              NeedsRoundUnit.unit_id.in_(select(reach.c.id)))
    whole = and_(~scoped, NeedsRound.organisation_id.in_(select(reach.c.id)))
    return select(NeedsRound).where(exists(select(reach.c.id)), or_(whole, touching))


def discussion_links(user: User) -> list[LinkTarget]:
    """Needs rounds a review meeting may link to: open and closed ones (not upcoming) that
    ``user`` may open - admins and trainers those of their organisations
    (:func:`lms.plugins.needs.reach.visible`), supervisors those :func:`rounds_touching` their
    units. A closed round links to its analysis, an open one to its response rates."""
    from flask import url_for

    from lms.clock import local_today
    from lms.plugins.needs import reach
    from lms.plugins.needs.analysis import round_status

    if not (user.holds("admin") or user.holds("trainer") or user.has_role("supervisor")):
        return []
    if user.holds("admin") or user.holds("trainer"):
        query = select(NeedsRound).where(reach.visible(user))
    else:
        query = rounds_touching(user)
    found = db.session.scalars(query.where(NeedsRound.opens_on <= local_today())
                               .order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()))
    links = []
    for needs_round in found:
        if round_status(needs_round) == "closed":
            url = url_for("needs_analysis.index", round=needs_round.id)
        else:
            url = url_for("needs.round_detail", round_id=needs_round.id)
        links.append(LinkTarget("needs_round", str(needs_round.id), needs_round.title, url, group=_l("Needs rounds")))
    return links
