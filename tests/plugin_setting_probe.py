"""Start Pembina with one ``LMS_PLUGINS`` setting in a fresh process and open every page.

``python -m tests.plugin_setting_probe SETTING FOLDER`` prints one JSON line: either
``{"refused": message}`` (the factory said no, with its sentence) or ``{"pages": n,
"errors": [...]}`` after signing in as each role and requesting every GET route that takes
no arguments. A fresh process matters: in one process, models imported by an earlier app
hide a plugin whose models are missing (that is how ``LMS_PLUGINS=-courses`` once crashed
only when run alone).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from lms.config import ConfigError
from lms.extensions import db
from tests.conftest import PASSWORD, login, make_test_app

ROLES = ("librarian", "trainer", "supervisor", "admin")
SKIP = ("/logout", "/static/")


def probe(setting: str, folder: Path) -> dict:
    try:
        app = make_test_app(folder, PLUGINS=setting)
    except ConfigError as error:
        return {"refused": str(error)}
    from lms.auth.models import Unit, User

    with app.app_context():
        db.create_all()
        unit = Unit(code="lib", name="Perpustakaan Uji", kind="library")
        db.session.add(unit)
        for role in ROLES:
            user = User(username=role, full_name=role.title(), unit=unit)
            user.set_roles([role])
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.flush()
        supervisor = db.session.query(User).filter_by(username="supervisor").one()
        supervisor.supervised_units.append(unit)
        db.session.commit()
        paths = sorted({rule.rule for rule in app.url_map.iter_rules()
                        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(SKIP)})
    errors: list[str] = []
    for role in ROLES:
        client = app.test_client()
        if login(client, role).status_code != 302:
            errors.append(f"{role}: cannot sign in")
            continue
        for path in paths:
            try:
                status = client.get(path).status_code
            except Exception as error:  # noqa: BLE001 - the point is to report any crash
                errors.append(f"{role} {path}: {type(error).__name__}: {error}")
                continue
            if status >= 500:
                errors.append(f"{role} {path}: {status}")
    return {"pages": len(paths), "errors": errors}


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], Path(sys.argv[2]))))
