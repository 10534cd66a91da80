"""Proposing a curriculum from a closed needs round, and comparing a draft with the active one.

The rules, kept simple so a supervisor can check them by hand:

1. **Which competencies.** Those with priority >= ``CURRICULUM_PRIORITY_THRESHOLD``
   (default 0.35) or the top :data:`TOP` by rank, whichever list is longer, at most
   :data:`CAP`; competencies without data (priority None) or without any need (0) never.
2. **Which modules.** For each chosen competency in rank order, the active modules mapped
   to it (a version's ``competencies`` or its questions' ``competency_id``), in catalogue
   order, each module only once per audience.
3. **For whom.** ``all`` (everyone in the round's scope) when the organisation-level
   priority reaches the threshold. Below it, the units one level under the scope (or
   under the root units, for a whole-organisation round) are analysed on their own; units
   with at least ``NEEDS_MIN_GROUP`` respondents whose own priority reaches the threshold
   get ``unit`` items, and so do the positions ``competencies.yml`` gives a target for
   the competency (``position`` items, same minimum group); when there are none the item
   is for ``all``.
4. **By when.** The first two items are due today + ``CURRICULUM_DUE_STEP_DAYS`` (30),
   the next two 30 days later, and so on.

Every item keeps its reason as data: ``{"competency", "rank", "priority", "sources",
"round", "round_title"}`` (plus ``unit_priority`` for unit items), rendered in the reader's
language by :func:`item_reason`. Only one draft exists at a time: a new proposal discards
the previous draft (audited).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.audit import services as audit
from lms.auth.models import Unit
from lms.i18n import number
from lms.extensions import db
from lms.transactions import refusals_roll_back
from lms.plugins.courses.models import Competency, Module
from lms.plugins.courses.services import shared_or
from lms.plugins.curriculum import services
from lms.plugins.curriculum.models import ALL, DISCARDED, DRAFT, POSITION, UNIT, CurriculumItem, CurriculumVersion
from lms.plugins.curriculum.services import CurriculumError
from lms.plugins.needs.models import NeedsRound

TOP = 5  # at least this many competencies (when they have a need)
CAP = 8  # never more than this many

SOURCE_LABELS = {"self": _l("self-assessment"), "supervisor": _l("supervisor rating"),
                 "quiz": _l("quiz results"), "patron": _l("patron survey")}


# --- pure rules --------------------------------------------------------------------------------

def select_competencies(scores: Iterable, threshold: float, top: int = TOP, cap: int = CAP) -> list:
    """The chosen competency scores, in rank order (rule 1)."""
    ranked = sorted((s for s in scores if s.priority is not None and s.priority > 0),
                    key=lambda s: (s.rank if s.rank is not None else 10**6, -s.priority))
    above = sum(1 for s in ranked if s.priority >= threshold)
    return ranked[:min(max(above, top), cap)]


def due_dates(count: int, start: date, step_days: int) -> list[date]:
    """Two items per step: start+step, start+step, start+2*step, ... (rule 4)."""
    return [start + timedelta(days=step_days * (index // 2 + 1)) for index in range(count)]


@dataclass
class PlannedItem:
    module: Module
    audience: str
    competency_id: str
    priority: float
    reason: dict
    unit_id: int | None = None
    position_name: str | None = None


def plan_items(chosen: list, modules_by_competency: dict[str, list[Module]], threshold: float,
               unit_priorities: dict[str, list[tuple[int, float]]], round_info: dict,
               position_priorities: dict[str, list[tuple[str, float]]] | None = None) -> list[PlannedItem]:
    """Rules 2 and 3 on plain inputs: ``unit_priorities`` maps a competency to
    ``[(unit_id, priority in that unit)]`` for the units with enough respondents, and
    ``position_priorities`` to ``[(position, priority among its holders)]`` for the
    positions ``competencies.yml`` gives a target for it."""
    position_priorities = position_priorities or {}
    planned: list[PlannedItem] = []
    seen: set[tuple] = set()
    for score in chosen:
        base = {"competency": score.competency_id, "rank": score.rank, "priority": round(score.priority, 4),
                "sources": {source: round(value, 4) for source, value in score.needs.items()}, **round_info}
        if score.priority >= threshold:
            targets = [(ALL, None, None)]
        else:
            targets = [(UNIT, unit_id, value) for unit_id, value in unit_priorities.get(score.competency_id, [])
                       if value is not None and value >= threshold]
            targets += [(POSITION, name, value) for name, value in position_priorities.get(score.competency_id, [])
                        if value is not None and value >= threshold]
            targets = targets or [(ALL, None, None)]
        for module in modules_by_competency.get(score.competency_id, []):
            for audience, target, group_priority in targets:
                key = (module.id, audience, target)
                if key in seen or (module.id, ALL, None) in seen:
                    continue
                seen.add(key)
                reason = dict(base)
                if audience == UNIT:
                    reason["unit_priority"] = round(group_priority, 4)
                elif audience == POSITION:
                    reason["position_priority"] = round(group_priority, 4)
                planned.append(PlannedItem(module=module, audience=audience,
                                           unit_id=target if audience == UNIT else None,
                                           position_name=target if audience == POSITION else None,
                                           competency_id=score.competency_id, priority=score.priority,
                                           reason=reason))
    return planned


# --- proposing ---------------------------------------------------------------------------------

def candidate_units(needs_round: NeedsRound) -> list[Unit]:
    """The units analysed on their own for ``unit`` items: one level below the scope."""
    parents = [unit.id for unit in needs_round.units] or [needs_round.organisation_id]
    return list(db.session.scalars(select(Unit).where(Unit.parent_id.in_(parents), Unit.active.is_(True))
                                   .order_by(Unit.name)))


def _unit_priorities(needs_round: NeedsRound, chosen: list, threshold: float) -> dict[str, list[tuple[int, float]]]:
    from lms.plugins.needs.analysis import analyze, min_group

    wanted = {s.competency_id for s in chosen if s.priority < threshold}
    if not wanted:
        return {}
    result: dict[str, list[tuple[int, float]]] = {}
    for unit in candidate_units(needs_round):
        analysis = analyze(needs_round, unit_ids=[unit.id])
        if analysis.respondents < min_group():
            continue
        for competency_id in wanted:
            score = analysis.by_id(competency_id)
            if score is not None and score.priority is not None:
                result.setdefault(competency_id, []).append((unit.id, score.priority))
    return result


def _position_priorities(needs_round: NeedsRound, chosen: list, threshold: float) -> dict[str, list[tuple[str, float]]]:
    """For chosen competencies below the threshold, the priority among the holders of each
    position ``competencies.yml`` names in its ``targets`` (groups of NEEDS_MIN_GROUP or more)."""
    from lms.plugins.needs.analysis import analyze, min_group

    wanted = [s.competency_id for s in chosen if s.priority < threshold]
    if not wanted:
        return {}
    targets = {c.id: sorted((c.targets or {}).keys())
               for c in db.session.scalars(select(Competency).where(Competency.id.in_(wanted)))}
    analyses: dict[str, object] = {}
    result: dict[str, list[tuple[str, float]]] = {}
    for competency_id in wanted:
        for position in targets.get(competency_id, []):
            if position not in analyses:
                analyses[position] = analyze(needs_round, position=position)
            analysis = analyses[position]
            if analysis.respondents < min_group():
                continue
            score = analysis.by_id(competency_id)
            if score is not None and score.priority is not None:
                result.setdefault(competency_id, []).append((position, score.priority))
    return result


@refusals_roll_back(CurriculumError)
def propose(needs_round: NeedsRound | None = None, actor_id: int | None = None,
            today: date | None = None, organisation_id: int | None = None) -> CurriculumVersion:
    """A new draft for the round's organisation from ``needs_round`` (default: the latest
    closed round of ``organisation_id``, itself by default the only top-level organisation);
    refused with a clear ``CurriculumError`` (nothing changed) when there is no closed round,
    it has no responses, or no chosen competency has a module."""
    from lms.clock import local_today
    from lms.plugins.needs.analysis import analyze, round_status
    from lms.plugins.needs.models import OwnerUndecided, owner_for

    today = today or local_today()
    if needs_round is None:
        if organisation_id is None:
            try:
                organisation_id = owner_for(db.session, [])
            except OwnerUndecided:
                raise CurriculumError(_l("Several organisations: choose whose curriculum to propose.")) from None
        needs_round = services.latest_closed_round(organisation_id, today)
    if needs_round is None:
        raise CurriculumError(_l("No needs round has closed yet: a curriculum is proposed from a closed round."))
    if round_status(needs_round, today) != "closed":
        raise CurriculumError(_l("The round %(title)s has not closed yet.", title=needs_round.title))
    analysis = analyze(needs_round)
    if analysis.empty:
        raise CurriculumError(_l("The round %(title)s has no responses, so there is nothing to propose from.",
                                 title=needs_round.title))
    threshold = services.threshold()
    chosen = select_competencies(analysis.competencies, threshold)
    round_info = {"round": needs_round.id, "round_title": needs_round.title}
    # one curriculum for the network: shared courses only (every library it assigns to can open them)
    planned = plan_items(chosen, services.modules_by_competency(shared_or(None)), threshold,
                         _unit_priorities(needs_round, chosen, threshold), round_info,
                         _position_priorities(needs_round, chosen, threshold))
    if not planned:
        raise CurriculumError(_l("None of the priority competencies has a module yet; see the content-gap report."))

    old = services.current_draft(needs_round.organisation_id)
    if old is not None:
        old.status = DISCARDED
        audit.record("curriculum.discarded", "curriculum_version", old.id, actor_id=actor_id, number=old.number,
                     replaced=True)
        db.session.flush()
    active = services.active_version(needs_round.organisation_id)
    version = CurriculumVersion(number=services.next_number(), status=DRAFT, round_id=needs_round.id,
                                organisation_id=needs_round.organisation_id,
                                base_version_id=active.id if active else None, created_by_id=actor_id,
                                note="")
    for position, (item, due) in enumerate(zip(planned, due_dates(len(planned), today, services.due_step_days())),
                                           start=1):
        version.items.append(CurriculumItem(module_id=item.module.id, position=position, audience=item.audience,
                                            unit_id=item.unit_id, position_name=item.position_name, due_on=due,
                                            competency_id=item.competency_id, priority=item.priority,
                                            reason=item.reason))
    db.session.add(version)
    db.session.flush()
    audit.record("curriculum.proposed", "curriculum_version", version.id, actor_id=actor_id,
                 number=version.number, round_id=needs_round.id, organisation_id=version.organisation_id,
                 items=len(planned),
                 competencies=[s.competency_id for s in chosen])
    db.session.commit()
    return version


# --- rendering reasons -------------------------------------------------------------------------

def competency_names(locale: str) -> dict[str, str]:
    return {c.id: (c.name_en if locale == "en" else c.name_id) for c in db.session.scalars(select(Competency))}


def _fmt(value) -> str:
    """A priority as the page shows it, in the reader's figures (0,83 / 0.83)."""
    return number(value, 2) if isinstance(value, (int, float)) else "-"


def item_reason(reason: dict | None, names: dict[str, str]) -> str:
    """An item's reason in the current language."""
    reason = reason or {}
    if reason.get("manual") or not reason.get("competency"):
        return _("Added by hand.")
    name = names.get(reason["competency"], reason["competency"])
    sources = ", ".join(f"{SOURCE_LABELS.get(source, source)} {_fmt(value)}"
                        for source, value in sorted((reason.get("sources") or {}).items(), key=lambda kv: -kv[1]))
    if "position_priority" in reason:
        text = _("%(competency)s: priority %(group_priority)s for this position (organisation #%(rank)s, "
                 "%(priority)s) in %(round)s", competency=name, group_priority=_fmt(reason["position_priority"]),
                 rank=reason.get("rank"), priority=_fmt(reason.get("priority")), round=reason.get("round_title", ""))
    elif "unit_priority" in reason:
        text = _("%(competency)s: priority %(unit_priority)s in this unit (organisation #%(rank)s, %(priority)s) "
                 "in %(round)s", competency=name, unit_priority=_fmt(reason["unit_priority"]),
                 rank=reason.get("rank"), priority=_fmt(reason.get("priority")), round=reason.get("round_title", ""))
    else:
        text = _("%(competency)s: priority #%(rank)s (%(priority)s) in %(round)s", competency=name,
                 rank=reason.get("rank"), priority=_fmt(reason.get("priority")), round=reason.get("round_title", ""))
    if not sources:
        return text
    label = _("needs by source")
    return f"{text}; {label}: {sources}"


def audience_label(item) -> str:
    if item.audience == UNIT:
        unit = item.unit or (db.session.get(Unit, item.unit_id) if item.unit_id else None)
        return _("Unit: %(name)s", name=unit.name if unit else "?")
    if item.audience == POSITION:
        return _("Position: %(name)s", name=item.position_name or "?")
    return _("Everyone in scope")


# --- comparing a draft with the active version ---------------------------------------------------

ADDED = "added"
REMOVED = "removed"
REORDERED = "reordered"
DUE = "due"


@dataclass
class Change:
    kind: str  # added, removed, reordered, due
    key: tuple  # (module_id, audience, unit_id, position_name)
    module: Module | None
    audience: str
    old_position: int | None = None
    new_position: int | None = None
    old_due: date | None = None
    new_due: date | None = None
    reason: str = ""
    item: object = field(default=None, repr=False)


def item_key(item) -> tuple:
    return (item.module_id, item.audience, item.unit_id if item.audience == UNIT else None,
            item.position_name if item.audience == POSITION else None)


def compare(draft_items: list, active_items: list, *, priorities: dict[str, tuple] | None = None,
            round_title: str = "", names: dict[str, str] | None = None,
            module_competencies: dict[int, list[str]] | None = None) -> list[Change]:
    """The changes from ``active_items`` to ``draft_items`` (pure: items need only
    ``module_id``, ``audience``, ``unit_id``, ``position_name``, ``position``, ``due_on``,
    ``competency_id``, ``reason``). ``priorities`` maps a competency to (priority, rank) in
    the draft's round, for the reasons of removed items. Reordering compares the relative
    order of the items both versions share, so an insertion alone moves nothing."""
    priorities = priorities or {}
    names = names or {}
    module_competencies = module_competencies or {}
    draft = {item_key(item): item for item in sorted(draft_items, key=lambda i: i.position)}
    active = {item_key(item): item for item in sorted(active_items, key=lambda i: i.position)}
    changes: list[Change] = []
    for key, item in draft.items():
        if key not in active:
            changes.append(Change(ADDED, key, item.module, item.audience, new_position=item.position,
                                  new_due=item.due_on, reason=item_reason(item.reason, names), item=item))
    for key, item in active.items():
        if key in draft:
            continue
        competencies = [item.competency_id] if item.competency_id else module_competencies.get(item.module_id, [])
        known = [(cid, priorities[cid]) for cid in competencies if cid in priorities and priorities[cid][0] is not None]
        if known:
            cid, (priority, rank) = max(known, key=lambda kv: kv[1][0])
            reason = _("No longer a priority in %(round)s: %(competency)s priority is now %(priority)s (#%(rank)s).",
                       round=round_title, competency=names.get(cid, cid), priority=_fmt(priority), rank=rank)
        else:
            reason = _("No longer a priority in %(round)s.", round=round_title)
        changes.append(Change(REMOVED, key, item.module, item.audience, old_position=item.position,
                              old_due=item.due_on, reason=reason, item=item))
    shared = [key for key in draft if key in active]
    old_order = {key: index for index, key in enumerate(sorted(shared, key=lambda k: active[k].position), start=1)}
    new_order = {key: index for index, key in enumerate(shared, start=1)}
    for key in shared:
        new, old = draft[key], active[key]
        if old_order[key] != new_order[key]:
            changes.append(Change(REORDERED, key, new.module, new.audience, old_position=old.position,
                                  new_position=new.position,
                                  reason=_("Moved from place %(old)s to %(new)s. %(why)s", old=old.position,
                                           new=new.position, why=item_reason(new.reason, names)), item=new))
        if old.due_on != new.due_on:
            changes.append(Change(DUE, key, new.module, new.audience, old_due=old.due_on, new_due=new.due_on,
                                  new_position=new.position,
                                  reason=_("Due date changed from %(old)s to %(new)s.",
                                           old=old.due_on.isoformat() if old.due_on else "-",
                                           new=new.due_on.isoformat() if new.due_on else "-"), item=new))
    order = {ADDED: 0, REORDERED: 1, DUE: 2, REMOVED: 3}
    return sorted(changes, key=lambda c: (order[c.kind], c.new_position or c.old_position or 0))


def diff(draft: CurriculumVersion, active: CurriculumVersion | None, locale: str = "id") -> list[Change]:
    """:func:`compare` for two stored versions, with the draft round's priorities."""
    from lms.plugins.needs.analysis import analyze

    priorities: dict[str, tuple] = {}
    round_title = ""
    if draft.round_id is not None:
        needs_round = db.session.get(NeedsRound, draft.round_id)
        round_title = needs_round.title
        analysis = analyze(needs_round)
        priorities = {c.competency_id: (c.priority, c.rank) for c in analysis.competencies}
    return compare(list(draft.items), list(active.items) if active else [], priorities=priorities,
                   round_title=round_title, names=competency_names(locale),
                   module_competencies=services.module_competency_map())
