"""The messages in Django's admin."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("model", ["message", "messageread"])
def test_admin_lists_and_edits_messages(people, make_message, client_for, make_user, model):
    message = make_message(team=people.team, creator=people.ada)
    message.readers.add(people.bob)
    superuser = make_user("root", is_staff=True, is_superuser=True)
    client = client_for(superuser)
    assert client.get(reverse(f"admin:tagger_messages_{model}_changelist")).status_code == 200
    obj = message if model == "message" else message.reads.get()
    assert client.get(reverse(f"admin:tagger_messages_{model}_change", args=[obj.pk])).status_code == 200


def test_admin_refuses_users_who_are_not_staff(people, client_for):
    response = client_for(people.ada).get(reverse("admin:tagger_messages_message_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
