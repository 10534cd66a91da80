"""Names of the MARC 21 tags a library's practice uses most, for the learner's live hint
(the field being typed is named beside the textarea). A hint only: any tag may be written."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

TAG_NAMES = {
    "LDR": _l("Leader"),
    "001": _l("Control number"),
    "003": _l("Control number identifier"),
    "005": _l("Date and time of latest transaction"),
    "007": _l("Physical description fixed field"),
    "008": _l("Fixed-length data elements"),
    "020": _l("International Standard Book Number (ISBN)"),
    "040": _l("Cataloguing source"),
    "041": _l("Language code"),
    "082": _l("Dewey Decimal Classification number"),
    "084": _l("Other classification number"),
    "100": _l("Main entry - personal name"),
    "110": _l("Main entry - corporate name"),
    "111": _l("Main entry - meeting name"),
    "130": _l("Main entry - uniform title"),
    "240": _l("Uniform title"),
    "245": _l("Title statement"),
    "246": _l("Varying form of title"),
    "250": _l("Edition statement"),
    "260": _l("Publication, distribution, etc. (imprint)"),
    "264": _l("Production, publication, distribution, manufacture and copyright notice"),
    "300": _l("Physical description"),
    "336": _l("Content type"),
    "337": _l("Media type"),
    "338": _l("Carrier type"),
    "490": _l("Series statement"),
    "500": _l("General note"),
    "504": _l("Bibliography, etc. note"),
    "505": _l("Formatted contents note"),
    "520": _l("Summary, etc."),
    "600": _l("Subject added entry - personal name"),
    "610": _l("Subject added entry - corporate name"),
    "650": _l("Subject added entry - topical term"),
    "651": _l("Subject added entry - geographic name"),
    "700": _l("Added entry - personal name"),
    "710": _l("Added entry - corporate name"),
    "830": _l("Series added entry - uniform title"),
    "856": _l("Electronic location and access"),
}


def tag_names() -> dict[str, str]:
    """The names in the reader's language."""
    return {tag: str(name) for tag, name in TAG_NAMES.items()}
