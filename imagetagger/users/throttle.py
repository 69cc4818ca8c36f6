"""Log-in throttling (django-axes' handler, ``AXES_HANDLER``).

axes itself pauses one account from one address after ``IT_LOGIN_FAILURE_LIMIT`` failures
(``AXES_LOCKOUT_PARAMETERS``: the pair). A lab behind one NAT address shares that address, so a
mistyped or attacked account must not lock everyone out: the address as a whole is paused only at a
higher ceiling, ``IT_LOGIN_ADDRESS_FAILURE_LIMIT`` failures on any accounts; and an account as a
whole at ``IT_LOGIN_ACCOUNT_FAILURE_LIMIT`` failures from any addresses (guessing spread over many
addresses). Failures older than the cool-off time do not count.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


class LoginThrottle(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None):
        if super().is_locked(request, credentials):
            return True
        recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
        address = get_client_ip_address(request)
        username = get_client_username(request, credentials)
        over = (address and _failures(recent.filter(ip_address=address)) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT) or (
            username and _failures(recent.filter(username=username)) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT
        )
        if over:
            request.axes_locked_out = True  # answer with the lockout page, as for the pair's own limit
        return bool(over)


def _failures(attempts):
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
