from django import forms

from annotations.models import VectorType
from annotations.types import MAX_NODE_COUNT, NAME_MAX_LENGTH

NODE_COUNT_HELP = (
    "The number of nodes of every polygon (3 or more) or multi-line (2 or more); 0 allows any number. "
    "Other vector types take 0. It cannot be changed later."
)


class AnnotationTypeCreateForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, help_text=f"At most {NAME_MAX_LENGTH} characters, unique.")
    vector_type = forms.TypedChoiceField(
        choices=VectorType.choices,
        coerce=int,
        initial=VectorType.BOUNDING_BOX,
        help_text="The shape of its labels. It cannot be changed later (bounding boxes can be migrated to polygons).",
    )
    node_count = forms.IntegerField(min_value=0, max_value=MAX_NODE_COUNT, initial=0, help_text=NODE_COUNT_HELP)
    active = forms.BooleanField(required=False, initial=True)
    enable_concealed = forms.BooleanField(required=False, initial=True, label="Concealed flag (partly hidden)")
    enable_blurred = forms.BooleanField(required=False, initial=True, label="Blurred flag")


class AnnotationTypeEditForm(forms.Form):
    """Name and switches; the geometry is shown, not editable (disabled fields ignore posted values)."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH, help_text=f"At most {NAME_MAX_LENGTH} characters, unique.")
    vector_type = forms.CharField(
        disabled=True,
        required=False,
        help_text="Cannot be changed: it decides how the stored labels are read.",
    )
    node_count = forms.IntegerField(disabled=True, required=False, help_text="Cannot be changed; 0 = any number.")
    active = forms.BooleanField(required=False)
    enable_concealed = forms.BooleanField(required=False, label="Concealed flag (partly hidden)")
    enable_blurred = forms.BooleanField(required=False, label="Blurred flag")

    def __init__(self, *args, annotation_type, **kwargs):
        initial = {
            "name": annotation_type.name,
            "vector_type": annotation_type.get_vector_type_display(),
            "node_count": annotation_type.node_count,
            "active": annotation_type.active,
            "enable_concealed": annotation_type.enable_concealed,
            "enable_blurred": annotation_type.enable_blurred,
        }
        super().__init__(*args, initial=initial, **kwargs)
