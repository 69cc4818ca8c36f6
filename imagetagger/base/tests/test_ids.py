"""Ids from requests are checked before they reach the database (base.ids), and pages answer 404/400 for
ids no database can hold instead of failing."""

import pytest

from base.ids import ID_MAX, parse_id

HUGE = str(2**70)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        (" 7 ", 7),
        (7, 7),
        (str(ID_MAX), ID_MAX),
        (str(ID_MAX + 1), None),
        (HUGE, None),
        ("0", None),
        ("-3", None),
        ("1.5", None),
        ("x", None),
        ("", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_id(value, expected):
    assert parse_id(value) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/users/leaderboard/?team={HUGE}", 404),
        (f"/api/v1/leaderboard/?team={HUGE}", 400),
        (f"/api/v1/messages/{HUGE}/", 404),
        (f"/api/v1/imagesets/?team={HUGE}", 400),
    ],
)
def test_ids_beyond_64_bits_are_refused_not_failing(client_for, make_user, url, status):
    assert client_for(make_user()).get(url).status_code == status
