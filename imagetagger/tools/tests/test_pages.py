"""The tools pages: switched off per request, overview, upload, edit, delete, download (allowed and
refused sides), upload limits, and files that never overwrite each other."""

import re

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tools.models import Tool
from tools.services import create_tool

from .helpers import make_tool, raw_upload, upload

pytestmark = pytest.mark.django_db


def stored_bytes(tool):
    with default_storage.open(tool.file, "rb") as handle:
        return handle.read()


def all_urls(tool):
    return [
        reverse("tools:overview"),
        reverse("tools:create"),
        reverse("tools:edit", args=[tool.pk]),
        reverse("tools:delete", args=[tool.pk]),
        reverse("tools:download", args=[tool.pk]),
    ]


# --- switched on and off (read on each request) -------------------------------------------------------


def test_switched_off_every_page_answers_404_and_the_navbar_hides_the_link(crew, client_for):
    tool = make_tool(crew["bob"])
    client = client_for(crew["bob"])
    with override_settings(TOOLS_ENABLED=False):
        for url in all_urls(tool):
            assert client.get(url).status_code == 404, url
            assert client.post(url).status_code == 404, url
        assert 'id="tools-link"' not in client.get(reverse("base:home")).content.decode()
    # The same process, switched on again: everything answers.
    for url in all_urls(tool):
        assert client.get(url).status_code == 200, url
    assert 'id="tools-link"' in client.get(reverse("base:home")).content.decode()


def test_anonymous_users_are_sent_to_the_login(crew, client):
    tool = make_tool(crew["bob"], public=True)
    for url in all_urls(tool):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/user/login/"), url
    assert client.post(reverse("tools:delete", args=[tool.pk])).status_code == 302
    assert Tool.objects.filter(pk=tool.pk).exists()


# --- overview ------------------------------------------------------------------------------------------


def test_overview_lists_only_readable_tools_with_the_buttons_each_user_may_use(crew, client_for):
    private = make_tool(crew["bob"], name="team secret", team=crew["team"])
    public = make_tool(crew["otto"], name="otto public", public=True)
    hidden = make_tool(crew["otto"], name="otto hidden")

    page = client_for(crew["cleo"]).get(reverse("tools:overview")).content.decode()
    assert "team secret" in page
    assert "otto public" in page
    assert "otto hidden" not in page
    assert reverse("tools:download", args=[private.pk]) in page
    assert reverse("tools:edit", args=[private.pk]) not in page
    assert reverse("tools:delete", args=[public.pk]) not in page
    row = re.search(rf'<tr id="tool-{private.pk}">.*?</tr>', page, re.S).group(0)
    assert 'aria-label="private"' in row
    row = re.search(rf'<tr id="tool-{public.pk}">.*?</tr>', page, re.S).group(0)
    assert 'aria-label="private"' not in row

    page = client_for(crew["ada"]).get(reverse("tools:overview")).content.decode()
    assert reverse("tools:edit", args=[private.pk]) in page
    assert reverse("tools:delete", args=[private.pk]) in page
    assert reverse("tools:edit", args=[public.pk]) not in page

    page = client_for(crew["sam"]).get(reverse("tools:overview")).content.decode()
    assert reverse("tools:delete", args=[hidden.pk]) in page
    assert reverse("tools:edit", args=[hidden.pk]) not in page


def test_overview_queries_do_not_grow_with_the_number_of_tools(crew, client_for, make_user, make_team):
    client = client_for(crew["cleo"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("tools:overview")).status_code == 200
        return len(queries)

    def add(n):
        for _i in range(n):
            owner = make_user()
            team = make_team(admins=[owner], members=[crew["cleo"]])
            make_tool(owner, name=f"tool {owner.username}", team=team)
            make_tool(owner, name=f"pub {owner.username}", public=True)

    add(1)
    few = count()
    add(6)
    assert count() == few
    assert Tool.objects.count() == 14


# --- upload --------------------------------------------------------------------------------------------


@override_settings(TOOL_UPLOAD_NOTICE="<strong id='notice'>Mind the licence</strong>")
def test_upload_page_shows_the_notice_and_only_my_teams(crew, client_for, make_team):
    make_team("Strangers")
    page = client_for(crew["bob"]).get(reverse("tools:create")).content.decode()
    assert "<strong id='notice'>Mind the licence</strong>" in page
    assert "Robots" in page
    assert "Strangers" not in page


def test_upload_stores_the_file_under_a_generated_name(crew, client_for):
    client = client_for(crew["bob"])
    response = client.post(
        reverse("tools:create"),
        {
            "name": " Bag converter ",
            "description": "sets to bags",
            "team": crew["team"].pk,
            "public": "on",
            "file": upload("to_rosbag.py", b"import rosbag\n"),
        },
    )
    tool = Tool.objects.get()
    assert response.status_code == 302
    assert response["Location"] == tool.get_absolute_url()
    assert (tool.name, tool.team, tool.creator, tool.public) == ("Bag converter", crew["team"], crew["bob"], True)
    assert (tool.filename, tool.size, tool.content_type) == ("to_rosbag.py", 14, "text/x-python")
    assert re.fullmatch(r"tools/[0-9a-f]{32}/to_rosbag\.py", tool.file)
    assert stored_bytes(tool) == b"import rosbag\n"


@override_settings(TOOLS_PATH="shared/tools")
def test_upload_goes_into_the_configured_folder(crew):
    assert make_tool(crew["bob"]).file.startswith("shared/tools/")


def test_upload_refuses_a_team_i_am_not_in(crew, client_for, make_team):
    other = make_team("Others")
    response = client_for(crew["bob"]).post(reverse("tools:create"), {"name": "x", "team": other.pk, "file": upload()})
    assert response.status_code == 400
    assert "You can only give a tool to one of your teams." in response.content.decode()
    assert not Tool.objects.exists()


@override_settings(TOOL_MAX_BYTES=1000)
def test_upload_refuses_files_over_the_limit_and_accepts_the_limit(crew, client_for):
    client = client_for(crew["bob"])
    response = client.post(reverse("tools:create"), {"name": "big", "file": upload("big.bin", b"x" * 1001)})
    assert response.status_code == 400
    assert "The file is too large (1001\xa0bytes); tools may be at most 1000\xa0bytes." in response.content.decode()
    assert not Tool.objects.exists()
    assert not default_storage.exists("tools")
    response = client.post(reverse("tools:create"), {"name": "fits", "file": upload("fits.bin", b"x" * 1000)})
    assert response.status_code == 302
    assert Tool.objects.get().size == 1000


def test_upload_refuses_empty_and_missing_files_and_names(crew, client_for):
    client = client_for(crew["bob"])
    response = client.post(reverse("tools:create"), {"name": "empty", "file": upload("empty.py", b"")})
    assert response.status_code == 400
    assert "The file is empty." in response.content.decode()
    response = client.post(reverse("tools:create"), {"name": "none"})
    assert response.status_code == 400
    assert "Choose a file to upload." in response.content.decode()
    response = client.post(reverse("tools:create"), {"name": "  ", "file": upload()})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Tool.objects.exists()


@pytest.mark.parametrize(
    ("uploaded", "shown", "stored"),
    [
        ("../../etc/passwd", "passwd", "passwd"),
        ("..\\..\\windows\\evil.bat", "evil.bat", "evil.bat"),
        ("über größe.py", "über größe.py", "uber_groe.py"),
        ("a\u202egnp.exe", "a gnp.exe", "a_gnp.exe"),
        ("....", "....", "file"),
    ],
)
def test_file_names_are_cleaned(crew, uploaded, shown, stored):
    tool = create_tool(actor=crew["bob"], upload=raw_upload(uploaded), name="cleaned")
    assert tool.filename == shown
    folder, name = tool.file.rsplit("/", 1)
    assert name == stored
    assert re.fullmatch(r"tools/[0-9a-f]{32}", folder)


@pytest.mark.parametrize("name", ["/", "///", "\\", "a/", "..", "\n"])
def test_names_without_a_file_name_are_refused(crew, name):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        create_tool(actor=crew["bob"], upload=raw_upload(name), name="nameless")
    assert "no usable name" in error.value.message_dict["file"][0]
    assert not Tool.objects.exists()


def test_a_failing_row_deletes_its_new_file(crew, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(Tool, "save", fail)
    with pytest.raises(RuntimeError):
        make_tool(crew["bob"])
    assert default_storage.listdir("tools") == ([], [])


# --- no overwrites --------------------------------------------------------------------------------------


def test_same_file_names_never_overwrite_each_other(crew, client_for, django_capture_on_commit_callbacks):
    first = make_tool(crew["bob"], name="one", filename="run.sh", content=b"first")
    second = make_tool(crew["otto"], name="two", filename="run.sh", content=b"second")
    # Also a name made to look like the other's stored name.
    third = create_tool(actor=crew["otto"], upload=raw_upload(first.file, b"third"), name="three")
    assert len({first.file, second.file, third.file}) == 3
    assert [stored_bytes(t) for t in (first, second, third)] == [b"first", b"second", b"third"]

    client = client_for(crew["otto"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tools:edit", args=[second.pk]), {"name": "two", "file": upload("run.sh", b"second v2")}
        )
    assert response.status_code == 302
    old_file = second.file
    second.refresh_from_db()
    assert second.file != old_file
    assert not default_storage.exists(old_file)
    assert stored_bytes(second) == b"second v2"
    assert stored_bytes(first) == b"first"
    assert stored_bytes(third) == b"third"


# --- edit ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("editor", ["bob", "ada"])
def test_creator_and_team_admin_edit_on_the_page(crew, client_for, editor):
    tool = make_tool(crew["bob"], team=crew["team"])
    client = client_for(crew[editor])
    page = client.get(reverse("tools:edit", args=[tool.pk])).content.decode()
    assert 'value="converter"' in page
    assert "The current file is convert.py" in page
    response = client.post(
        reverse("tools:edit", args=[tool.pk]), {"name": "renamed", "description": "d", "team": crew["team"].pk}
    )
    assert response.status_code == 302
    tool.refresh_from_db()
    assert (tool.name, tool.description, tool.public, tool.filename) == ("renamed", "d", False, "convert.py")
    assert stored_bytes(tool) == b"print(1)\n"


@pytest.mark.parametrize(("editor", "status"), [("cleo", 403), ("sam", 403), ("otto", 404)])
def test_others_may_not_edit_on_the_page(crew, client_for, editor, status):
    tool = make_tool(crew["bob"], team=crew["team"])
    client = client_for(crew[editor])
    assert client.get(reverse("tools:edit", args=[tool.pk])).status_code == status
    response = client.post(reverse("tools:edit", args=[tool.pk]), {"name": "hijacked", "file": upload("x.py", b"evil")})
    assert response.status_code == status
    tool.refresh_from_db()
    assert tool.name == "converter"
    assert stored_bytes(tool) == b"print(1)\n"


def test_outsider_may_not_edit_a_public_tool(crew, client_for):
    tool = make_tool(crew["bob"], public=True)
    response = client_for(crew["otto"]).post(reverse("tools:edit", args=[tool.pk]), {"name": "hijacked"})
    assert response.status_code == 403
    assert "Only the tool&#x27;s creator and the admins of its team may change this tool." in response.content.decode()


@override_settings(TOOL_MAX_BYTES=10)
def test_edit_refuses_a_too_large_file_and_keeps_the_old_one(crew, client_for):
    tool = make_tool(crew["bob"], content=b"small")
    response = client_for(crew["bob"]).post(
        reverse("tools:edit", args=[tool.pk]), {"name": "new name", "file": upload("big.py", b"x" * 11)}
    )
    assert response.status_code == 400
    assert "The file is too large" in response.content.decode()
    tool.refresh_from_db()
    assert tool.name == "converter"
    assert stored_bytes(tool) == b"small"
    assert len(default_storage.listdir("tools")[0]) == 1


# --- delete ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("deleter", ["bob", "ada", "sam"])
def test_allowed_users_delete_after_confirming(crew, client_for, deleter, django_capture_on_commit_callbacks):
    tool = make_tool(crew["bob"], team=crew["team"])
    client = client_for(crew[deleter])
    page = client.get(reverse("tools:delete", args=[tool.pk])).content.decode()
    assert "Delete converter?" in page
    assert Tool.objects.filter(pk=tool.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("tools:delete", args=[tool.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("tools:overview")
    assert not Tool.objects.exists()
    assert not default_storage.exists(tool.file)


@pytest.mark.parametrize(("deleter", "status"), [("cleo", 403), ("otto", 404)])
def test_others_may_not_delete(crew, client_for, deleter, status):
    tool = make_tool(crew["bob"], team=crew["team"])
    client = client_for(crew[deleter])
    assert client.get(reverse("tools:delete", args=[tool.pk])).status_code == status
    assert client.post(reverse("tools:delete", args=[tool.pk])).status_code == status
    assert Tool.objects.filter(pk=tool.pk).exists()
    assert default_storage.exists(tool.file)


# --- download --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["bob", "ada", "cleo", "sam"])
def test_creator_team_and_staff_download(crew, client_for, reader):
    tool = make_tool(crew["bob"], team=crew["team"], filename="convert.py", content=b"print(1)\n")
    response = client_for(crew[reader]).get(reverse("tools:download", args=[tool.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"print(1)\n"
    assert response["Content-Type"] == "text/x-python"
    assert response["Content-Disposition"] == 'attachment; filename="convert.py"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == "9"


def test_outsiders_download_public_tools_only(crew, client_for):
    private = make_tool(crew["bob"], team=crew["team"])
    public = make_tool(crew["bob"], team=crew["team"], public=True)
    client = client_for(crew["otto"])
    assert client.get(reverse("tools:download", args=[private.pk])).status_code == 404
    assert client.get(reverse("tools:download", args=[public.pk])).status_code == 200
    assert client.get(reverse("tools:download", args=[public.pk + 100])).status_code == 404


@pytest.mark.parametrize(
    ("uploaded", "disposition", "content_type"),
    [
        ('say "hi"; x=1.sh', r'attachment; filename="say \"hi\"; x=1.sh"', "application/x-sh"),
        ("line\r\nSet-Cookie: a=b.txt", 'attachment; filename="line  Set-Cookie: a=b.txt"', "text/plain"),
        ("tool.tar.gz", 'attachment; filename="tool.tar.gz"', "application/gzip"),
        ("noext", 'attachment; filename="noext"', "application/octet-stream"),
        ("größe €.zip", "attachment; filename*=utf-8''gr%C3%B6%C3%9Fe%20%E2%82%AC.zip", "application/zip"),
    ],
)
def test_download_names_are_quoted_and_types_are_right(crew, client_for, uploaded, disposition, content_type):
    tool = create_tool(actor=crew["bob"], upload=raw_upload(uploaded), name="quoted")
    response = client_for(crew["bob"]).get(reverse("tools:download", args=[tool.pk]))
    assert response["Content-Disposition"] == disposition
    assert response["Content-Type"] == content_type
    assert "Set-Cookie" not in response.headers


def test_download_of_a_lost_file_answers_404(crew, client_for):
    tool = make_tool(crew["bob"])
    default_storage.delete(tool.file)
    assert client_for(crew["bob"]).get(reverse("tools:download", args=[tool.pk])).status_code == 404


@pytest.mark.parametrize("tool_id", ["99999999999999999999999", "0"])
def test_unknown_and_out_of_range_ids_answer_404(crew, client_for, api_for, tool_id):
    assert client_for(crew["bob"]).get(f"/tools/download/{tool_id}/").status_code == 404
    assert client_for(crew["bob"]).get(f"/tools/edit/{tool_id}/").status_code == 404
    assert api_for(crew["bob"]).get(f"/api/v1/tools/{tool_id}/").status_code == 404
    assert api_for(crew["bob"]).get(f"/api/v1/tools/{tool_id}/download/").status_code == 404
    assert api_for(crew["bob"]).get("/api/v1/tools/x1/").status_code == 404
