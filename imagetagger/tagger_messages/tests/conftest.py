"""Fixtures of the messages tests: a team with its admin and a member, people outside it, staff,
and ``make_message`` for messages of either kind."""

import itertools
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tagger_messages.models import Audience, Kind, Message

_counter = itertools.count(1)


@pytest.fixture
def people(make_user, make_team):
    """Team "Robots": admin ``ada``, member ``bob``. ``carl`` administers another team ("Drones"),
    ``otto`` is in no team, ``sam`` is staff (in no team)."""
    ada, bob, carl = make_user("ada"), make_user("bob"), make_user("carl")
    otto, sam = make_user("otto"), make_user("sam", is_staff=True)
    team = make_team("Robots", admins=[ada], members=[bob])
    other_team = make_team("Drones", admins=[carl])
    return SimpleNamespace(team=team, other_team=other_team, ada=ada, bob=bob, carl=carl, otto=otto, sam=sam)


@pytest.fixture
def make_message(db):
    """``make_message(team=t, creator=u)`` (a team message) or ``make_message(creator=staff)`` (an
    announcement); shown from an hour ago for a week unless ``start_time``/``expire_time`` say otherwise."""

    def make(*, team=None, creator=None, audience=Audience.ALL, title=None, start_time=None, expire_time=None):
        now = timezone.now()
        start_time = start_time or now - timedelta(hours=1)
        return Message.objects.create(
            kind=Kind.TEAM if team is not None else Kind.ANNOUNCEMENT,
            team=team,
            audience=audience,
            title=title or f"message {next(_counter)}",
            content="Some content",
            creator=creator,
            start_time=start_time,
            expire_time=expire_time or start_time + timedelta(days=7),
        )

    return make


def expired(**kwargs):
    """Keyword arguments for a message that expired yesterday."""
    now = timezone.now()
    return {"start_time": now - timedelta(days=3), "expire_time": now - timedelta(days=1), **kwargs}


def future(**kwargs):
    """Keyword arguments for a message that starts tomorrow."""
    now = timezone.now()
    return {"start_time": now + timedelta(days=1), "expire_time": now + timedelta(days=3), **kwargs}
