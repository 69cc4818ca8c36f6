"""Exceptions carrying the server's reason (its ``detail``, or the first refused field with its message)."""


class ImageTaggerError(Exception):
    """A request the server refused or could not answer; ``status`` is the HTTP status (None: no answer)."""

    def __init__(self, message, *, status=None, data=None):
        super().__init__(message)
        self.status = status
        self.data = data


class ConnectionFailed(ImageTaggerError):
    """The server could not be reached, or the connection broke (after the retries)."""

    def __init__(self, message, *, retryable=False):
        super().__init__(message)
        self.retryable = retryable


class AuthenticationFailed(ImageTaggerError):
    """401: no token, or a wrong or revoked one."""


class PermissionDenied(ImageTaggerError):
    """403: the token's user may not do this."""


class NotFound(ImageTaggerError):
    """404: no such object, or one the user may not see."""


class BadRequest(ImageTaggerError):
    """400: the request was refused; ``fields`` maps each refused field to its reasons."""

    @property
    def fields(self):
        return self.data if isinstance(self.data, dict) else {}


class Conflict(ImageTaggerError):
    """409 / 412: someone changed the object first, or it is similar to an existing one."""


class ServerError(ImageTaggerError):
    """5xx (after the retries)."""


class JobFailed(ImageTaggerError):
    """An export, import or pre-label job ended in failure; ``data`` is its last state."""


class Timeout(ImageTaggerError):
    """A wait for a job or an archive took longer than allowed."""


_BY_STATUS = {
    400: BadRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    412: Conflict,
}


def reason_of(data, status):
    """The server's words: ``detail``, else ``field: first message``, else the status."""
    if isinstance(data, dict):
        if isinstance(data.get("detail"), str):
            return data["detail"]
        for field, messages in data.items():
            first = messages[0] if isinstance(messages, list) and messages else messages
            if isinstance(first, str | int | float):
                return f"{field}: {first}"
    if isinstance(data, list) and data and isinstance(data[0], str):
        return data[0]
    return f"The server answered {status}."


def error_for(status, data):
    kind = _BY_STATUS.get(status) or (ServerError if status >= 500 else ImageTaggerError)
    return kind(reason_of(data, status), status=status, data=data)
