"""State changes for image sets, their images and tags. Each function is one transaction.

Like ``users.services`` they raise ``PermissionDenied`` and ``ValidationError`` so the HTML views and
the API share them. Files are removed from storage only after the transaction that removed their
rows has committed, so a rolled-back delete never loses a file.
"""

import logging
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from annotations.permissions import type_usable_in_set
from annotations.votes import discard_votes_of_images
from base.storage import delete_after_commit
from users.permissions import team_permissions
from webhooks import events as webhook_events

from .models import Image, ImageSet, SetTag
from .permissions import imageset_permissions

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = {"name", "location", "description", "priority"}
VISIBILITY_FIELDS = {"public", "public_collaboration", "image_lock"}


def require(user, image_set, permission, message):
    if permission not in imageset_permissions(user, image_set):
        raise PermissionDenied(message)


def _lock_set(image_set):
    try:
        return ImageSet.objects.select_for_update().get(pk=image_set.pk)
    except ImageSet.DoesNotExist:
        raise ValidationError("This image set no longer exists.", code="gone") from None


def _check_name(image_set):
    image_set.name = (image_set.name or "").strip()
    image_set.full_clean(exclude=["path"], validate_constraints=False)
    if image_set.team_id is not None:
        clash = ImageSet.objects.filter(team_id=image_set.team_id, name__iexact=image_set.name)
        if clash.exclude(pk=image_set.pk).exists():
            raise ValidationError({"name": "This team already has an image set with this name."})


def _save_checked(image_set):
    """Validate and save; a concurrent create of the same name is reported like any duplicate."""
    # Collaboration only means something on public sets.
    if not image_set.public:
        image_set.public_collaboration = False
    _check_name(image_set)
    try:
        with transaction.atomic():
            image_set.save()
    except IntegrityError:
        raise ValidationError({"name": "This team already has an image set with this name."}) from None


@transaction.atomic
def create_imageset(
    *, actor, team, name, location="", description="", public=False, public_collaboration=False, priority=0
):
    """Create a set owned by ``team`` (any member may); its storage folder is "<team id>_<set id>"."""
    if "create_set" not in team_permissions(actor, team):
        raise PermissionDenied("Only members of the team may create image sets for it.")
    image_set = ImageSet(
        team=team,
        created_by_team=team,
        creator=actor,
        name=name,
        location=location or "",
        description=description or "",
        public=public,
        public_collaboration=public_collaboration,
        priority=priority,
    )
    _save_checked(image_set)
    image_set.path = f"{team.pk}_{image_set.pk}"
    image_set.save(update_fields=["path"])
    webhook_events.imageset_changed(image_set, actor, ["created"])
    return image_set


@transaction.atomic
def update_imageset(*, actor, image_set, **changes):
    """Change a set's details (``edit_set``) and its visibility and lock (``manage_set``)."""
    unknown = set(changes) - EDITABLE_FIELDS - VISIBILITY_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    image_set = _lock_set(image_set)
    permissions = imageset_permissions(actor, image_set)
    if "edit_set" not in permissions:
        raise PermissionDenied("You may not edit this image set.")
    visibility = {field for field in VISIBILITY_FIELDS & set(changes) if changes[field] != getattr(image_set, field)}
    if visibility and "manage_set" not in permissions:
        raise PermissionDenied(
            "Only team admins and the set's creator may change whether a set is public, open for "
            "collaboration or locked."
        )
    fields = sorted(EDITABLE_FIELDS | VISIBILITY_FIELDS)
    before = [getattr(image_set, field) for field in fields]
    for field, value in changes.items():
        setattr(image_set, field, value)
    _save_checked(image_set)
    changed = [field for field, old in zip(fields, before, strict=True) if getattr(image_set, field) != old]
    if changed:
        webhook_events.imageset_changed(image_set, actor, changed)
    return image_set


@transaction.atomic
def set_annotation_types(*, actor, image_set, annotation_types):
    """Choose the label types ``image_set`` uses (``edit_set``): the annotate and verify pages, filters and
    exports then show only those. An empty list means every type the set may use. A type the set may not
    use (inactive, or of a team that neither owns nor created the set) is refused, naming it; nothing
    changes then."""
    image_set = _lock_set(image_set)
    if "edit_set" not in imageset_permissions(actor, image_set):
        raise PermissionDenied("You may not edit this image set.")
    chosen = list({annotation_type.pk: annotation_type for annotation_type in annotation_types}.values())
    refused = [
        annotation_type.name
        for annotation_type in chosen
        if not type_usable_in_set(annotation_type, image_set, chosen_ids=set())
    ]
    if refused:
        names = ", ".join(f"“{name}”" for name in sorted(refused, key=str.lower))
        raise ValidationError(
            {
                "annotation_types": f"This set cannot use {names}: a set uses active site types and the types "
                "of its team (and of the team that created it)."
            },
            code="type_not_usable",
        )
    image_set.annotation_types.set(chosen)
    webhook_events.imageset_changed(image_set, actor, ["annotation_types"])
    return image_set


def _files_of(images):
    paths = []
    for image in images:
        paths += [image.relative_path, image.thumbnail_path]
    return paths


@transaction.atomic
def delete_imageset(*, actor, image_set):
    """Delete a set with its images (rows now, files once that is committed)."""
    image_set = _lock_set(image_set)
    require(actor, image_set, "delete_set", "Only team admins and the set's creator may delete an image set.")
    images = list(image_set.images.select_related("image_set"))
    paths = _files_of(images)
    if image_set.zip_file:
        paths.append(image_set.zip_file)
    tags = list(image_set.set_tags.all())
    discard_votes_of_images([image.pk for image in images])  # creators lose the points of the accepts
    webhook_events.imageset_changed(image_set, actor, ["deleted"])
    image_set.delete()
    _drop_orphan_tags(tags)
    delete_after_commit(paths)


def _free(image_set):
    image_set.team = None
    image_set.public = True
    image_set.public_collaboration = True
    image_set.image_lock = True
    image_set.save(update_fields=["team", "public", "public_collaboration", "image_lock"])


@transaction.atomic
def set_free(*, actor, image_set):
    """Give a set away: it belongs to no team and becomes public, collaborative and locked."""
    image_set = _lock_set(image_set)
    require(actor, image_set, "delete_set", "Only team admins and the set's creator may set an image set free.")
    if image_set.team_id is None:
        raise ValidationError("This image set is free already.")
    team_id = image_set.team_id
    _free(image_set)
    webhook_events.imageset_changed(image_set, actor, ["set_free"], team_id=team_id)
    return image_set


def release_team_sets(team):
    """Set every set of a team that is being dissolved free (inside the caller's transaction)."""
    for image_set in ImageSet.objects.select_for_update().filter(team=team):
        _free(image_set)


@transaction.atomic
def set_pinned(*, actor, image_set, pinned):
    require(actor, image_set, "pin", "You may not see this image set.")
    if pinned:
        image_set.pinned_by.add(actor)
    else:
        image_set.pinned_by.remove(actor)


TAG_FORBIDDEN = re.compile(r"[,&=?#/\\%]")


def normalise_tag_name(raw):
    """Tags are lower case, without ``, & = ? # / \\ %``, with ``_`` for spaces: "My Tag,&x" → "my_tagx"."""
    name = TAG_FORBIDDEN.sub("", (raw or "").strip().lower())
    name = re.sub(r"\s+", "_", name)
    if not name:
        raise ValidationError({"name": "Enter a tag name (letters, digits, - or _)."})
    if len(name) > SetTag._meta.get_field("name").max_length:
        raise ValidationError({"name": "Use at most 100 characters."})
    return name


@transaction.atomic
def add_tag(*, actor, image_set, name):
    """Tag a set (``edit_set``); returns ``(tag, added)``."""
    require(actor, image_set, "edit_set", "You may not edit this image set.")
    name = normalise_tag_name(name)
    tag, _ = SetTag.objects.get_or_create(name=name)
    if tag.imagesets.filter(pk=image_set.pk).exists():
        return tag, False
    tag.imagesets.add(image_set)
    webhook_events.imageset_changed(image_set, actor, ["tags"])
    return tag, True


@transaction.atomic
def remove_tag(*, actor, image_set, name):
    """Untag a set (``edit_set``); a tag left without sets is deleted (but ``test``)."""
    require(actor, image_set, "edit_set", "You may not edit this image set.")
    tag = SetTag.objects.filter(name=normalise_tag_name(name), imagesets=image_set).first()
    if tag is None:
        raise ValidationError({"name": "This set does not have this tag."})
    tag.imagesets.remove(image_set)
    _drop_orphan_tags([tag])
    webhook_events.imageset_changed(image_set, actor, ["tags"])


def _drop_orphan_tags(tags):
    ids = [tag.pk for tag in tags if tag.name != SetTag.PERMANENT]
    SetTag.objects.filter(pk__in=ids, imagesets__isnull=True).delete()


def content_changed(image_set_id):
    """Record that a set's images changed: its archive is stale and gets rebuilt in the background."""
    ImageSet.objects.filter(pk=image_set_id).update(content_version=F("content_version") + 1)
    from .zips import schedule_build

    transaction.on_commit(lambda: schedule_build(image_set_id))


@transaction.atomic
def delete_images(*, actor, image_set, image_ids):
    """Delete images of a set (``delete_images``: team admins and creator, unlocked sets)."""
    image_set = _lock_set(image_set)
    require(
        actor,
        image_set,
        "delete_images",
        "Only team admins and the set's creator may delete images, and only while the set is not locked.",
    )
    images = list(image_set.images.filter(pk__in=image_ids).select_related("image_set"))
    if len(images) != len(set(image_ids)):
        raise ValidationError("Some of these images do not exist or are not in this set.")
    discard_votes_of_images([image.pk for image in images])  # creators lose the points of the accepts
    Image.objects.filter(pk__in=[image.pk for image in images]).delete()
    content_changed(image_set.pk)
    deleted = sorted(image.pk for image in images)
    webhook_events.imageset_changed(image_set, actor, ["images_deleted"], extra={"images_deleted": deleted})
    delete_after_commit(_files_of(images))
    return len(images)
