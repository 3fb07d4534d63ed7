"""Limit/offset pagination with the total, the same on every list."""

from functools import cache

from django.db.models import QuerySet
from ninja import Field, Schema
from pydantic import create_model

MAX_LIMIT = 200


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Rows per page (1–200).")
    offset: int = Field(0, ge=0, le=10_000_000, description="Rows to skip.")


@cache
def page_of(item: type[Schema]) -> type[Schema]:
    """The page schema of `item`: `items`, `total` (rows matching the filters), `limit`,
    `offset`."""
    return create_model(
        f"{item.__name__}Page",
        __base__=Schema,
        items=(list[item], ...),
        total=(int, ...),
        limit=(int, ...),
        offset=(int, ...),
    )


def paginate(queryset: QuerySet, page: PageParams, row) -> dict:
    """One COUNT and one query for the page's rows (plus the queryset's prefetches); `row`
    turns each object into the item's dict."""
    total = queryset.count()
    rows = list(queryset[page.offset : page.offset + page.limit])
    return {
        "items": [row(obj) for obj in rows],
        "total": total,
        "limit": page.limit,
        "offset": page.offset,
    }
