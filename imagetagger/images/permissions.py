"""Who may do what with an image set. Every HTML view and API endpoint asks ``imageset_permissions``.

The names are the original ImageTagger's, plus:
- ``manage_set``: change ``public``, ``public_collaboration`` and ``image_lock`` (team admins and the
  set's creator while they are in its team);
- ``upload_images``: add images (``edit_set`` on an unlocked set);
- ``pin``: pin the set to one's home page (anyone who may read it).

Matrix (design.md §4): admins of the owning team and the set's creator (while a member) get
everything; members get everything but ``delete_set``, ``delete_images`` and ``manage_set``; any
logged-in user gets ``read`` and ``create_export`` on public sets, plus ``annotate``, ``verify``,
``edit_annotation`` and ``delete_annotation`` when the set is also open for collaboration. A set set
free belongs to no team: only the public rights apply, and only staff may delete it. A locked set
refuses ``upload_images`` and ``delete_images`` to everybody. Anonymous users get nothing.
"""

from users.models import TeamMembership

READ = frozenset({"read", "pin"})
PUBLIC = READ | {"create_export"}
COLLABORATION = PUBLIC | {"annotate", "verify", "edit_annotation", "delete_annotation"}
MEMBER = COLLABORATION | {"edit_set", "delete_export", "upload_images"}
ADMIN = MEMBER | {"delete_set", "delete_images", "manage_set"}
LOCKED_OUT = frozenset({"upload_images", "delete_images"})

_UNKNOWN = object()


def imageset_permissions(user, image_set, *, membership=_UNKNOWN):
    """The set of permission names ``user`` holds on ``image_set``.

    ``membership`` (the user's membership of the set's team, or None) may be passed by callers that
    loaded it already, to save a query.
    """
    if user is None or not user.is_authenticated:
        return frozenset()
    if image_set.team_id is not None and membership is _UNKNOWN:
        membership = TeamMembership.objects.filter(team_id=image_set.team_id, user=user).first()
    member_is_admin = None if image_set.team_id is None or membership is None else membership.is_admin
    return imageset_permissions_from_facts(user, image_set, member_is_admin=member_is_admin)


def imageset_permissions_from_facts(user, image_set, *, member_is_admin):
    """``imageset_permissions`` from a fact the caller read already, without a query:
    ``member_is_admin`` is None when ``user`` is no member of the set's team, else the membership's
    ``is_admin`` (e.g. read by a subquery in the statement that loaded or locked the set's image)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    granted = frozenset()
    if image_set.team_id is not None and member_is_admin is not None:
        is_creator = image_set.creator_id == user.pk
        granted = ADMIN if (member_is_admin or is_creator) else MEMBER
    if image_set.public:
        granted |= COLLABORATION if image_set.public_collaboration else PUBLIC
    if image_set.team_id is None and user.is_staff:
        granted |= {"delete_set"}
    if image_set.image_lock:
        granted -= LOCKED_OUT
    return frozenset(granted)


def membership_is_admin(user, team_field):
    """An expression for querysets (``.annotate(member_is_admin=…)``): the ``is_admin`` of ``user``'s
    membership of the team in ``team_field`` (e.g. ``"image_set__team_id"``), NULL for no membership.
    One correlated subquery in the same statement, so the permission facts cost no query of their own."""
    return membership_is_admin_of(user.pk, team_field)


def membership_is_admin_of(user_id, team_field):
    """``membership_is_admin`` by the user's id (for prepared queries, which build with markers)."""
    from django.db.models import OuterRef, Subquery

    mine = TeamMembership.objects.filter(team_id=OuterRef(team_field), user_id=user_id).values("is_admin")[:1]
    return Subquery(mine)


def memberships_by_team(user, team_ids):
    """``{team_id: membership}`` of ``user`` for a batch of sets (one query)."""
    if not user.is_authenticated:
        return {}
    return {m.team_id: m for m in TeamMembership.objects.filter(user=user, team_id__in=set(team_ids) - {None})}
