from django.utils.functional import cached_property

from . import selectors

BADGE_LIMIT = 9


class UnreadMessages:
    """The navbar badge: how many messages the user has not read, counted (one query) when a
    template first asks, at most once per request; anonymous users cost no query."""

    def __init__(self, user):
        self._user = user

    @cached_property
    def count(self):
        if self._user is None or not self._user.is_authenticated:
            return 0
        # Counting stops past the limit: the badge only says "9+" then.
        return selectors.unread_count(self._user, limit=BADGE_LIMIT + 1)

    @property
    def label(self):
        return f"{BADGE_LIMIT}+" if self.count > BADGE_LIMIT else str(self.count)


def unread_messages(request):
    # Error pages rendered before the authentication middleware ran have no user.
    return {"unread_messages": UnreadMessages(getattr(request, "user", None))}
