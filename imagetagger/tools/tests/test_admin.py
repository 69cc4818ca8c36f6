import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from tools.models import Tool

from .helpers import make_tool

pytestmark = pytest.mark.django_db


def test_admin_lists_and_deletes_tools_with_their_files(crew, client_for, django_capture_on_commit_callbacks):
    crew["sam"].is_superuser = True
    crew["sam"].save()
    tool = make_tool(crew["bob"], name="listed tool")
    client = client_for(crew["sam"])
    assert "listed tool" in client.get(reverse("admin:tools_tool_changelist")).content.decode()
    assert client.get(reverse("admin:tools_tool_add")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:tools_tool_delete", args=[tool.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Tool.objects.exists()
    assert not default_storage.exists(tool.file)
