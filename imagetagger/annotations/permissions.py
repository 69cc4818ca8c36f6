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
    """Annotation types are site-wide: only staff create, change and migrate them."""
    return bool(user and user.is_authenticated and user.is_staff)
