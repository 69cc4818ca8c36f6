"""The one form for creating and editing label types, used by the team's pages (``views_types``) and the
staff's site-type pages (``administration``). The attributes arrive as JSON (written by the type editor,
``static/annotations/js/typeeditor.js``, or typed into the textarea without JavaScript) and are checked with
``attributes.clean_definitions``; everything else the service checks again (``types.create_type`` /
``update_type``), whose refusals the views put back on this form."""

import json

from django import forms
from django.core.exceptions import ValidationError

from base import jsontext
from base.jsontext import JSONTextError

from . import palette
from .attributes import clean_definitions
from .models import AnnotationType, VectorType
from .types import MAX_NODE_COUNT, MAX_SORT_ORDER, NAME_MAX_LENGTH

# The names a user knows the shapes by (a multi-line is an open polygon).
SHAPE_LABELS = {
    VectorType.BOUNDING_BOX: "Bounding box",
    VectorType.POINT: "Point",
    VectorType.LINE: "Line",
    VectorType.MULTI_LINE: "Multi-line (open polygon)",
    VectorType.POLYGON: "Polygon (closed)",
    VectorType.TAG: "Tag (whole image)",
}
SHAPE_CHOICES = [(int(shape), label) for shape, label in SHAPE_LABELS.items()]
SHORTCUT_CHOICES = [("", "none"), *((str(key), str(key)) for key in range(1, 10))]

NODE_COUNT_HELP = (
    "Polygons (3 or more) and multi-lines (2 or more) only: the number of nodes every label has; 0 allows any "
    "number. It cannot be changed later."
)


class ColorInput(forms.TextInput):
    input_type = "color"


class AttributesField(forms.CharField):
    """The attribute definitions as JSON text → their canonical list (``clean_definitions``)."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "font-monospace"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False)
        return value

    def to_python(self, value):
        text = super().to_python(value).strip()
        if not text:
            return []
        try:
            raw = jsontext.loads(text, what="The attributes text")
        except JSONTextError as error:
            raise ValidationError(str(error)) from None
        try:
            return clean_definitions(raw)
        except ValidationError as error:
            raise ValidationError(error.message_dict.get("attributes", error.messages)) from None


class AnnotationTypeForm(forms.Form):
    """Create (``annotation_type=None``) or edit a type. When editing, the shape and node count are shown
    but disabled: the stored labels are read by them."""

    name = forms.CharField(
        max_length=NAME_MAX_LENGTH, help_text=f"At most {NAME_MAX_LENGTH} characters, unique among the owner's types."
    )
    vector_type = forms.TypedChoiceField(
        choices=SHAPE_CHOICES, coerce=int, initial=VectorType.BOUNDING_BOX, label="Shape",
        help_text="What a label of this type draws. It cannot be changed later.",
    )  # fmt: skip
    node_count = forms.IntegerField(
        min_value=0, max_value=MAX_NODE_COUNT, initial=0, label="Node count", help_text=NODE_COUNT_HELP
    )
    color = forms.CharField(
        max_length=7,
        required=False,
        widget=ColorInput(),
        label="Colour",
        help_text="Labels of this type are drawn in this colour.",
    )
    attributes = AttributesField(
        required=False,
        label="Attributes (JSON)",
        help_text='A list like [{"name": "occluded", "kind": "checkbox"}]; kinds: checkbox, number, text, select.',
    )
    sort_order = forms.IntegerField(
        min_value=0,
        max_value=MAX_SORT_ORDER,
        required=False,
        label="Order",
        help_text="Position in pickers and legends (smaller first); empty puts it last.",
    )
    shortcut = forms.TypedChoiceField(
        choices=SHORTCUT_CHOICES, coerce=int, empty_value=None, required=False, label="Keyboard number",
        help_text="The number key (1–9) that picks this type on the annotate page.",
    )  # fmt: skip
    enable_concealed = forms.BooleanField(required=False, initial=True, label="Concealed flag (partly hidden)")
    enable_blurred = forms.BooleanField(required=False, initial=True, label="Blurred flag")
    active = forms.BooleanField(required=False, initial=True, help_text="Inactive types are hidden from the tools.")

    GEOMETRY = ("vector_type", "node_count")
    UPDATABLE = (
        "name", "active", "enable_concealed", "enable_blurred", "color", "attributes", "sort_order", "shortcut",
    )  # fmt: skip

    def __init__(self, *args, annotation_type=None, used_colors=(), **kwargs):
        self.annotation_type = annotation_type
        if annotation_type is None:
            initial = {"color": palette.next_color(used_colors)}
        else:
            initial = {field: getattr(annotation_type, field) for field in (*self.GEOMETRY, *self.UPDATABLE)}
        initial.update(kwargs.pop("initial", {}))
        super().__init__(*args, initial=initial, **kwargs)
        if annotation_type is not None:
            for field in self.GEOMETRY:
                self.fields[field].disabled = True
                self.fields[field].help_text = "Cannot be changed: it decides how the stored labels are read."
            self.fields["sort_order"].help_text = "Position in pickers and legends (smaller first)."

    def clean_color(self):
        """Empty: the owner's next palette colour (create) or the colour it has (edit)."""
        text = self.cleaned_data["color"].strip()
        if not text:
            return None
        color = palette.normalize_color(text)
        if color is None:
            raise ValidationError("Choose a colour like #3cb44b.")
        return color

    def create_arguments(self):
        """The keyword arguments of ``types.create_type`` (without actor and team)."""
        return {field: self.cleaned_data[field] for field in (*self.GEOMETRY, *self.UPDATABLE)}

    def update_arguments(self):
        """The keyword arguments of ``types.update_type`` (without actor and type): an empty colour or
        order keeps the type's, and a post without the attributes field keeps its attributes."""
        arguments = {field: self.cleaned_data[field] for field in self.UPDATABLE}
        for field in ("color", "sort_order"):
            if arguments[field] is None:
                del arguments[field]
        if "attributes" not in self.data:
            del arguments["attributes"]
        return arguments

    # --- for the template ----------------------------------------------------------------------

    def palette(self):
        return palette.PALETTE

    def current_color(self):
        value = self["color"].value()
        return palette.normalize_color(value or "") or self.initial.get("color") or palette.PALETTE[0]

    def current_shape(self):
        try:
            return int(self["vector_type"].value())
        except (TypeError, ValueError):
            return VectorType.BOUNDING_BOX


def attribute_overview(annotation_type):
    """The attribute definitions in words: "occluded (checkbox), pose (select: 3 values)"."""
    parts = []
    for definition in annotation_type.attributes or ():
        kind = definition.get("kind")
        detail = kind
        if kind == "select":
            detail = f"select: {len(definition.get('values') or ())} values"
        elif kind == "number" and (definition.get("min") is not None or definition.get("max") is not None):
            low = "" if definition.get("min") is None else definition["min"]
            high = "" if definition.get("max") is None else definition["max"]
            detail = f"number {low}–{high}"
        parts.append(f"{definition.get('name')} ({detail}{', required' if definition.get('required') else ''})")
    return ", ".join(parts)


def type_label(annotation_type: AnnotationType):
    return SHAPE_LABELS.get(annotation_type.vector_type, annotation_type.get_vector_type_display())
