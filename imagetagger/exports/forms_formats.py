"""The export-format form (spec §1.3.4, §3.5): whitespace-preserving templates, validated."""

from django import forms

from annotations.models import AnnotationType

from .models import DEFAULT_NAME_FORMAT, ExportFormat, OutputKind
from .template import FIELD_KINDS, attribute_names_used, validate_templates

TEMPLATE_FIELDS = (
    "name_format",
    "base_format",
    "image_format",
    "annotation_format",
    "vector_format",
    "not_in_image_format",
)

# The placeholder legends shown beside each template field (spec §3.4).
_IMAGE_LEGEND = [
    ("%%imageset", "name of the image set"),
    ("%%imagewidth, %%imageheight", "image size in pixels"),
    ("%%imagename", "image name (original file name)"),
    ("%%imageid", "image id"),
]
_GEOMETRY_LEGEND = [
    ("%%minx, %%relminx", "minimal x of the annotation, absolute or relative to the image width"),
    ("%%maxx, %%relmaxx", "maximal x, absolute or relative"),
    ("%%miny, %%relminy", "minimal y, absolute or relative to the image height"),
    ("%%maxy, %%relmaxy", "maximal y, absolute or relative"),
    ("%%cx, %%relcx, %%cy, %%relcy", "centre (bounding-box centre; a point's own position)"),
    ("%%width, %%relwidth, %%height, %%relheight", "extent (never negative)"),
    ("%%rad, %%relrad, %%dia, %%reldia", "radius and diameter (boxes and polygons; else 0)"),
]
# Attribute placeholders (template.py): in the annotation, vector and not-in-image formats.
_ATTRIBUTE_LEGEND = [
    ("%%attributes", "the label's attribute values as a JSON object in the type's order, {} when none"),
    (
        "%%attr:NAME, %%attr:{NAME}",
        "the value of attribute NAME: true/false, a number or the text; empty when the label has none. "
        "NAME is the run of letters, digits, _ and - after the colon; write other names in braces, "
        "e.g. %%attr:{truck type}",
    ),
]
LEGENDS = {
    "name_format": [
        ("%%imageset", "name of the image set"),
        ("%%team", "team of the set (DeletedTeam if it has none)"),
        ("%%setlocation", "location of the set"),
        ("%%exportid", "id of the export"),
    ],
    "base_format": [
        ("%%content", "the annotations (or, when grouping by images, the images); required"),
        ("%%imageset", "name of the image set"),
        ("%%setdescription", "description of the set"),
        ("%%team", "team of the set (DeletedTeam if it has none)"),
        ("%%setlocation", "location of the set"),
    ],
    "image_format": [
        *_IMAGE_LEGEND,
        ("%%annotations", "the annotations of that image, one per line"),
        ("%%annoamount", "number of exported annotations of that image"),
    ],
    "annotation_format": [
        *_IMAGE_LEGEND,
        ("%%type", "annotation type"),
        ("%%veriamount", "verification score (accepts − rejects)"),
        ("%%vector", "the vertices, each written with the vector format (empty for an image tag)"),
        *_GEOMETRY_LEGEND,
        *_ATTRIBUTE_LEGEND,
        ("%%ifblurred … %%endif", "text kept only if the annotation is blurred"),
        ("%%ifnotblurred … %%endif", "kept only if not blurred"),
        ("%%ifconcealed … %%endif", "kept only if concealed"),
        ("%%ifnotconcealed … %%endif", "kept only if not concealed (conditionals cannot be nested)"),
    ],
    "vector_format": [
        ("%%count0, %%count1", "number of the vertex, from 0 or from 1"),
        ("%%x, %%relx", "x of the vertex, absolute or relative to the image width"),
        ("%%y, %%rely", "y of the vertex, absolute or relative to the image height"),
        ("%%br", "a line break"),
        ("%%sep", "a comma between vertices, nothing after the last one (lists without a trailing comma)"),
        *_ATTRIBUTE_LEGEND,
    ],
    "not_in_image_format": [
        *_IMAGE_LEGEND,
        ("%%type", "annotation type"),
        ("%%veriamount", "verification score"),
        *_ATTRIBUTE_LEGEND,
    ],
}


_FLAGS_JSON = (
    '"blurred": %%ifblurredtrue%%endif%%ifnotblurredfalse%%endif, '
    '"concealed": %%ifconcealedtrue%%endif%%ifnotconcealedfalse%%endif'
)

# Ready-made formats, offered on the create page ("Start from"); a new format starts as the first.
# Each one's output parses as it says (exports/tests/test_format_presets.py).
PRESETS = {
    "jsonl": {
        "label": "JSON lines (a label per line)",
        "fields": {
            "name_format": "%%imageset_%%exportid.jsonl",
            "output": "jsonl",
            "base_format": "%%content",
            "annotation_format": (
                '{"image": "%%imagename", "image_id": %%imageid, "type": "%%type", "score": %%veriamount, '
                '"vector": {%%vector}, ' + _FLAGS_JSON + ', "attributes": %%attributes}'
            ),
            "vector_format": '"x%%count1": %%x, "y%%count1": %%y%%sep ',
            "not_in_image_format": (
                '{"image": "%%imagename", "image_id": %%imageid, "type": "%%type", "score": %%veriamount, '
                '"vector": null, "attributes": %%attributes}'
            ),
        },
    },
    "csv": {
        "label": "CSV with a header (boxes)",
        "fields": {
            "name_format": "%%imageset_%%exportid.csv",
            "output": "csv",
            "base_format": "image,type,score,min_x,min_y,max_x,max_y,blurred,concealed\n%%content",
            "annotation_format": (
                "%%imagename,%%type,%%veriamount,%%minx,%%miny,%%maxx,%%maxy,"
                "%%ifblurredtrue%%endif%%ifnotblurredfalse%%endif,%%ifconcealedtrue%%endif%%ifnotconcealedfalse%%endif"
            ),
            "vector_format": "",
            "not_in_image_format": "%%imagename,%%type,%%veriamount,,,,,,",
        },
    },
    "lines": {
        "label": "Label lines (the label import reads them)",
        "fields": {
            "name_format": DEFAULT_NAME_FORMAT,
            "output": "text",
            "base_format": "%%content",
            "annotation_format": "%%imagename|%%type|{%%vector}|%%ifblurredb%%endif%%ifconcealedc%%endif",
            "vector_format": '"x%%count1": %%x, "y%%count1": %%y%%sep ',
            "not_in_image_format": "%%imagename|%%type|not in image",
        },
    },
}
SUGGESTED = PRESETS["jsonl"]["fields"]


def normalise_newlines(text):
    """Browsers send a textarea's line breaks as CRLF; templates store them as "\n"."""
    return (text or "").replace("\r\n", "\n")


class TemplateField(forms.CharField):
    def to_python(self, value):
        return normalise_newlines(super().to_python(value))


def _template_field(label, *, required=False, rows=3, help_text=""):
    return TemplateField(
        label=label,
        required=required,
        strip=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "class": "form-control font-monospace", "spellcheck": "false"}),
    )


class TypeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name if obj.team_id is None else f"{obj.name} ({obj.team.name})"


def usable_types(team_ids):
    """The types a format of these teams may export: site types and those teams' own, never another
    team's (``AnnotationType.usable_by_teams``), in schema order."""
    return AnnotationType.objects.usable_by_teams(team_ids).select_related("team").in_schema_order()


class ExportFormatForm(forms.ModelForm):
    """Create (with ``teams``: the teams the user may choose) or edit (team fixed) a format."""

    name = forms.CharField(max_length=100, strip=True)
    name_format = forms.CharField(
        label="File name format", max_length=200, strip=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    base_format = _template_field("Base format", required=True)
    image_format = _template_field("Image format")
    annotation_format = _template_field("Annotation format")
    vector_format = _template_field("Vector format", rows=2)
    not_in_image_format = _template_field("Not-in-image format", rows=2)
    annotation_types = TypeChoiceField(
        queryset=AnnotationType.objects.none(),
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 6}),
        help_text="The types whose annotations are exported. Hold down Ctrl (⌘ on a Mac) to select several.",
    )
    image_aggregation = forms.BooleanField(
        label="Group annotations by images", required=False, help_text="Write each image with the image format."
    )

    class Meta:
        model = ExportFormat
        fields = [
            "name",
            "team",
            "name_format",
            "public",
            "annotation_types",
            "min_verifications",
            "include_blurred",
            "include_concealed",
            "output",
            "base_format",
            "image_aggregation",
            "image_format",
            "annotation_format",
            "vector_format",
            "not_in_image_format",
        ]
        labels = {
            "public": "Public (usable by everyone)",
            "min_verifications": "Minimal verification score",
            "output": "The file is",
        }
        help_texts = {
            "output": "JSON and CSV files are checked in the preview; their text values are escaped for you "
            "(write the quotes of JSON strings in the templates), and %%content starts without an empty line.",
            "min_verifications": "Only annotations with accepts − rejects ≥ this value are exported.",
        }

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            for name, value in SUGGESTED.items():
                self.initial.setdefault(name, value)
        if teams is None:
            del self.fields["team"]
            team_ids = [self.instance.team_id] if self.instance.team_id else []
        else:
            self.fields["team"].queryset = teams
            self.fields["team"].empty_label = None
            team_ids = list(teams.values_list("pk", flat=True))
        self.fields["annotation_types"].queryset = usable_types(team_ids)
        self.fields["output"].required = False  # absent (older forms, scripts): plain text
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif name not in TEMPLATE_FIELDS and name != "annotation_types":
                field.widget.attrs.setdefault("class", "form-select" if name in ("team", "output") else "form-control")

    def clean_output(self):
        return self.cleaned_data.get("output") or OutputKind.TEXT

    def legend_fields(self):
        """``[(bound field, legend entries)]`` in the page order."""
        return [(self[name], LEGENDS.get(name, [])) for name in self.fields]

    def team_value(self):
        if "team" in self.fields:
            return self.cleaned_data.get("team")
        return self.instance.team

    def clean(self):
        cleaned = super().clean()
        templates = {name: cleaned.get(name) or "" for name in TEMPLATE_FIELDS if name in cleaned}
        for field, messages in validate_templates(
            templates, image_aggregation=bool(cleaned.get("image_aggregation"))
        ).items():
            for message in messages:
                self.add_error(field, message)
        team, name = self.team_value(), cleaned.get("name")
        chosen = cleaned.get("annotation_types")
        if team is not None and chosen:
            foreign = [t.name for t in chosen if t.team_id is not None and t.team_id != team.pk]
            if foreign:
                self.add_error(
                    "annotation_types",
                    f"{', '.join(foreign)}: type(s) of another team; a format of {team.name} may export only "
                    "site types and its own.",
                )
            self._check_attribute_names(templates, chosen)
        if team is not None and name:
            clash = ExportFormat.objects.filter(team=team, name__iexact=name).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("name", "This team already has an export format with this name.")
        return cleaned

    def _check_attribute_names(self, templates, chosen):
        """Each ``%%attr:NAME`` must name an attribute of one of the chosen types."""
        defined = {definition.get("name") for t in chosen for definition in t.attributes or ()}
        for field, text in templates.items():
            missing = [name for name in attribute_names_used(text, FIELD_KINDS[field]) if name not in defined]
            if missing:
                self.add_error(
                    field,
                    f"No chosen type has an attribute {', '.join(f'“{name}”' for name in missing)} "
                    "(%%attr:NAME takes letters, digits, _ and -; write other names as %%attr:{NAME}).",
                )

    def validate_constraints(self, exclude=None):
        # The name rule is checked in clean() with a clearer message.
        pass
