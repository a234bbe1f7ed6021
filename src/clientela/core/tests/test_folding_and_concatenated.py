"""Folded text (core.folding) and lists read from several querysets (core.pagination)."""

import pytest

from clientela.core.folding import fold, fold_name
from clientela.core.models import Tag
from clientela.core.pagination import (
    Concatenated,
    FirstRowsOr,
    capped_count,
    paginate,
    querysets_of,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("José Peña", "jose pena"),
        ("ÁLVARO Íñigo", "alvaro inigo"),
        ("Müller-Lüdenscheidt", "muller-ludenscheidt"),
        ("Straße", "strasse"),
        ("ﬁnanzas", "finanzas"),
        ("Zoë Ørsted, Æsir, Łódź, Œuvre", "zoe orsted, aesir, lodz, oeuvre"),
        ("maria.lopez@example.com +34 600", "maria.lopez@example.com +34 600"),
    ],
)
def test_fold_drops_case_and_accents(text, folded):
    assert fold(text) == folded


def test_a_name_key_has_single_spaces_and_a_length_limit():
    assert fold_name("  Ana   María  López ", 250) == "ana maria lopez"
    assert fold_name("Ñandú " * 100, 12) == "nandu nandu "


@pytest.fixture
def tags(db):
    names = ["Alfa", "Ámbar", "Azul", "Beta", "Cielo", "Delta", "Eco"]
    return [Tag.objects.create(name=name) for name in names]


def _two_parts():
    """The tags beginning with "A", then the others, each by id."""
    starts = Tag.objects.filter(name__startswith="A").order_by("id")
    others = Tag.objects.exclude(name__startswith="A").order_by("id")
    return Concatenated((starts, others), whole=Tag.objects.all()), [*starts.all(), *others.all()]


@pytest.mark.parametrize(
    ("start", "stop"), [(0, 1), (0, 2), (1, 4), (2, 3), (3, 5), (4, 20), (6, 9), (7, 9), (9, 12)]
)
def test_a_slice_reads_across_the_parts_as_one_list(tags, start, stop):
    concatenated, expected = _two_parts()
    assert concatenated[start:stop] == expected[start:stop]


def test_a_slice_within_the_first_part_reads_only_it(tags, django_assert_num_queries):
    concatenated, _expected = _two_parts()
    with django_assert_num_queries(1):
        concatenated[0:2]
    # Past the first part's end: it is counted, then the second is read.
    with django_assert_num_queries(3):
        assert [tag.name for tag in concatenated[4:5]] == ["Cielo"]


def test_counting_and_iterating_go_through_every_part(tags):
    concatenated, expected = _two_parts()
    assert concatenated.count() == 7
    assert capped_count(concatenated, cap=5) == (5, True)
    assert list(concatenated) == expected
    assert querysets_of(concatenated) == concatenated.parts
    page = paginate(concatenated, offset=2, limit=3, with_count=True)
    assert page.items == expected[2:5] and page.has_next and page.count == 7


def test_only_plain_slices_are_taken(tags):
    concatenated, _expected = _two_parts()
    for bad in (0, slice(0, None), slice(0, 4, 2)):
        with pytest.raises(TypeError):
            concatenated[bad]


def test_first_rows_answer_the_slices_they_fill_and_the_whole_list_the_others(
    tags, django_assert_num_queries
):
    whole = Tag.objects.order_by("name", "id")
    expected = list(whole.all())
    # "Alfa", "Azul", and "Ámbar" unless the collation compares bytes (then it is last).
    rows = FirstRowsOr(whole.filter(name__lt="B"), whole=whole)
    with django_assert_num_queries(1):
        assert rows[0:2] == expected[0:2]
    with django_assert_num_queries(2):
        assert rows[1:4] == expected[1:4]
    with django_assert_num_queries(2):
        assert rows[10:12] == []
    assert list(rows) == expected and rows.count() == 7
    assert querysets_of(rows) == (whole,)
    assert paginate(rows, offset=1, limit=2).items == expected[1:3]
