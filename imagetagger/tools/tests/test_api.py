"""/api/v1/tools/: the same permissions and services as the pages."""

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tools.models import Tool

from .helpers import make_tool, upload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/tools/"


def detail(tool, suffix=""):
    return f"/api/v1/tools/{tool.pk}/{suffix}"


def test_list_shows_readable_tools_with_my_rights(crew, api_for):
    make_tool(crew["bob"], name="team tool", team=crew["team"])
    make_tool(crew["otto"], name="otto public", public=True)
    make_tool(crew["otto"], name="otto private")
    body = api_for(crew["cleo"]).get(LIST).json()
    assert [(t["name"], t["permissions"]) for t in body["results"]] == [
        ("otto public", ["download", "read"]),
        ("team tool", ["download", "read"]),
    ]
    body = api_for(crew["ada"]).get(LIST).json()
    team_tool = next(t for t in body["results"] if t["name"] == "team tool")
    assert team_tool["permissions"] == ["delete", "download", "edit", "read"]
    assert team_tool["team_name"] == "Robots"
    assert team_tool["creator"] == "bob"
    assert team_tool["filename"] == "convert.py"
    assert team_tool["download_url"].endswith(detail(Tool.objects.get(name="team tool"), "download/"))


def test_list_queries_do_not_grow_with_the_number_of_tools(crew, api_for, make_user, make_team):
    api = api_for(crew["cleo"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api.get(LIST).status_code == 200
        return len(queries)

    def add(n):
        for _ in range(n):
            owner = make_user()
            make_tool(owner, team=make_team(admins=[owner], members=[crew["cleo"]]))

    add(1)
    few = count()
    add(5)
    assert count() == few


def test_create_uploads_a_tool(crew, api_for):
    response = api_for(crew["bob"]).post(
        LIST,
        {"name": "bagger", "team": crew["team"].pk, "public": "true", "file": upload("bag.py", b"x = 1\n")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    tool = Tool.objects.get()
    assert response.json()["id"] == tool.pk
    assert (tool.team, tool.public, tool.filename, tool.size) == (crew["team"], True, "bag.py", 6)


@pytest.mark.parametrize("team", ["foreign", "missing"])
def test_create_refuses_teams_that_are_not_mine(crew, api_for, make_team, team):
    team_id = make_team("Others").pk if team == "foreign" else 999999
    response = api_for(crew["bob"]).post(LIST, {"name": "x", "team": team_id, "file": upload()}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == {"team": ["You can only give a tool to one of your teams."]}
    assert not Tool.objects.exists()


@override_settings(TOOL_MAX_BYTES=4)
def test_create_refuses_bad_files(crew, api_for):
    api = api_for(crew["bob"])
    response = api.post(LIST, {"name": "big", "file": upload("a.py", b"12345")}, format="multipart")
    assert response.status_code == 400
    assert "too large" in response.json()["errors"]["file"][0]
    response = api.post(LIST, {"name": "empty", "file": upload("a.py", b"")}, format="multipart")
    assert response.json()["errors"] == {"file": ["The file is empty."]}
    response = api.post(LIST, {"name": "none"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert not Tool.objects.exists()


def test_retrieve_hides_unreadable_tools(crew, api_for):
    tool = make_tool(crew["bob"], team=crew["team"])
    assert api_for(crew["cleo"]).get(detail(tool)).status_code == 200
    assert api_for(crew["otto"]).get(detail(tool)).status_code == 404
    assert api_for(crew["otto"]).get(detail(tool, "download/")).status_code == 404
    assert api_for().get(detail(tool)).status_code in (401, 403)


@pytest.mark.parametrize("editor", ["bob", "ada"])
def test_creator_and_team_admin_patch_and_replace_the_file(crew, api_for, editor, django_capture_on_commit_callbacks):
    tool = make_tool(crew["bob"], team=crew["team"], content=b"old")
    old_file = tool.file
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(crew[editor]).patch(
            detail(tool), {"name": "new", "file": upload("new.py", b"new")}, format="multipart"
        )
    assert response.status_code == 200, response.content
    tool.refresh_from_db()
    assert (tool.name, tool.filename) == ("new", "new.py")
    assert tool.file != old_file
    assert not default_storage.exists(old_file)
    response = api_for(crew[editor]).patch(detail(tool), {"team": None, "public": True}, format="json")
    assert response.json()["team"] is None
    assert response.json()["public"] is True


@pytest.mark.parametrize(("editor", "status"), [("cleo", 403), ("sam", 403), ("otto", 404)])
def test_others_may_not_patch(crew, api_for, editor, status):
    tool = make_tool(crew["bob"], team=crew["team"])
    response = api_for(crew[editor]).patch(detail(tool), {"name": "hijacked"}, format="json")
    assert response.status_code == status
    assert "detail" in response.json()
    tool.refresh_from_db()
    assert tool.name == "converter"


@pytest.mark.parametrize("deleter", ["bob", "ada", "sam"])
def test_allowed_users_delete(crew, api_for, deleter):
    tool = make_tool(crew["bob"], team=crew["team"])
    assert api_for(crew[deleter]).delete(detail(tool)).status_code == 204
    assert not Tool.objects.exists()


@pytest.mark.parametrize(("deleter", "status"), [("cleo", 403), ("otto", 404)])
def test_others_may_not_delete(crew, api_for, deleter, status):
    tool = make_tool(crew["bob"], team=crew["team"])
    assert api_for(crew[deleter]).delete(detail(tool)).status_code == status
    assert Tool.objects.filter(pk=tool.pk).exists()


def test_download(crew, api_for):
    tool = make_tool(crew["bob"], public=True, filename="run it.sh", content=b"#!/bin/sh\n")
    response = api_for(crew["otto"]).get(detail(tool, "download/"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"#!/bin/sh\n"
    assert response["Content-Type"] == "application/x-sh"
    assert response["Content-Disposition"] == 'attachment; filename="run it.sh"'
    assert response["X-Content-Type-Options"] == "nosniff"


@override_settings(TOOLS_ENABLED=False)
def test_switched_off_the_api_answers_404(crew, api_for):
    tool = make_tool(crew["bob"], public=True)
    api = api_for(crew["bob"])
    assert api.get(LIST).status_code == 404
    assert api.get(detail(tool)).status_code == 404
    assert api.get(detail(tool, "download/")).status_code == 404
    assert api.delete(detail(tool)).status_code == 404
    assert Tool.objects.filter(pk=tool.pk).exists()


def test_too_long_descriptions_are_refused(crew, api_for, client_for):
    response = api_for(crew["bob"]).post(
        LIST, {"name": "long", "description": "x" * 10001, "file": upload()}, format="multipart"
    )
    assert response.status_code == 400
    assert "description" in response.json()["errors"]
    response = client_for(crew["bob"]).post(
        "/tools/create/", {"name": "long", "description": "x" * 10001, "file": upload()}
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 10000 characters" in response.content.decode()
    assert not Tool.objects.exists()
