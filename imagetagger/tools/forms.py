from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from .models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH
from .services import NOT_YOUR_TEAM

PUBLIC_HELP = "Every logged-in user can see and download a public tool; otherwise only you and the team."
TEAM_HELP = "Members of the team can download the tool; its admins can also change and delete it."


class ToolForm(forms.Form):
    """Upload (``tool`` None: the file is required) or edit a tool (a new file is optional)."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH)
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    team = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="No team (only me, or everybody if public)",
        help_text=TEAM_HELP,
        error_messages={"invalid_choice": NOT_YOUR_TEAM},
    )
    public = forms.BooleanField(required=False, help_text=PUBLIC_HELP)
    file = forms.FileField(error_messages={"empty": "The file is empty.", "required": "Choose a file to upload."})

    def __init__(self, *args, teams, tool=None, **kwargs):
        if tool is not None:
            kwargs.setdefault(
                "initial",
                {"name": tool.name, "description": tool.description, "team": tool.team_id, "public": tool.public},
            )
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        limit = filesizeformat(settings.TOOL_MAX_BYTES)
        if tool is None:
            self.fields["file"].help_text = f"At most {limit}."
        else:
            self.fields["file"].required = False
            self.fields["file"].label = "Replace the file"
            self.fields["file"].help_text = f"Optional; at most {limit}. The current file is {tool.filename}."
