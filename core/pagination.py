"""A paginator whose page query also counts: a list page costs one query, not two."""

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window


class CountingPaginator(Paginator):
    """Django's paginator, with the page's rows fetched together with the number of all
    rows (``COUNT(*) OVER ()``), which ``Paginator`` otherwise asks for first, in a query
    of its own. A page without rows (an empty list, a number past the last page) and
    whatever this does not apply to (a number that is not a positive ``int``, a
    ``DISTINCT``, sliced or combined query, a list) are Django's: counted first."""

    TOTAL = "_rows_in_all_pages"

    def page(self, number):
        if not (
            type(number) is int
            and number >= 1
            and "count" not in self.__dict__
            and self._counts_with_window()
        ):
            return super().page(number)
        bottom = (number - 1) * self.per_page
        # As many rows as the page can show: the orphans too, which a last page takes in.
        rows = list(
            self.object_list.annotate(**{self.TOTAL: Window(Count("*"))})[
                bottom : bottom + self.per_page + self.orphans
            ]
        )
        if not rows:
            return super().page(number)
        self.count = getattr(rows[0], self.TOTAL)
        number = self.validate_number(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(rows[: top - bottom], number, self)

    def _counts_with_window(self) -> bool:
        objects = self.object_list
        return (
            isinstance(objects, QuerySet)
            and not objects.query.distinct
            and not objects.query.is_sliced
            and not objects.query.combinator
        )
