from django import forms

from base.ids import parse_id

from .models import ImageSet, Priority, SetTag

NAME_MAX_LENGTH = ImageSet._meta.get_field("name").max_length
LOCATION_MAX_LENGTH = ImageSet._meta.get_field("location").max_length
DESCRIPTION_MAX_LENGTH = ImageSet._meta.get_field("description").max_length
TAG_MAX_LENGTH = SetTag._meta.get_field("name").max_length

PUBLIC_HELP = "Every logged-in user can see a public set and its labels."
COLLABORATION_HELP = "Only for public sets: everybody may also label and verify its images."
LOCK_HELP = "A locked set accepts no new images, and none of its images can be deleted."


class ImageSetFieldsMixin(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, help_text="Unique within the team.")
    location = forms.CharField(
        max_length=LOCATION_MAX_LENGTH, required=False, help_text="Where the pictures were taken."
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    priority = forms.TypedChoiceField(
        choices=Priority.choices, coerce=int, initial=Priority.NORMAL, help_text="Labelling priority."
    )
    public = forms.BooleanField(required=False, help_text=PUBLIC_HELP)
    public_collaboration = forms.BooleanField(
        required=False, label="Public collaboration", help_text=COLLABORATION_HELP
    )


class ImageSetCreateForm(ImageSetFieldsMixin):
    team = forms.ModelChoiceField(queryset=None, empty_label=None, help_text="The team that owns the set.")

    field_order = ["team", "name", "location", "description", "priority", "public", "public_collaboration"]

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class ImageSetEditForm(ImageSetFieldsMixin):
    """Edits a set. ``public``, ``public_collaboration`` and ``image_lock`` exist only for users with
    ``manage_set``: for others they are neither shown nor accepted."""

    image_lock = forms.BooleanField(required=False, label="Lock images", help_text=LOCK_HELP)

    VISIBILITY_FIELDS = ("public", "public_collaboration", "image_lock")

    def __init__(self, *args, image_set, can_manage, **kwargs):
        initial = {
            field: getattr(image_set, field)
            for field in ("name", "location", "description", "priority", *self.VISIBILITY_FIELDS)
        }
        super().__init__(*args, initial=initial, **kwargs)
        if not can_manage:
            for field in self.VISIBILITY_FIELDS:
                del self.fields[field]


class SetTypesForm(forms.Form):
    """The label types a set uses, out of ``usable_types`` (those it may use); none ticked means all.
    Shown in the set's edit form (same ``<form>``), saved through ``services.set_annotation_types``."""

    annotation_types = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Label types this set uses",
        error_messages={
            "invalid_choice": "This set cannot use the type with id %(value)s.",
            "invalid_pk_value": "“%(pk)s” is not a type id.",
        },
    )

    def __init__(self, *args, image_set, usable_types, **kwargs):
        initial = {"annotation_types": [annotation_type.pk for annotation_type in image_set.annotation_types.all()]}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["annotation_types"].queryset = usable_types

    def choices(self):
        """``[(type, ticked)]`` for the checkbox list (colour swatch, name, owner): one query."""
        ticked = {str(pk) for pk in self["annotation_types"].value() or ()}
        return [
            (annotation_type, str(annotation_type.pk) in ticked)
            for annotation_type in self.fields["annotation_types"].queryset
        ]


class TagForm(forms.Form):
    name = forms.CharField(max_length=TAG_MAX_LENGTH, label="Tag")


class ImageSelectionForm(forms.Form):
    """Ids of images picked on the set page (``image`` repeated), and whether the user confirmed."""

    confirm = forms.BooleanField(required=False)

    def __init__(self, data, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.raw_ids = data.getlist("image") if data is not None else []

    def clean(self):
        ids = []
        for raw in self.raw_ids:
            value = parse_id(raw)
            if value is None:
                raise forms.ValidationError("The selection holds something that is not an image id.")
            ids.append(value)
        if not ids:
            raise forms.ValidationError("Select at least one image to delete.")
        self.cleaned_data["image_ids"] = sorted(set(ids))
        return self.cleaned_data


class ImageFilterForm(forms.Form):
    """The set page's image filters (GET, kept in the page's address). ``types``: the set's usable
    types; ``people``: who may have uploaded (the team's members)."""

    missing = forms.TypedChoiceField(label="Missing labels of", coerce=int, required=False, empty_value=None)
    has = forms.TypedChoiceField(label="With labels of", coerce=int, required=False, empty_value=None)
    unverified = forms.BooleanField(label="Labels nobody has voted on", required=False)
    machine = forms.BooleanField(label="Machine-made labels", required=False)
    uploader = forms.TypedChoiceField(label="Uploaded by", coerce=int, required=False, empty_value=None)

    def __init__(self, data, *, types, people):
        super().__init__(data)
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-select form-select-sm"
            field.widget.attrs["class"] = css
        type_choices = [(annotation_type.pk, annotation_type.name) for annotation_type in types]
        self.fields["missing"].choices = [("", "—"), *type_choices]
        self.fields["has"].choices = [("", "—"), *type_choices]
        self.fields["uploader"].choices = [("", "anyone")] + [(user.pk, user.username) for user in people]

    def filters(self):
        """The valid filters that are set (a bad value is reported by the form and ignored)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, False, "")}
