"""Paginator helpers for long lists."""

from django.db.models import Model, QuerySet


class IdsFirst:
    """A queryset as Paginator's object list, a page read in two steps: the page's ids from the
    queryset without its joins, which the index on its ordering serves as a LIMIT, then those rows
    with their joins. With the joins in the first step SQLite started from the smallest joined
    table (the tariffs of a payment list) and sorted every payment of the period to show 25 —
    78 ms at 100,000 clients, against 2.4 ms for the ids alone."""

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def page_ids(self, index: slice) -> list[int]:
        return list(self.queryset.values_list("pk", flat=True)[index])

    def __getitem__(self, index: slice) -> list[Model]:
        ids = self.page_ids(index)
        return list(self.queryset.filter(pk__in=ids)) if ids else []
