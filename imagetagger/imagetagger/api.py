"""Shared pieces of the REST API: pagination, error format and the /api/v1/ URL list."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from base.ids import parse_id


def is_api(request):
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    """Django's 404 page, or ``{"detail": "Not found."}`` under /api/ (URLs no route matches, such
    as ``/api/v1/exports/1e3/``), as the API's own 404s answer."""
    if is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return JsonResponse({"detail": "Server error: the error has been logged."}, status=500)
    return defaults.server_error(request)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _summarise(errors, prefix=""):
    """Flatten DRF's nested error structure into one readable sentence."""
    if isinstance(errors, dict):
        parts = []
        for field, value in errors.items():
            label = "" if field in ("non_field_errors", "__all__") else f"{prefix}{field}"
            parts.extend(_summarise(value, f"{label}." if label else ""))
        return parts
    if isinstance(errors, list):
        parts = []
        for value in errors:
            parts.extend(_summarise(value, prefix))
        return parts
    label = prefix.rstrip(".")
    return [f"{label}: {errors}" if label else str(errors)]


def exception_handler(exc, context):
    """DRF's handler, plus: Django ValidationErrors become 400s, and every error body has "detail".

    Validation errors look like ``{"detail": "name: This field is required.", "errors": {"name": [...]}}``
    so that clients can show one message or map errors to fields.
    """
    if isinstance(exc, DjangoValidationError):
        errors = as_serializer_error(exc)
        # Django calls non-field errors "__all__"; DRF's serializers call them "non_field_errors".
        if NON_FIELD_ERRORS in errors:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail=errors)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data
        response.data = {"detail": " ".join(_summarise(errors)) or "Invalid input."}
        if isinstance(errors, dict):
            response.data["errors"] = errors
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": " ".join(_summarise(response.data))}
    return response


def id_from_query(value, name, what="an id"):
    """``value`` (a query parameter) as an id (base.ids.parse_id), or a 400 naming ``name``."""
    number = parse_id(value)
    if number is None:
        raise exceptions.ValidationError({name: [f"Give {what} (a whole number from 1)."]})
    return number
