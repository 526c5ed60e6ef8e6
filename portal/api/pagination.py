"""Cursor pagination: a stable page however many rows are added while a caller walks a list,
and no COUNT over a province's hundred thousand rows (DESIGN.md §9)."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
