"""Ids from the outside (URLs, query strings, form fields) checked before they reach the database.

An id the database cannot hold (over 64 bits) makes SQLite and PostgreSQL fail with an error instead of
finding nothing, so every id read from a request goes through ``parse_id`` first.
"""

ID_MAX = 2**63 - 1  # the largest id any of our databases stores


def parse_id(value):
    """``value`` as an id (a whole number from 1 to ID_MAX), or None when it is not one."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= ID_MAX else None
