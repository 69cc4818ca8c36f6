"""The filters of the manage-annotations page (GET) and of its bulk delete (POST, same names).

Every filter is optional and they combine (AND):
- ``type``: the annotation type's name;
- ``editor``: the username of the last editor, or of the creator when the annotation was never edited;
- ``newer_than`` / ``older_than``: dates (YYYY-MM-DD) compared with the creation time, strictly, in the
  site's time zone: "newer than 2026-01-01" starts on 2026-01-02 at 00:00;
- ``score_min`` / ``score_max``: bounds (inclusive) of the score, accepts − rejects;
- ``origin``: ``human`` or ``machine``.
"""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from .models import AnnotationType, Origin

FILTER_FIELDS = ("type", "editor", "newer_than", "older_than", "score_min", "score_max", "origin")
SCORE_LIMIT = 1_000_000
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(9999, 12, 30)


class TypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name if obj.active else f"{obj.name} (inactive)"


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
        queryset=AnnotationType.objects.order_by("name", "pk"),
        to_field_name="name",
        required=False,
        empty_label="any",
        label="Annotation type",
        error_messages={"invalid_choice": "There is no annotation type named “%(value)s”."},
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
                value = value.name
            elif name == "editor":
                value = value.username
            elif isinstance(value, date):
                value = f"{value:%Y-%m-%d}"
            items.append((name, str(value)))
        return items


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
