"""``tool_permissions`` row by row, and the services that enforce it (allowed and refused sides)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage

from tools import services
from tools.models import Tool
from tools.permissions import tool_permissions
from tools.selectors import tools_visible_to
from users.models import TeamMembership

from .helpers import make_tool, upload

pytestmark = pytest.mark.django_db

READ = {"read", "download"}
EVERYTHING = {"read", "download", "edit", "delete"}


def rights(user, tool):
    return set(tool_permissions(user, tool))


def test_creator_gets_everything(crew):
    tool = make_tool(crew["bob"], team=crew["team"])
    assert rights(crew["bob"], tool) == EVERYTHING


def test_creator_keeps_everything_without_a_team_and_after_leaving_it(crew):
    assert rights(crew["otto"], make_tool(crew["otto"])) == EVERYTHING
    tool = make_tool(crew["bob"], team=crew["team"])
    TeamMembership.objects.filter(user=crew["bob"]).delete()
    assert rights(crew["bob"], tool) == EVERYTHING


def test_team_admin_gets_everything(crew):
    assert rights(crew["ada"], make_tool(crew["bob"], team=crew["team"])) == EVERYTHING


def test_team_member_may_only_read_and_download(crew):
    assert rights(crew["cleo"], make_tool(crew["bob"], team=crew["team"])) == READ


def test_outsider_gets_nothing_on_a_private_tool(crew):
    assert rights(crew["otto"], make_tool(crew["bob"], team=crew["team"])) == set()
    assert rights(crew["ada"], make_tool(crew["otto"])) == set()


def test_everybody_reads_and_downloads_a_public_tool(crew):
    tool = make_tool(crew["bob"], team=crew["team"], public=True)
    assert rights(crew["otto"], tool) == READ
    assert rights(crew["cleo"], tool) == READ


def test_staff_may_read_download_and_delete_but_not_edit(crew):
    assert rights(crew["sam"], make_tool(crew["bob"], team=crew["team"])) == READ | {"delete"}


def test_anonymous_gets_nothing_even_on_public_tools(crew):
    tool = make_tool(crew["bob"], public=True)
    assert rights(AnonymousUser(), tool) == set()
    assert rights(None, tool) == set()


def test_deleted_team_leaves_the_tool_to_its_creator(crew):
    tool = make_tool(crew["bob"], team=crew["team"])
    crew["team"].delete()
    tool.refresh_from_db()
    assert tool.team_id is None
    assert rights(crew["bob"], tool) == EVERYTHING
    assert rights(crew["ada"], tool) == set()


def test_visible_tools_match_the_read_right(crew):
    tools = [
        make_tool(crew["bob"], name="team private", team=crew["team"]),
        make_tool(crew["bob"], name="team public", team=crew["team"], public=True),
        make_tool(crew["otto"], name="otto private"),
        make_tool(crew["otto"], name="otto public", public=True),
        make_tool(crew["ada"], name="ada alone"),
    ]
    for user in crew.values():
        if user is crew["team"]:
            continue
        expected = {tool.name for tool in tools if "read" in tool_permissions(user, tool)}
        assert {tool.name for tool in tools_visible_to(user)} == expected, user.username
    assert {t.name for t in tools_visible_to(crew["cleo"])} == {"team private", "team public", "otto public"}
    assert list(tools_visible_to(AnonymousUser())) == []


# --- services: edit ----------------------------------------------------------------------------------


@pytest.mark.parametrize("editor", ["bob", "ada"])
def test_creator_and_team_admin_may_edit(crew, editor):
    tool = make_tool(crew["bob"], team=crew["team"])
    services.update_tool(actor=crew[editor], tool=tool, name="renamed", description="new", public=True)
    tool.refresh_from_db()
    assert (tool.name, tool.description, tool.public) == ("renamed", "new", True)


@pytest.mark.parametrize("editor", ["cleo", "otto", "sam"])
def test_members_outsiders_and_staff_may_not_edit(crew, editor):
    tool = make_tool(crew["bob"], team=crew["team"], public=True)
    with pytest.raises(PermissionDenied):
        services.update_tool(actor=crew[editor], tool=tool, name="hijacked", upload=upload("evil.py", b"evil"))
    tool.refresh_from_db()
    assert tool.name == "converter"
    with default_storage.open(tool.file) as stored:
        assert stored.read() == b"print(1)\n"
    # The refused upload left no file behind.
    assert default_storage.listdir("tools")[0] == [tool.file.split("/")[1]]


# --- services: delete --------------------------------------------------------------------------------


@pytest.mark.parametrize("deleter", ["bob", "ada", "sam"])
def test_creator_team_admin_and_staff_may_delete(crew, deleter, django_capture_on_commit_callbacks):
    tool = make_tool(crew["bob"], team=crew["team"])
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_tool(actor=crew[deleter], tool=tool)
    assert not Tool.objects.exists()
    assert not default_storage.exists(tool.file)


@pytest.mark.parametrize("deleter", ["cleo", "otto"])
def test_members_and_outsiders_may_not_delete(crew, deleter):
    tool = make_tool(crew["bob"], team=crew["team"], public=True)
    with pytest.raises(PermissionDenied):
        services.delete_tool(actor=crew[deleter], tool=tool)
    assert Tool.objects.filter(pk=tool.pk).exists()
    assert default_storage.exists(tool.file)


# --- services: the team must be one of the actor's ----------------------------------------------------


def test_create_refuses_a_team_the_user_is_not_in(crew, make_team):
    other = make_team("Others")
    with pytest.raises(ValidationError) as error:
        make_tool(crew["bob"], team=other)
    assert error.value.message_dict == {"team": [services.NOT_YOUR_TEAM]}
    assert not Tool.objects.exists()
    assert not default_storage.exists("tools")


def test_anonymous_may_not_create(crew):
    with pytest.raises(PermissionDenied):
        make_tool(AnonymousUser())


def test_edit_refuses_moving_to_a_foreign_team_but_keeps_the_current_one(crew, make_team):
    tool = make_tool(crew["bob"], team=crew["team"])
    TeamMembership.objects.filter(user=crew["bob"]).delete()
    # Keeping the team the tool has is fine although bob left it.
    services.update_tool(actor=crew["bob"], tool=tool, team=crew["team"], name="kept")
    with pytest.raises(ValidationError) as error:
        services.update_tool(actor=crew["bob"], tool=tool, team=make_team("Others"))
    assert error.value.message_dict == {"team": [services.NOT_YOUR_TEAM]}
    tool.refresh_from_db()
    assert (tool.team, tool.name) == (crew["team"], "kept")
    services.update_tool(actor=crew["bob"], tool=tool, team=None)
    tool.refresh_from_db()
    assert tool.team is None


def test_a_refused_editor_learns_nothing_about_the_file_rules(crew):
    tool = make_tool(crew["bob"], team=crew["team"])
    with pytest.raises(PermissionDenied):
        services.update_tool(actor=crew["cleo"], tool=tool, upload=upload("empty.py", b""))


def test_visible_tools_are_read_with_their_team_and_creator_in_one_query(crew, django_assert_num_queries):
    for i in range(3):
        make_tool(crew["bob"], name=f"tool {i}", team=crew["team"])
    with django_assert_num_queries(1):
        names = [(t.name, t.team.name, t.creator.username) for t in tools_visible_to(crew["cleo"])]
    assert names == [(f"tool {i}", "Robots", "bob") for i in range(3)]
