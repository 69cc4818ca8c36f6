"""The filters of the manage-annotations page (GET) and of its bulk delete (POST, same names).

Every filter is optional and they combine (AND):
- ``type``: one of the set's types (those it may use, see ``set_types``), by name (or by id when two of
  them share the name);
- ``attribute``: "name = value": labels whose attribute ``name`` holds ``value`` (read by the kind of the
  attribute in each of the set's types that defines it; "yes"/"no" for checkboxes);
- ``editor``: the username of the last editor, or of the creator when the annotation was never edited;
- ``newer_than`` / ``older_than``: dates (YYYY-MM-DD) compared with the creation time, strictly, in the
  site's time zone: "newer than 2026-01-01" starts on 2026-01-02 at 00:00;
- ``score_min`` / ``score_max``: bounds (inclusive) of the score, accepts − rejects;
- ``origin``: ``human`` or ``machine``.
"""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, Q
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from images.models import ImageSet

from .attributes import value_problem
from .models import AnnotationType, AttributeKind, Origin
from .permissions import type_owners_of_set

FILTER_FIELDS = ("type", "attribute", "editor", "newer_than", "older_than", "score_min", "score_max", "origin")
ATTRIBUTE_FILTER_MAX_LENGTH = 200
TRUE_WORDS = {"yes", "true", "1", "on", "ticked"}
FALSE_WORDS = {"no", "false", "0", "off", "unticked"}
SCORE_LIMIT = 1_000_000
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(9999, 12, 30)


def set_types(image_set):
    """The types the manage page of ``image_set`` filters by: those it may use (its chosen ones, or the
    site's and its (creating) team's), inactive ones included (their labels stay), in schema order."""
    owners = type_owners_of_set(image_set)
    chosen = ImageSet.annotation_types.through.objects.filter(imageset_id=image_set.pk)
    return (
        AnnotationType.objects.usable_by_teams(owners)
        .filter(Q(pk__in=chosen.values("annotationtype_id")) | ~Exists(chosen))
        .select_related("team")
        .in_schema_order()
    )


class TypeChoiceField(forms.ModelChoiceField):
    """A type by name, or by id when two of the offered types share the name."""

    def _types(self):
        if getattr(self, "_loaded", None) is None:
            self._loaded = list(self.queryset)
            names = [annotation_type.name for annotation_type in self._loaded]
            self._shared = {name for name in names if names.count(name) > 1}
        return self._loaded

    def key(self, annotation_type):
        self._types()
        return str(annotation_type.pk) if annotation_type.name in self._shared else annotation_type.name

    def prepare_value(self, value):
        if isinstance(value, AnnotationType):
            return self.key(value)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value)
        for annotation_type in self._types():
            if value == self.key(annotation_type):
                return annotation_type
        raise forms.ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )

    def label_from_instance(self, obj):
        self._types()
        label = obj.name if obj.team_id is None or obj.name not in self._shared else f"{obj.name} ({obj.team.name})"
        return label if obj.active else f"{label} (inactive)"

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy._loaded = None
        return copy


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _date_field(label):
    return forms.DateField(
        required=False,
        label=label,
        input_formats=["%Y-%m-%d"],
        widget=DateInput(),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )


def _score_field(label):
    return forms.IntegerField(
        required=False,
        label=label,
        min_value=-SCORE_LIMIT,
        max_value=SCORE_LIMIT,
        error_messages={"invalid": "Enter a whole number."},
    )


class AnnotationFilterForm(forms.Form):
    type = TypeChoiceField(
        queryset=AnnotationType.objects.none(),
        required=False,
        empty_label="any",
        label="Annotation type",
        error_messages={"invalid_choice": "This set has no annotation type named “%(value)s”."},
    )
    attribute = forms.CharField(
        required=False,
        max_length=ATTRIBUTE_FILTER_MAX_LENGTH,
        label="Attribute",
        help_text="name = value, e.g. pose = side or occluded = yes.",
    )
    editor = forms.CharField(
        required=False,
        max_length=150,
        label="Last editor",
        help_text="Username; the creator when never edited.",
    )
    newer_than = _date_field("Newer than")
    older_than = _date_field("Older than")
    score_min = _score_field("Score at least")
    score_max = _score_field("Score at most")
    origin = forms.ChoiceField(
        required=False,
        label="Origin",
        choices=[("", "any"), *Origin.choices],
        error_messages={"invalid_choice": "Choose “human” or “machine”."},
    )

    def __init__(self, *args, image_set, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = set_types(image_set)

    def clean_attribute(self):
        """``(name, value text)`` or None."""
        text = self.cleaned_data["attribute"].strip()
        if not text:
            return None
        name, equals, value = text.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name:
            raise forms.ValidationError("Write the attribute filter as “name = value”, e.g. “pose = side”.")
        return name, value

    def _attribute_condition(self, annotation_type):
        """The ``Q`` that matches the attribute filter among the set's types (only ``annotation_type`` when
        the type filter is set), or a ValidationError naming the attribute."""
        name, text = self.cleaned_data["attribute"]
        types = [annotation_type] if annotation_type is not None else self.fields["type"]._types()
        definitions = [
            (candidate, definition)
            for candidate in types
            for definition in candidate.attributes or ()
            if definition.get("name") == name
        ]
        if not definitions:
            where = f"“{annotation_type.name}”" if annotation_type is not None else "this set"
            raise forms.ValidationError(f"No label type of {where} has an attribute named “{name}”.")
        matches, problems = [], []
        for candidate, definition in definitions:
            value, problem = _attribute_value(definition, text)
            if problem is None:
                matches.append(Q(annotation_type_id=candidate.pk, _attribute=value))
            else:
                problems.append(problem)
        if not matches:
            raise forms.ValidationError(f"“{text}” is no value of the attribute “{name}”: it {problems[0]}")
        condition = matches[0]
        for match in matches[1:]:
            condition |= match
        return condition

    def _clean_date(self, name):
        value = self.cleaned_data.get(name)
        if value is not None and not FIRST_DATE <= value <= LAST_DATE:
            raise forms.ValidationError(f"Enter a date from {FIRST_DATE:%Y-%m-%d} to {LAST_DATE:%Y-%m-%d}.")
        return value

    def clean_newer_than(self):
        return self._clean_date("newer_than")

    def clean_older_than(self):
        return self._clean_date("older_than")

    def clean_editor(self):
        username = self.cleaned_data["editor"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(f"There is no user named “{username}”.")
        return user

    def clean(self):
        cleaned = super().clean()
        newer, older = cleaned.get("newer_than"), cleaned.get("older_than")
        if newer is not None and older is not None and newer >= older:
            self.add_error("older_than", "“Older than” must be a later date than “newer than”.")
        low, high = cleaned.get("score_min"), cleaned.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", "The maximum score must not be below the minimum score.")
        if cleaned.get("attribute") and "type" not in self.errors:
            try:
                self.attribute_condition = self._attribute_condition(cleaned.get("type"))
            except forms.ValidationError as error:
                self.add_error("attribute", error)
        return cleaned

    # --- using the valid filters -------------------------------------------------------------

    def active_filters(self):
        """``{name: cleaned value}`` of the filters that are set (the form must be valid)."""
        return {
            name: self.cleaned_data[name] for name in FILTER_FIELDS if self.cleaned_data.get(name) not in (None, "")
        }

    def apply(self, annotations):
        """``annotations`` (with a ``score`` annotation when a score filter is set) narrowed down."""
        filters = self.active_filters()
        if "type" in filters:
            annotations = annotations.filter(annotation_type=filters["type"])
        if "attribute" in filters:
            name = filters["attribute"][0]
            annotations = annotations.alias(_attribute=KeyTransform(name, "attributes")).filter(
                self.attribute_condition
            )
        if "editor" in filters:
            user = filters["editor"]
            annotations = annotations.filter(Q(last_editor=user) | Q(last_editor__isnull=True, user=user))
        if "newer_than" in filters:
            annotations = annotations.filter(time__gte=_start_of(filters["newer_than"] + timedelta(days=1)))
        if "older_than" in filters:
            annotations = annotations.filter(time__lt=_start_of(filters["older_than"]))
        if "score_min" in filters:
            annotations = annotations.filter(score__gte=filters["score_min"])
        if "score_max" in filters:
            annotations = annotations.filter(score__lte=filters["score_max"])
        if "origin" in filters:
            annotations = annotations.filter(origin=filters["origin"])
        return annotations

    def describe(self):
        """The active filters in words: ``["type = ball", "older than 2026-01-01"]``."""
        filters = self.active_filters()
        words = []
        if "type" in filters:
            words.append(f"type = {filters['type'].name}")
        if "attribute" in filters:
            words.append("attribute {} = {}".format(*filters["attribute"]))
        if "editor" in filters:
            words.append(f"last editor = {filters['editor'].username}")
        if "newer_than" in filters:
            words.append(f"newer than {filters['newer_than']:%Y-%m-%d}")
        if "older_than" in filters:
            words.append(f"older than {filters['older_than']:%Y-%m-%d}")
        if "score_min" in filters:
            words.append(f"score ≥ {filters['score_min']}")
        if "score_max" in filters:
            words.append(f"score ≤ {filters['score_max']}")
        if "origin" in filters:
            words.append(f"origin = {filters['origin']}")
        return words

    def query_items(self):
        """The active filters as (name, raw value) pairs, to repeat them in links and hidden inputs."""
        filters = self.active_filters()
        items = []
        for name in FILTER_FIELDS:
            if name not in filters:
                continue
            value = filters[name]
            if name == "type":
                value = self.fields["type"].key(value)
            elif name == "attribute":
                value = "{} = {}".format(*value)
            elif name == "editor":
                value = value.username
            elif isinstance(value, date):
                value = f"{value:%Y-%m-%d}"
            items.append((name, str(value)))
        return items


def _attribute_value(definition, text):
    """``(value, None)``: ``text`` read as a value of ``definition``; or ``(None, problem)``."""
    kind = definition.get("kind")
    if kind == AttributeKind.CHECKBOX:
        lowered = text.lower()
        if lowered in TRUE_WORDS | FALSE_WORDS:
            return lowered in TRUE_WORDS, None
        return None, "must be yes or no."
    value = text
    if kind == AttributeKind.NUMBER:
        try:
            value = float(text)
        except ValueError:
            return None, "must be a number."
        if value.is_integer():
            value = int(value)
    problem = value_problem(definition, value)
    return (None, problem) if problem else (value, None)


def _start_of(day):
    """Midnight at the start of ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def error_summary(form):
    """One sentence naming every invalid filter and why, for the flash message."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else "Filters"
        parts.append(f"{label}: {' '.join(errors)}")
    return "Invalid filter. " + " ".join(parts)
