"""The discussions search page: a GET form and one page of ranked hits."""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from lms.auth.access import authenticated
from lms.http import int_arg
from lms.plugins.discussions import search as search_service
from lms.plugins.discussions.views import bp


@bp.route("/search")
@authenticated
def search():
    """``?q=`` words to find, ``&page=``. No query shows the form; a query over the length
    limit shows the form with the message (status 400) and searches nothing."""
    query = request.args.get("q", "")
    page = int_arg("page", 1, min=1)
    result, error, status = None, None, 200
    if query.strip():
        try:
            result = search_service.search(current_user, query, page=page,
                                           per_page=int(current_app.config.get("DISCUSSIONS_PAGE_SIZE", 20)))
        except search_service.SearchError as refused:
            error, status = refused.message, 400
    return render_template("discussions/search.html", search_query=query.strip(), result=result,
                           error=error), status
