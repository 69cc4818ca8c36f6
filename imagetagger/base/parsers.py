"""The API's JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES). Its own module: the parser
classes are imported while DRF's views load, so this module must not import them."""

from django.conf import settings
from rest_framework import exceptions, parsers

from base import jsontext


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser read through ``base.jsontext``: a body nested too deeply or larger than
    ``IT_API_JSON_MAX_BYTES`` is a 400 with the reason, never a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_JSON_MAX_BYTES
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise exceptions.ParseError(f"The request body is larger than {limit:,} bytes (IT_API_JSON_MAX_BYTES).")
        try:
            return jsontext.loads(data, what="The request body")
        except jsontext.JSONTextError as error:
            raise exceptions.ParseError(str(error)) from None
