"""Keyset (cursor) pagination that stays exact while the registry changes.

A cursor names the position after which the next page starts: the values of the ordering fields
of the last row seen, the uid always last. The next page is "rows beyond that position", not
"rows after an offset", so creating or deleting rows elsewhere never makes a client skip or
repeat one. The uid is unique and never reused, so every position is unambiguous.

Rows whose ordering field is empty (NULL) sort last in ascending order and first in descending
order, the same on every database.
"""

import base64
import binascii
import datetime
import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q, QuerySet
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

TIE_BREAKER = "uid"


def url_with(request, **params) -> str:
    """This request's absolute URL with some query parameters replaced.

    Built from the decoded parameters, not from the raw query string, which a WSGI server hands
    over as Latin-1 and would mangle non-ASCII searches (?q=芬太尼) if copied through.
    """
    query = request.query_params.copy()
    for key, value in params.items():
        query[key] = str(value)
    return f"{request.build_absolute_uri(request.path)}?{query.urlencode()}"


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 50
    max_page_size = 500

    # --- the request --------------------------------------------------------------------------

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise serializers.ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return size

    def decode_cursor(self, request, ordering: list[str]) -> tuple[list, bool] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        invalid = serializers.ValidationError(
            {self.cursor_query_param: ["Invalid cursor: use the next or previous link."]}
        )
        try:
            padded = raw + "=" * (-len(raw) % 4)
            payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            values, reverse, order = payload["v"], bool(payload["r"]), payload["o"]
        except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error, RecursionError):
            # RecursionError: a cursor nested deeper than the JSON decoder can follow.
            raise invalid from None
        if order != ordering:
            raise serializers.ValidationError(
                {
                    self.cursor_query_param: [
                        "This cursor was made for another ordering; start again without it."
                    ]
                }
            )
        if not isinstance(values, list) or len(values) != len(ordering):
            raise invalid
        if not all(v is None or isinstance(v, str | int | float) for v in values):
            raise invalid
        return values, reverse

    def encode_cursor(self, values: list, *, reverse: bool) -> str:
        payload = json.dumps({"v": values, "r": int(reverse), "o": self.ordering})
        token = base64.urlsafe_b64encode(payload.encode()).decode("ascii").rstrip("=")
        return url_with(self.request, **{self.cursor_query_param: token})

    # --- the ordering -------------------------------------------------------------------------

    @staticmethod
    def ordering_of(queryset: QuerySet) -> list[str]:
        """The queryset's ordering (set by the view or the `ordering` filter), uid last."""
        ordering: list[str] = []
        for item in queryset.query.order_by or queryset.model._meta.ordering:
            if not isinstance(item, str):
                raise TypeError("keyset pagination orders by plain field names only")
            ordering.append(item)
            if item.lstrip("-") == TIE_BREAKER:
                return ordering
        return [*ordering, TIE_BREAKER]

    @staticmethod
    def _order_expressions(ordering: list[str], reverse: bool) -> list:
        expressions = []
        for item in ordering:
            descending = item.startswith("-") != reverse
            field = F(item.lstrip("-"))
            expressions.append(
                field.desc(nulls_first=True) if descending else field.asc(nulls_last=True)
            )
        return expressions

    @staticmethod
    def _beyond(ordering: list[str], values: list, reverse: bool) -> Q:
        """Rows strictly after `values` in the ordering (before them when `reverse`)."""
        condition = Q(pk__in=[])
        equal_so_far = Q()
        for item, value in zip(ordering, values, strict=True):
            field = item.lstrip("-")
            descending = item.startswith("-") != reverse
            if value is None:
                # NULL is last ascending, first descending.
                after = Q(**{f"{field}__isnull": False}) if descending else Q(pk__in=[])
                equal = Q(**{f"{field}__isnull": True})
            else:
                lookup = "lt" if descending else "gt"
                after = Q(**{f"{field}__{lookup}": value})
                if not descending:
                    after |= Q(**{f"{field}__isnull": True})
                equal = Q(**{field: value})
            condition |= equal_so_far & after
            equal_so_far &= equal
        return condition

    def _position(self, obj) -> list:
        return [_json_value(getattr(obj, item.lstrip("-"))) for item in self.ordering]

    # --- the page -----------------------------------------------------------------------------

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        self.ordering = self.ordering_of(queryset)
        cursor = self.decode_cursor(request, self.ordering)
        values, reverse = cursor if cursor else (None, False)
        # A queryset may read less for a page it is told of (a search: its index's window).
        narrowed = getattr(queryset, "narrowed_to_page", None)
        if narrowed is not None:
            queryset = narrowed(self.ordering, values, reverse, size + 1)
        if values is not None:
            try:
                queryset = queryset.filter(self._beyond(self.ordering, values, reverse))
            except (DjangoValidationError, ValueError, TypeError):
                # A cursor edited by hand: its values do not fit the ordering fields.
                raise serializers.ValidationError(
                    {self.cursor_query_param: ["Invalid cursor: use the next or previous link."]}
                ) from None
        queryset = queryset.order_by(*self._order_expressions(self.ordering, reverse))
        rows = list(queryset[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
            has_next, has_previous = True, more
        else:
            has_next, has_previous = more, values is not None
        first = self._position(rows[0]) if rows else values
        last = self._position(rows[-1]) if rows else values
        self.next_link = self.encode_cursor(last, reverse=False) if has_next and last else None
        self.previous_link = (
            self.encode_cursor(first, reverse=True) if has_previous and first else None
        )
        return rows

    def get_paginated_response(self, data):
        return Response({"next": self.next_link, "previous": self.previous_link, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page; null on the last one.",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The previous page; null on the first one.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position, taken from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": (
                    f"Rows per page, 1 to {self.max_page_size} (default {self.page_size})."
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
