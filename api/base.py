"""What every endpoint of the API shares: strict JSON (decimals stay Decimal, never float), one error
shape naming the row and field, strict serializers (unknown fields refused), stable pagination."""

import codecs
import json
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from common.errors import DomainError
from common.money import plain_number

MAX_PAGE_SIZE = 1000


class DecimalJSONParser(JSONParser):
    """JSON whose numbers with a fraction or exponent are read as Decimal: money never passes
    through a float. NaN and Infinity are refused, as is nesting too deep to parse."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            return json.load(decoded, parse_float=Decimal, parse_constant=_refuse_constant)
        except (ValueError, UnicodeError, RecursionError) as error:
            raise exceptions.ParseError(f"JSON parse error: {error}") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _messages(detail) -> list[str]:
    if isinstance(detail, (list, tuple)):
        return [str(item) for item in detail]
    return [str(detail)]


def error_entries(detail, *, field: str | None = None) -> list[dict]:
    """A DRF validation error as a flat list of `{"index"?, "field", "message"}`: a list of objects
    (a batch's rows) gives each row's 0-based index; nested objects give a dotted field."""
    entries: list[dict] = []
    if isinstance(detail, Mapping) and detail and all(isinstance(key, int) for key in detail):
        # DRF reports a list's bad items as {index: errors}.
        return error_entries([detail.get(index, {}) for index in range(max(detail) + 1)], field=field)
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", settings.REST_FRAMEWORK.get("NON_FIELD_ERRORS_KEY")) else str(key)
            inner = f"{field}.{name}" if field and name else (name or field)
            entries += error_entries(value, field=inner)
    elif isinstance(detail, (list, tuple)) and any(isinstance(item, (Mapping, list, tuple)) for item in detail):
        for index, item in enumerate(detail):
            if not item:
                continue
            for entry in error_entries(item):
                if "index" not in entry:
                    # A row's own field; a message about the row as a whole names the list.
                    entries.append({"index": index, **entry, "field": entry["field"] or field})
                else:  # a list inside a row: keep the row's index, name the inner place in the field
                    entries.append({"index": index, "field": f"{entry['index']}.{entry['field']}", "message": entry["message"]})
    else:
        entries += [{"field": field, "message": message} for message in _messages(detail)]
    return entries


def api_exception_handler(exc, context):
    """DRF's handler, with every error body as `{"detail", "errors": [{"index"?, "field", "message"}]}`."""
    if isinstance(exc, DomainError):
        exc = exceptions.ValidationError({exc.field or "non_field_errors": exc.errors})
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = error_entries(exc.detail)
        response.data = {"detail": errors[0]["message"] if errors else "Invalid request.", "errors": errors}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, Mapping) else str(response.data)
        response.data = {"detail": str(detail), "errors": [{"field": None, "message": str(detail)}]}
    return response


def errors_response(errors: list[dict], *, status: int) -> Response:
    return Response({"detail": errors[0]["message"] if errors else "", "errors": errors}, status=status)


class ApiView(APIView):
    """The base of every Costbook API view: the strict JSON parser and the error shape."""

    parser_classes = (DecimalJSONParser,)

    def get_exception_handler(self):
        return api_exception_handler


class Pagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}`, `page_size` up to 1,000; every list is ordered by
    a unique key so pages never overlap or skip."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


def paginated(view: ApiView, queryset, render) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, view.request, view=view)
    return paginator.get_paginated_response([render(row) for row in page])


class StrictSerializer(serializers.Serializer):
    """A serializer that names and refuses fields it does not know (a typo is not silently dropped)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class Text(serializers.CharField):
    """A string field: strings only (not numbers or booleans). DRF's CharField already refuses NUL
    characters and lone surrogates (which PostgreSQL could not store)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def number_text(value: Decimal | None) -> str:
    """A Decimal as the CSV contract writes numbers (plain, no exponent)."""
    return "" if value is None else plain_number(value)


def amount_text(value: Decimal) -> str:
    return f"{value:.2f}"
