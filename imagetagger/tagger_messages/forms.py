from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from users.models import Team

from .models import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH, Audience

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class MessageFieldsForm(forms.Form):
    """Title, content and the time the message is shown (now until ``DEFAULT_EXPIRE_TIME`` days later)."""

    title = forms.CharField(max_length=TITLE_MAX_LENGTH)
    content = forms.CharField(max_length=CONTENT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5}))
    start_time = forms.DateTimeField(label="Shown from", widget=DateTimeLocalInput())
    expire_time = forms.DateTimeField(
        label="Shown until", widget=DateTimeLocalInput(), help_text="The message disappears at this time."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["start_time"].initial = now
        self.fields["expire_time"].initial = now + timedelta(days=settings.DEFAULT_EXPIRE_TIME)

    def clean(self):
        cleaned = super().clean()
        start, expire = cleaned.get("start_time"), cleaned.get("expire_time")
        if start and expire and expire <= start:
            self.add_error("expire_time", "The expiry must be after the start.")
        return cleaned


class TeamMessageForm(MessageFieldsForm):
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        empty_label=None,
        help_text="Only teams you administer are offered.",
        error_messages={"invalid_choice": "You can only write to teams you administer."},
    )
    admins_only = forms.BooleanField(required=False, label="Only for the team's admins")

    field_order = ["team", "title", "content", "start_time", "expire_time", "admins_only"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(memberships__user=user, memberships__is_admin=True)


class AnnouncementForm(MessageFieldsForm):
    audience = forms.ChoiceField(
        choices=Audience.choices,
        initial=Audience.ALL,
        label="For",
    )
