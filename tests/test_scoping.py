"""Supervisors see their own units and every unit below them - never a sibling's."""
from __future__ import annotations

from sqlalchemy import select

from lms.auth.models import UnitSupervisor, User
from lms.auth.scoping import can_see_unit, can_see_user, scoped_users, supervised_unit_ids, units_below
from lms.extensions import db


def _supervise(user, unit):
    db.session.add(UnitSupervisor(user_id=user.id, unit_id=unit.id))
    db.session.commit()


def test_supervisor_sees_own_unit_and_descendants(org, make_user, make_unit):
    deeper = make_unit("deeper", "Deeper", parent=org["section_a1"])
    boss = make_user("boss", roles=("supervisor",), unit=org["branch_a"])
    _supervise(boss, org["branch_a"])
    ids = set(db.session.scalars(supervised_unit_ids(boss)))
    assert ids == {org["branch_a"].id, org["section_a1"].id, deeper.id}
    assert org["branch_b"].id not in ids and org["library"].id not in ids


def test_scoped_users_excludes_other_units(org, make_user):
    boss = make_user("boss", roles=("supervisor",), unit=org["branch_a"])
    _supervise(boss, org["branch_a"])
    mine = make_user("mine", unit=org["section_a1"])
    other = make_user("other", unit=org["branch_b"])
    nowhere = make_user("nowhere", unit=None)
    names = {user.username for user in db.session.scalars(scoped_users(boss))}
    assert "mine" in names and "boss" in names
    assert "other" not in names and "nowhere" not in names
    assert can_see_user(boss, mine)
    assert not can_see_user(boss, other)
    assert not can_see_user(boss, nowhere)
    assert can_see_user(other, other)  # everyone sees themselves
    assert not can_see_user(mine, other)  # a librarian sees no one else


def test_supervisor_of_several_units(org, make_user):
    boss = make_user("boss", roles=("supervisor",))
    _supervise(boss, org["section_a1"])
    _supervise(boss, org["branch_b"])
    ids = set(db.session.scalars(supervised_unit_ids(boss)))
    assert ids == {org["section_a1"].id, org["branch_b"].id}
    assert not can_see_unit(boss, org["branch_a"].id)


def test_supervisor_role_without_units_sees_nothing(org, make_user):
    boss = make_user("boss", roles=("supervisor",), unit=org["branch_a"])
    assert list(db.session.scalars(supervised_unit_ids(boss))) == []
    assert not can_see_unit(boss, org["branch_a"].id)


def test_supervision_without_supervisor_role_grants_no_user_access(org, make_user):
    not_boss = make_user("notboss", roles=("librarian",))
    _supervise(not_boss, org["branch_a"])
    member = make_user("member", unit=org["branch_a"])
    assert not can_see_user(not_boss, member)


def test_admin_sees_everything(org, make_user):
    admin = make_user("root", roles=("admin",))
    ids = set(db.session.scalars(supervised_unit_ids(admin)))
    assert ids == {unit.id for unit in org.values()}
    assert can_see_unit(admin, org["branch_b"].id)


def test_supervisor_home_lists_only_own_units(client_as, org, make_user):
    client = client_as("supervisor")
    _supervise(client.user, org["branch_a"])
    make_user("member", unit=org["section_a1"])
    page = client.get("/").get_data(as_text=True)
    main = page.split("<main", 1)[1].split("</main>", 1)[0]  # the footer names the person's library
    assert "Cabang A" in main and "Seksi A1" in main
    assert "Cabang B" not in main and "Perpustakaan Uji" not in main
    assert db.session.scalar(select(UnitSupervisor.unit_id).where(UnitSupervisor.user_id == client.user.id))


def test_two_unit_trees_in_one_query(org, make_user):
    """A round's scope and a supervisor's units in one statement: the two recursive trees
    must not clash (they once shared a CTE name and the query failed to compile)."""
    boss = make_user("boss", roles=("supervisor",), unit=org["branch_a"])
    _supervise(boss, org["branch_a"])
    mine = make_user("mine", unit=org["section_a1"])
    make_user("other", unit=org["branch_b"])
    scope = units_below([org["library"].id])
    query = select(User.username).where(User.unit_id.in_(select(scope.c.id)),
                                        User.unit_id.in_(supervised_unit_ids(boss)))
    assert set(db.session.scalars(query)) == {"boss", mine.username}
