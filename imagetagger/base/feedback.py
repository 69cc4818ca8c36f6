"""Telling the user what a service refused (its ``ValidationError``), shared by the HTML views of every app."""

from django.contrib import messages


def flash_errors(request, error):
    """Each message of ``error`` as an error message on the next page."""
    for message in error.messages:
        messages.error(request, message)


def add_errors(form, error):
    """Put ``error`` on ``form``: each field's messages on that field when the form shows it (and it is not
    disabled, so the user can act on it), everything else on top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        shown = field in form.fields and not form.fields[field].disabled
        form.add_error(field if shown else None, errors)
