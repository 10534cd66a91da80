"""Safe HTML made from Markdown, at the moment it is shown.

The HTML itself is rendered and sanitised at import or when a post is saved
(``lms.markdown_html``). Here it only gets what depends on the page: each
table is put in a labelled, keyboard-focusable scroll region (WCAG 2.1.1; axe's
"scrollable-region-focusable"), so a wide table in a lesson can be scrolled without a mouse
on a phone. Done at display time so lessons stored before this rule get it too.
"""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

TABLE_OPEN = "<table>"


def prose(html: str | None) -> Markup:
    """Sanitised HTML (trusted: it was cleaned when stored) with its tables wrapped."""
    if not html:
        return Markup("")
    if TABLE_OPEN not in html:
        return Markup(html)
    region = f'<div class="table-wrap" role="region" tabindex="0" aria-label="{Markup.escape(_("Table"))}">'
    return Markup(html.replace(TABLE_OPEN, region + TABLE_OPEN).replace("</table>", "</table></div>"))
