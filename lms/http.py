"""What every view shares about reading a request and linking back to the site.

- **Integers from the outside are bounded** to what the databases hold. PostgreSQL's
  INTEGER is 32-bit: an id of ``2**31`` in a URL or a query string makes psycopg raise
  ``NumericValueOutOfRange`` (a 500) where the answer should be "no such thing". Every
  ``<int:...>`` route uses :class:`BoundedIntConverter` (the factory puts it in place of
  werkzeug's), and every integer read from ``request.args``/``request.form`` goes through
  :func:`parse_int` (:func:`int_arg` for the common case).
- **Absolute links come from one configured address**, ``BASE_URL``, never from the
  request's ``Host`` header, which the client chooses: a link in an e-mail, a calendar
  file or on a printed certificate must point at our site whoever asked for it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from flask import Response, abort, current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import SecurityError
from werkzeug.routing import IntegerConverter, Map

from lms.config import ConfigError

# The widest integer an id column holds (PostgreSQL INTEGER, SQLAlchemy Integer).
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)
# ASCII digits only (``\d`` would take Arabic-Indic and other digits), an optional minus,
# and never more characters than the widest value has, so nothing long is ever converted.
_INT_RE = re.compile(r"-?[0-9]{1,10}")

DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"
# Deprecated names of BASE_URL, still read when BASE_URL is not set.
BASE_URL_ALIASES = ("DIGEST_BASE_URL", "XAPI_BASE_URL")
# Hosts always accepted in production, so probes on the machine itself (``curl
# http://127.0.0.1:8000/healthz``) keep working. No link is built from the Host header, so
# accepting these cannot put them into anything a user receives.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


# --- integers -----------------------------------------------------------------------------

def parse_int(raw: object, *, min: int = 0, max: int = INT32_MAX) -> int | None:
    """The integer ``raw`` spells, or None when it spells none within ``[min, max]``.

    The one parser for integers that come from outside (query strings, form fields): ASCII
    digits with an optional leading ``-``, surrounding spaces ignored; anything else
    (``+1``, ``1.0``, ``1e3``, ``٣``, 20 digits) is None, never an exception.
    """
    if raw is None:
        return None
    text = str(raw).strip()
    if not _INT_RE.fullmatch(text):
        return None
    value = int(text)
    return value if min <= value <= max else None


def int_arg(name: str, default: int | None = None, *, min: int = 0, max: int = INT32_MAX,
            invalid: int | None = None, args: Mapping | None = None) -> int | None:
    """``request.args[name]`` as an integer within ``[min, max]``.

    Absent or blank: ``default``. Not such an integer (garbage, negative, too large):
    ``default`` too, or ``abort(invalid)`` when the view says a bad value is an error (404
    for an id filter that must not hint what exists, 400 for a malformed request).
    ``args`` reads another mapping (``request.form``).
    """
    source = request.args if args is None else args
    raw = source.get(name)
    if raw is None or not str(raw).strip():
        return default
    value = parse_int(raw, min=min, max=max)
    if value is None:
        if invalid is not None:
            abort(invalid)
        return default
    return value


def int_list(values: Iterable[object], *, min: int = 0, max: int = INT32_MAX) -> list[int]:
    """The valid integers among ``values`` (``request.form.getlist``), others dropped."""
    return [value for value in (parse_int(raw, min=min, max=max) for raw in values) if value is not None]


def form_int(value: object) -> int:
    """A WTForms ``coerce`` for id fields: ``int`` bounded like every id, so a huge value
    is the field's own error ("not a valid choice"), never a database overflow."""
    if isinstance(value, int) and not isinstance(value, bool):
        parsed = value if 0 <= value <= INT32_MAX else None
    else:
        parsed = parse_int(value)
    if parsed is None:
        raise ValueError("not an id")
    return parsed


class BoundedIntConverter(IntegerConverter):
    """werkzeug's ``int`` converter held to the 32-bit range the database holds.

    ``/records/99999999999999999999`` or ``/records/2147483648`` no longer matches a
    route, so it is a 404 like any unknown id instead of an overflow in the database: the
    regex takes at most ten ASCII digits, and werkzeug's own range check does the rest.
    ``min``/``max``/``signed`` still work inside that range (unsigned by default, so a
    minus sign never matches either).
    """

    regex = r"[0-9]{1,10}"
    signed_regex = r"-?[0-9]{1,10}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        floor = INT32_MIN if signed else 0
        super().__init__(map, fixed_digits=fixed_digits, min=floor if min is None else (floor if min < floor else min),
                         max=INT32_MAX if max is None or max > INT32_MAX else max, signed=signed)


# --- the site's address -----------------------------------------------------------------

def normalise_base_url(value: str, setting: str = "BASE_URL") -> str:
    """``scheme://host[:port]`` without a trailing slash, or :class:`ConfigError` saying why."""
    text = str(value).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"LMS_{setting} must be an http:// or https:// address with a host, "
                          f"e.g. https://pembina.example.go.id (got {value!r}).")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(f"LMS_{setting} must be the site's root address, scheme and host only "
                          f"(no path, query or login): got {value!r}.")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError as error:
        raise ConfigError(f"LMS_{setting} has an invalid port: {value!r}.") from error
    return f"{parts.scheme}://{parts.netloc.lower()}"


def resolve_base_url(config: Mapping, production: bool) -> str:
    """The canonical address from ``BASE_URL`` or its deprecated aliases.

    Two settings that disagree are refused rather than one silently winning (an xAPI
    export's activity ids and the e-mails' links would otherwise differ from what the
    operator expects). Production needs one; development falls back to the local server.
    """
    given = {key: normalise_base_url(config[key], key) for key in ("BASE_URL", *BASE_URL_ALIASES)
             if config.get(key) and str(config[key]).strip()}
    if len(set(given.values())) > 1:
        listed = ", ".join(f"LMS_{key}={value}" for key, value in given.items())
        raise ConfigError(f"Refusing to start: the site address is set twice with different values ({listed}); "
                          "set only LMS_BASE_URL (DIGEST_BASE_URL and XAPI_BASE_URL are its old names).")
    if given:
        return next(iter(given.values()))
    if production:
        raise ConfigError("Refusing to start: LMS_BASE_URL is not set in production. Set it to the address "
                          "users type, e.g. LMS_BASE_URL=https://pembina.example.go.id: links in e-mails, "
                          "calendar files and certificates are built from it, and other Host headers are refused.")
    return DEVELOPMENT_BASE_URL


def trusted_hosts(base_url: str, extra: object) -> list[str]:
    """Flask's ``TRUSTED_HOSTS``: the base URL's host, ``extra`` (a list, or a string of
    comma- or space-separated names; ``.example.id`` takes every subdomain), loopback."""
    if not isinstance(extra, (list, tuple, set)):  # LMS_TRUSTED_HOSTS arrives as a string
        extra = str(extra or "").replace(",", " ").split()
    hosts = [urlsplit(base_url).hostname or ""]
    for name in [*(extra or []), *LOOPBACK_HOSTS]:
        name = str(name).strip().lower()
        if name and name not in hosts:
            hosts.append(name)
    return hosts


def base_url() -> str:
    """The configured ``BASE_URL`` (``scheme://host[:port]``, no trailing slash)."""
    return current_app.config["BASE_URL"]


def base_host() -> str:
    """The host name of ``BASE_URL`` (an iCalendar UID's domain part)."""
    return urlsplit(base_url()).hostname or "pembina"


def absolute_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values, _external=True)`` on ``BASE_URL``, in or outside a
    request, whatever ``Host`` the request carried. ``endpoint`` is the full name
    (``learning.verify``)."""
    app = current_app
    parts = urlsplit(base_url())
    adapter = app.url_map.bind(parts.netloc, url_scheme=parts.scheme)
    app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


def init_app(app) -> None:
    """Bounded ``<int:...>``, the canonical address and the host allowlist.

    Runs before any blueprint is registered: a rule picks its converter when it is added.
    """
    app.url_map.converters["int"] = BoundedIntConverter
    production = app.config["ENV"] == "production"
    app.config["BASE_URL"] = resolve_base_url(app.config, production)
    extra = app.config.get("TRUSTED_HOSTS")
    if production or extra:
        app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config["BASE_URL"], extra)
    app.jinja_env.globals["absolute_url"] = absolute_url
    # First of all request hooks: a request for an untrusted host has no URL adapter, so
    # any later hook or error page that calls url_for would fail on it.
    app.before_request(refuse_untrusted_host)


def refuse_untrusted_host():
    """A plain 400 for a ``Host`` outside ``TRUSTED_HOSTS``, before any other hook runs."""
    if isinstance(request.routing_exception, SecurityError):
        return Response(_("Unknown site address.") + "\n", 400, mimetype="text/plain")
    return None
