"""Reads for image sets, each a fixed number of queries whatever the number of sets or images."""

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Lower

from users.models import TeamMembership

from .models import Image, ImageSet, SetTag
from .services import normalise_tag_name

IMAGES_PER_PAGE = 60
SETS_PER_PAGE = 25
HOME_SETS_LIMIT = 100

_SetTags = SetTag.imagesets.through


def _tags():
    return Prefetch("set_tags", queryset=SetTag.objects.order_by("name").only("id", "name"))


def set_list(queryset=None):
    """Sets with their team and their tags (one extra query); ``image_count`` is the set's maintained
    column (kept by triggers, see ``ImageSet.image_count``), not a count over its images."""
    queryset = ImageSet.objects.all() if queryset is None else queryset
    return queryset.select_related("team").prefetch_related(_tags())


def imageset_for_page():
    """Sets as the set page shows them: with their team, creator and tags."""
    return ImageSet.objects.select_related("team", "creator").prefetch_related(_tags())


def labelled_images(image_set, annotation_types=None):
    """``{type id: images of image_set with at least one label of that type}`` from the maintained
    ``SetTypeCount`` rows (one query, one row per type, whatever the number of images)."""
    from annotations.models import SetTypeCount

    rows = SetTypeCount.objects.filter(image_set=image_set, labelled_images__gt=0)
    if annotation_types is not None:
        rows = rows.filter(annotation_type__in=annotation_types)
    return dict(rows.values_list("annotation_type_id", "labelled_images"))


def set_images(image_set):
    """The images of a set in page order, reading only what a thumbnail grid shows."""
    return Image.objects.filter(image_set=image_set).order_by("name", "id").only("id", "name", "image_set_id")


def filtered_images(images, filters):
    """``images`` narrowed by the set page's ``filters`` (ImageFilterForm.filters): each one an EXISTS
    over the image's labels, so the page stays one query (plus one COUNT) whatever the set's size."""
    from annotations.models import Annotation, Origin, Verification

    labels = Annotation.objects.filter(image=OuterRef("pk"))
    if "missing" in filters:
        images = images.filter(~Exists(labels.filter(annotation_type_id=filters["missing"])))
    if "has" in filters:
        images = images.filter(Exists(labels.filter(annotation_type_id=filters["has"])))
    if filters.get("unverified"):
        unvoted = labels.filter(~Exists(Verification.objects.filter(annotation=OuterRef("pk"))))
        images = images.filter(Exists(unvoted))
    if filters.get("machine"):
        images = images.filter(Exists(labels.filter(origin=Origin.MACHINE)))
    if "uploader" in filters:
        images = images.filter(uploader_id=filters["uploader"])
    return images


def parse_tags(raw):
    """``"Cats, dogs ,"`` → ``["cats", "dogs"]`` (normalised like stored tags, unique, in order)."""
    names = []
    for token in (raw or "").split(","):
        try:
            name = normalise_tag_name(token)
        except ValidationError:  # an empty or over-long token matches nothing and is ignored
            continue
        if name not in names:
            names.append(name)
    return names


def explore_sets(user, *, query="", tags=()):
    """Sets ``user`` may read whose name contains ``query`` and that carry every tag in ``tags``,
    ordered by team name, set name and id (sets without a team last)."""
    sets = ImageSet.objects.visible_to(user)
    query = (query or "").strip()
    if query:
        sets = sets.filter(name__icontains=query)
    for name in tags:
        sets = sets.filter(Exists(_SetTags.objects.filter(imageset_id=OuterRef("pk"), settag__name=name)))
    return set_list(sets).order_by(Lower("team__name").asc(nulls_last=True), Lower("name"), "name", "id")


def team_sets(team, *, include_private, order="name", tag=None):
    """Sets of ``team`` (only public ones unless ``include_private``), in the order asked for:
    ``name`` (public first, then name), ``date`` (newest first) or ``size`` (most images first)."""
    sets = ImageSet.objects.filter(team=team)
    if not include_private:
        sets = sets.filter(public=True)
    if tag:
        sets = sets.filter(Exists(_SetTags.objects.filter(imageset_id=OuterRef("pk"), settag__name=tag)))
    orderings = {
        "name": ["-public", Lower("name"), "id"],
        "date": ["-time", "-id"],
        "size": ["-image_count", Lower("name"), "id"],
    }
    return set_list(sets).order_by(*orderings.get(order, orderings["name"]))


def pinned_sets(user):
    """Sets ``user`` pinned and may still read (a pinned set may have become private or free)."""
    pinned = ImageSet.objects.visible_to(user).filter(pinned_by=user)
    return set_list(pinned).order_by(Lower("name"), "id")


def my_team_sets(user):
    """Sets of ``user``'s teams: high priority first, then newest."""
    mine = TeamMembership.objects.filter(team_id=OuterRef("team_id"), user=user)
    return set_list(ImageSet.objects.filter(Exists(mine))).order_by("-priority", "-time", "-id")


def tag_suggestions(user, query, limit):
    """Tag names for an autocomplete: names starting with ``query`` first, then names containing
    it. Only tags of sets ``user`` may read (and ``test``) are offered."""
    query = (query or "").strip().lower().replace(" ", "_")
    if not query:
        return []
    readable = ImageSet.objects.visible_to(user).filter(pk=OuterRef("imageset_id"))
    used = _SetTags.objects.filter(settag_id=OuterRef("pk")).filter(Exists(readable))
    tags = SetTag.objects.filter(Q(name=SetTag.PERMANENT) | Exists(used)).order_by("name")
    names = list(tags.filter(name__startswith=query).values_list("name", flat=True)[:limit])
    if len(names) < limit:
        rest = tags.filter(name__contains=query).exclude(name__startswith=query)
        names += list(rest.values_list("name", flat=True)[: limit - len(names)])
    return names


def is_pinned(image_set, user):
    return image_set.pinned_by.filter(pk=user.pk).exists()
