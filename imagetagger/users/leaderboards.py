"""Leaderboards (design.md §4 "Verification"): who earned the most points, all time or in the last 30 days,
site-wide or among the members of one team.

- All time: ``User.points`` (accept votes that other users gave to the user's annotations).
- Last 30 days: the same accepts, counted only when the vote was cast (or last changed) in the window.
  A withdrawn vote is deleted and no longer counts; a vote changed to reject no longer counts; votes on
  one's own annotations never count.

Each board is one query; only active users are ranked. On the 30-day board the users are read as
their id and username only (what the board shows).
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from annotations import votes

from .models import TeamMembership

ALL_TIME = "all"
LAST_30_DAYS = "30d"
PERIODS = {ALL_TIME: "All time", LAST_30_DAYS: "Last 30 days"}
WINDOW = timedelta(days=30)
BOARD_SIZE = 50


def window_start(now=None):
    """The first moment that counts for the 30-day board."""
    return (now or timezone.now()) - WINDOW


def leaderboard(period=ALL_TIME, *, team=None, limit=BOARD_SIZE, now=None):
    """The best users (each with ``leaderboard_points``), best first, ties by username; one query.

    ``team``: only its members. Users without any point in the period are left out.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {tuple(PERIODS)}, not {period!r}")
    user_model = get_user_model()
    users = user_model.objects.filter(is_active=True)
    if team is not None:
        users = users.filter(Exists(TeamMembership.objects.filter(team=team, user=OuterRef("pk"))))
    since = None if period == ALL_TIME else window_start(now)
    return votes.leaderboard(users, since=since, limit=limit)
