from django import forms

from .models import Event


class WebhookForm(forms.Form):
    """Register or change a webhook: address, events, a description and (optionally) the secret."""

    url = forms.CharField(
        max_length=500, label="Address", help_text="Where the POSTs go, e.g. https://ci.example.org/hook"
    )
    description = forms.CharField(max_length=200, required=False, help_text="What receives the events (optional).")
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    secret = forms.CharField(
        max_length=200,
        required=False,
        label="Secret",
        help_text="Signs every delivery. Leave it empty for a random one, shown once after saving.",
        widget=forms.PasswordInput(render_value=False),
    )

    def __init__(self, *args, changing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if changing:
            self.fields[
                "secret"
            ].help_text = "Leave it empty to keep the secret; “New secret” on the webhook's page makes a random one."
