from django import forms


class BackendForm(forms.Form):
    """Register or change a model backend. The label map is one text field per usable type: the
    backend's label name for that type (blank: the type is not asked for)."""

    name = forms.CharField(max_length=100)
    url = forms.CharField(max_length=500, label="Address", help_text="e.g. http://yolo-backend:9090")
    auth_header = forms.CharField(
        max_length=1000,
        required=False,
        label="Authorization header",
        help_text="Sent to the backend with every call, e.g. Bearer and the token. Never shown again.",
        widget=forms.PasswordInput(render_value=False),
    )
    interactive = forms.BooleanField(
        required=False, label="Answers prompts (a point or a box) with a shape, as SAM backends do"
    )

    def __init__(self, *args, types=(), label_map=None, keep_auth_hint=False, **kwargs):
        super().__init__(*args, **kwargs)
        by_type = {type_id: label for label, type_id in (label_map or {}).items()}
        self.types = list(types)
        for annotation_type in self.types:
            self.fields[f"label_{annotation_type.pk}"] = forms.CharField(
                max_length=100,
                required=False,
                label=f"The backend’s label for “{annotation_type.name}”",
                help_text="Leave empty if the backend should not propose this type.",
                initial=by_type.get(annotation_type.pk, ""),
            )
        if keep_auth_hint:
            self.fields["auth_header"].help_text = "Left empty: the header stays as it is. “-”: remove it."

    def label_fields(self):
        return [self[f"label_{annotation_type.pk}"] for annotation_type in self.types]

    def backend_fields(self):
        """The fields both registering and changing a backend take (the auth header differs)."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "url": data["url"],
            "interactive": data["interactive"],
            "label_map": self.label_map(),
        }

    def label_map(self):
        return {
            self.cleaned_data[f"label_{annotation_type.pk}"].strip(): annotation_type.pk
            for annotation_type in self.types
            if self.cleaned_data.get(f"label_{annotation_type.pk}", "").strip()
        }
