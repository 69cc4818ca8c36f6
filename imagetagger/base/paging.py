"""Keyset pages for the API's long lists (annotations, a set's images): constant work per page,
whatever the size of the set.

A page is the ``page_size`` rows after (or before) an anchor row in the list's order; the next page
starts after the last one. Page numbers would need the rows before the page read and skipped (an
OFFSET), and their ``count`` a COUNT(*) over every matching row (24 ms of a 158 ms annotation page at
20,000 images): instead each page reads one row more than it shows, and says whether there is
``more``. Where no maintained count exists, a count is given only when asked for, exactly
(``count=true``) or up to a limit (``count=1000``: the verification page's "1000+ more"), which
stops counting there.
"""

from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import remove_query_param, replace_query_param

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_COUNT_LIMIT = 100_000


def page_size(params):
    value = params.get("page_size")
    if value in (None, ""):
        return PAGE_SIZE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"Give a whole number from 1 to {MAX_PAGE_SIZE}."]})
    return int(value)


def count_limit(params):
    """None (no count), 0 (count exactly) or the number to count up to."""
    value = params.get("count")
    if value in (None, "", "false"):
        return None
    if value == "true":
        return 0
    if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT_LIMIT:
        raise ValidationError(
            {"count": [f"Give true (count them all), false, or a limit to count up to, from 1 to {MAX_COUNT_LIMIT}."]}
        )
    return int(value)


def beyond(order, values, direction):
    """A filter for the rows after (``"gt"``) or before (``"lt"``) the row whose ``order`` fields
    (the list's ORDER BY, unique as a whole) hold ``values``. Its first term alone bounds the walk:
    the database starts an index scan on the leading field at the anchor's value instead of filtering
    every row before it (50,000 rows in the middle of a set of 100,000)."""
    cases = Q()
    for index, field in enumerate(order):
        equal = dict(zip(order[:index], values[:index], strict=True))
        cases |= Q(**equal, **{f"{field}__{direction}": values[index]})
    return Q(**{f"{order[0]}__{direction}e": values[0]}) & cases


def refuse_page_numbers(params):
    if "page" in params:
        raise ValidationError(
            {"page": ["This list has no page numbers: follow “next”, or give after/before an annotation id."]}
        )


def keyset_page(request, rows, *, direction, serialize, known_count=None):
    """The answer for one page of ``rows`` (a queryset, ordered, filtered by the anchor already).
    ``direction``: "after" or "before" (the way the list is walked); ``serialize``: rows → data;
    ``known_count``: the list's count when it is kept (then always given, and ``count`` not read)."""
    params = request.query_params
    size = page_size(params)
    limit = None if known_count is not None else count_limit(params)
    matching, rows = rows, list(rows[: size + 1])
    more, rows = len(rows) > size, rows[:size]
    url = remove_query_param(request.build_absolute_uri(), "page")
    other = "before" if direction == "after" else "after"
    anchored = direction in params or other in params
    count, count_exact = (known_count, True) if known_count is not None else (None, None)
    if limit is not None:
        matching = matching.order_by()
        count = matching.count() if limit == 0 else matching[: limit + 1].count()
        count_exact = limit == 0 or count <= limit
        count = count if count_exact else limit
    return {
        "more": more,
        "next": replace_query_param(remove_query_param(url, other), direction, rows[-1].pk) if more else None,
        "previous": replace_query_param(remove_query_param(url, direction), other, rows[0].pk)
        if anchored and rows
        else None,
        "count": count,
        "count_exact": count_exact,
        "results": serialize(rows),
    }
