"""Limited offset pagination that never counts a million rows."""

from dataclasses import dataclass

COUNT_CAP = 10_000
# Past any list's end, and within what SQLite and PostgreSQL take for an OFFSET.
MAX_OFFSET = 10**12


@dataclass
class Page:
    items: list
    offset: int
    limit: int
    has_next: bool
    count: int
    count_is_capped: bool
    counted: bool = True

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def next_offset(self) -> int:
        return self.offset + self.limit

    @property
    def previous_offset(self) -> int:
        return max(self.offset - self.limit, 0)

    @property
    def first_number(self) -> int:
        return self.offset + 1 if self.items else 0

    @property
    def last_number(self) -> int:
        return self.offset + len(self.items)


class QuerysetResults:
    """Results read from querysets, in `parts` order, that answer like a queryset where
    `paginate`, `capped_count` and the exports need it: iterating reads the parts in turn;
    counting, and any other order, go to `whole`, which holds every row."""

    parts: tuple
    whole: object

    def __getitem__(self, window: slice) -> list:
        raise NotImplementedError

    def __iter__(self):
        for part in self.parts:
            yield from part

    def count(self) -> int:
        return self.whole.count()

    def order_by(self, *fields):
        """The rows in another order: a queryset again (as `capped_count` asks for)."""
        return self.whole.order_by(*fields)

    @property
    def count_ordering(self):
        return getattr(self.whole, "count_ordering", ())


class Concatenated(QuerysetResults):
    """Ordered querysets that share no row, read as one list, one after the other (a search's
    best matches, then its other matches). A slice queries only the parts it reaches; a part
    is counted only when a slice begins past its end. `whole` holds the rows of all the parts,
    in any order."""

    def __init__(self, parts, *, whole):
        self.parts = tuple(parts)
        self.whole = whole

    def __getitem__(self, window: slice) -> list:
        start, stop = _bounds(window)
        rows: list = []
        for part in self.parts:
            if start >= stop:
                break
            found = list(part[start:stop])
            rows.extend(found)
            if len(found) == stop - start:
                break
            # This part ends before `stop`: the next one takes over where it ends.
            length = start + len(found) if found or start == 0 else part.count()
            start, stop = max(start - length, 0), stop - length
        return rows


class FirstRowsOr(QuerysetResults):
    """The rows of `whole`, read from `first` when a slice lies within it: `first` holds the
    first rows of `whole`, in its order, and is cheaper to read (the start of an index). A
    slice `first` cannot fill is read from `whole`."""

    def __init__(self, first, *, whole):
        self.first = first
        self.whole = whole
        self.parts = (whole,)

    def __getitem__(self, window: slice) -> list:
        start, stop = _bounds(window)
        rows = list(self.first[start:stop])
        return rows if len(rows) == stop - start else list(self.whole[start:stop])


def _bounds(window) -> tuple[int, int]:
    if not isinstance(window, slice) or window.step not in (None, 1) or window.stop is None:
        raise TypeError("Only slices with an end and no step are taken.")
    return window.start or 0, window.stop


def querysets_of(results) -> tuple:
    """The querysets a list of results reads, in order: a queryset's is itself."""
    return results.parts if isinstance(results, QuerysetResults) else (results,)


def capped_count(queryset, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """Count rows up to `cap` (+1 to know whether there are more); cheap on any table size.

    Any `cap + 1` rows give the same answer, so a queryset may name a `count_ordering` that
    reaches the rows it admits cheaply first (the access querysets put public records first:
    they need no per-row grant check)."""
    ordering = getattr(queryset, "count_ordering", ())
    count = queryset.order_by(*ordering).values("pk")[: cap + 1].count()
    return min(count, cap), count > cap


def paginate(queryset, offset: int = 0, limit: int = 50, with_count: bool = True) -> Page:
    """One page of `queryset`. Without `with_count`, the count is still known, for free,
    when this page reaches the end of the results (and the page was not past the end)."""
    offset, limit = min(max(int(offset), 0), MAX_OFFSET), max(min(int(limit), 200), 1)
    rows = list(queryset[offset : offset + limit + 1])
    has_next = len(rows) > limit
    counted = with_count or (not has_next and (bool(rows) or offset == 0))
    if with_count:
        count, capped = capped_count(queryset)
    elif counted:
        count, capped = offset + len(rows), False
    else:
        count, capped = 0, False
    return Page(
        items=rows[:limit],
        offset=offset,
        limit=limit,
        has_next=has_next,
        count=count,
        count_is_capped=capped,
        counted=counted,
    )
