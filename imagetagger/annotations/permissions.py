"""Who may do what with an annotation. Every HTML view and API endpoint asks ``annotation_permissions``.

An annotation's rights come from its image set (``images.permissions.imageset_permissions``):
``read``, ``annotate`` (add labels to the set), ``edit_annotation``, ``delete_annotation`` and
``verify``. One more is computed here: ``vote``, which is ``verify`` on somebody else's annotation
(nobody votes on their own labels).
"""

from images.permissions import imageset_permissions

ANNOTATION_PERMISSIONS = frozenset({"read", "annotate", "edit_annotation", "delete_annotation", "verify"})


def annotation_permissions(user, annotation, *, set_permissions=None):
    """The permission names ``user`` holds on ``annotation``.

    ``set_permissions`` (the user's permissions on the annotation's image set) may be passed by
    callers that computed them already, e.g. for a page of annotations of one set.
    """
    if set_permissions is None:
        set_permissions = imageset_permissions(user, annotation.image.image_set)
    granted = set_permissions & ANNOTATION_PERMISSIONS
    if "verify" in granted and annotation.user_id != getattr(user, "pk", None):
        granted |= {"vote"}
    return frozenset(granted)


def may_manage_annotation_types(user):
    """Site types (those of no team): only staff create, change and migrate them."""
    return bool(user and user.is_authenticated and user.is_staff)


ANNOTATION_TYPE_PERMISSIONS = frozenset({"read", "use", "manage"})
_UNKNOWN = object()


def annotation_type_permissions(user, annotation_type, *, membership=_UNKNOWN):
    """The permission names ``user`` holds on ``annotation_type``: ``read`` (see it in lists and
    pickers), ``use`` (label with it, in a set that may use it: see ``type_usable_in_set``) and
    ``manage`` (change, deactivate, delete, migrate).

    Site types: every logged-in user reads them and uses the active ones; staff manage them.
    Team types: the team's members read and use them; its admins manage them (creating one is the
    team permission ``manage_annotation_types``). Nobody else sees them
    (staff included: a team's schema is the team's). ``membership`` (the user's membership of the
    type's team, or None) may be passed by callers that loaded it.
    """
    if user is None or not user.is_authenticated:
        return frozenset()
    if annotation_type.team_id is None:
        if user.is_staff:
            return ANNOTATION_TYPE_PERMISSIONS
        # An inactive site type is still read: the labels made with it refer to it.
        return frozenset({"read", "use"}) if annotation_type.active else frozenset({"read"})
    if membership is _UNKNOWN:
        from users.models import TeamMembership

        membership = TeamMembership.objects.filter(team_id=annotation_type.team_id, user=user).first()
    if membership is None:
        return frozenset()
    granted = {"read", "use"} if annotation_type.active else {"read"}
    if membership.is_admin:
        granted |= {"manage"}
    return frozenset(granted)


def type_owners_of_set(image_set):
    """Ids of the teams whose types ``image_set`` may use: its team and the team that created it."""
    return {team_id for team_id in (image_set.team_id, image_set.created_by_team_id) if team_id is not None}


def type_usable_in_set(annotation_type, image_set, *, chosen_ids=_UNKNOWN):
    """Whether labels of ``annotation_type`` may be added to ``image_set``: an active site type or a
    type of the set's (creating) team, and one of the set's chosen types when it chose any.
    ``chosen_ids`` (the ids of the set's chosen types, empty for "all") may be passed when known."""
    if not annotation_type.active:
        return False
    if annotation_type.team_id is not None and annotation_type.team_id not in type_owners_of_set(image_set):
        return False
    if chosen_ids is _UNKNOWN:
        chosen_ids = set(image_set.annotation_types.values_list("pk", flat=True))
    return not chosen_ids or annotation_type.pk in chosen_ids
