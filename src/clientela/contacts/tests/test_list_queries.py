"""The contact list as `queries.contact_list` reads it: multi-word searches, the tags read as a
column, the list built once per reach, and what each costs in queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.accounts.services import set_team, update_user
from clientela.contacts import filters, services
from clientela.contacts.filters import BEST_MATCHES_FIRST, ContactFilter
from clientela.contacts.models import Contact
from clientela.contacts.queries import contact_list
from clientela.core.access import AccessLevel
from clientela.core.folding import fold
from clientela.core.pagination import FirstRowsOr
from clientela.core.testing import api_client

API = "/api/v1"


def person(actor, first, last, **extra):
    return services.create_contact(
        actor, {"kind": "person", "first_name": first, "last_name": last, **extra}
    )


@pytest.fixture
def world(user, other_user, admin_user):
    """Contacts matching "lucía ortega" in every way, within and out of `user`'s reach."""
    team = set_team(admin_user, None, name="Ventas", member_ids=[user.pk])
    public = {"access": AccessLevel.PUBLIC_READ}
    return {
        "own": person(user, "Lucía", "Ortega"),
        "reversed": person(other_user, "Ortega", "Lucía", **public),
        "inside_longer_words": person(other_user, "Lucíana", "Fortega", **public),
        "surname_in_email": person(
            other_user, "Lucía", "Martín", emails=[{"email": "lortega@example.com"}], **public
        ),
        "shared_with_user": person(other_user, "Lucía", "Ortega Díaz", shared_user_ids=[user.pk]),
        "shared_with_team": person(other_user, "Lucía", "Ortega Ruiz", shared_team_ids=[team.pk]),
        "hidden": person(other_user, "Lucía", "Ortega Secreta"),
        "one_word_only": person(user, "Lucía", "Gómez"),
        "other_word_only": person(user, "Marta", "Ortega"),
    }


def _expected(user, q) -> list[int]:
    """Every contact within reach whose search text holds every word of `q` (without regard
    to case or accents), in the list's order: those whose name begins with the words as
    typed first, then the others, each by name."""
    words = fold(q).split()
    matches = [
        contact
        for contact in Contact.objects.visible_to(user).order_by("name_key", "id")
        if all(word in contact.search_text for word in words)
    ]
    best = [contact.pk for contact in matches if contact.name_key.startswith(" ".join(words))]
    return best + [contact.pk for contact in matches if contact.pk not in best]


@pytest.mark.parametrize(
    "q", ["lucía ortega", "ORTEGA  Lucía", "ortega lucía lucía", "lucia ortega", "LUCIA ORTEGA"]
)
def test_every_word_must_appear_somewhere_and_nothing_out_of_reach(world, user, q):
    found = [contact.pk for contact in contact_list(user, ContactFilter(q=q))]
    assert found == _expected(user, q)
    assert set(found) == {
        world[name].pk
        for name in (
            "own",
            "reversed",
            "inside_longer_words",
            "surname_in_email",
            "shared_with_user",
            "shared_with_team",
        )
    }


def test_the_api_and_the_page_find_the_same_contacts(world, user, client):
    rows = api_client(user).get(f"{API}/contacts", {"q": "lucía ortega"}).json()["items"]
    assert [row["id"] for row in rows] == _expected(user, "lucía ortega")
    client.force_login(user)
    page = client.get("/contacts/", {"q": "lucía ortega"}).content.decode()
    assert "Ortega Secreta" not in page and "Gómez" not in page
    assert all(row["display_name"] in page for row in rows)


def test_an_admin_finds_every_match(world, admin_user):
    found = {contact.pk for contact in contact_list(admin_user, ContactFilter(q="lucía ortega"))}
    assert world["hidden"].pk in found
    assert world["one_word_only"].pk not in found and world["other_word_only"].pk not in found


def test_rows_carry_their_tags_in_the_tags_order(user):
    tagged = person(user, "Ana", "Etiquetas", tags=["zeta", "Alfa", "beta"])
    bare = person(user, "Ana", "Sin Etiquetas")

    rows = {row["id"]: row for row in api_client(user).get(f"{API}/contacts").json()["items"]}

    assert rows[tagged.pk]["tags"] == [
        {"id": pk, "name": name, "color": color}
        for pk, name, color in tagged.tags.order_by("name", "id").values_list("id", "name", "color")
    ]
    assert [tag["name"] for tag in rows[tagged.pk]["tags"]] == ["Alfa", "beta", "zeta"]
    assert rows[bare.pk]["tags"] == []
    export = api_client(user).get(f"{API}/contacts/export.csv")
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert any("Alfa, beta, zeta" in line for line in lines)


def test_the_list_follows_a_change_of_role_at_once(user, other_user, admin_user):
    mine = person(user, "Ana", "Propia")
    theirs = person(other_user, "Bruno", "Ajeno")

    def listed():
        return {contact.pk for contact in contact_list(user)}

    assert listed() == {mine.pk}
    update_user(admin_user, user, role="admin")
    assert listed() == {mine.pk, theirs.pk}
    update_user(admin_user, user, role="user")
    assert listed() == {mine.pk}
    update_user(admin_user, user, is_active=False)
    assert listed() == set()


def test_two_users_never_see_each_others_list(user, other_user):
    mine = person(user, "Ana", "Propia")
    theirs = person(other_user, "Bruno", "Ajeno")
    for _ in range(2):
        assert [contact.pk for contact in contact_list(user)] == [mine.pk]
        assert [contact.pk for contact in contact_list(other_user)] == [theirs.pk]


@pytest.mark.parametrize(
    ("rows", "first", "expected_queries"),
    [(3, "Lucía", 3), (60, "Lucía", 2), (3, "Ana Lucía", 3), (60, "Ana Lucía", 3)],
)
def test_a_multi_word_search_costs_at_most_three_queries_and_never_counts(
    user, other_user, rows, first, expected_queries
):
    for i in range(rows):
        person(
            user,
            first,
            f"Ortega {i:02d}",
            tags=["vip", f"t{i}"],
            manager_ids=[user.pk, other_user.pk],
            access=AccessLevel.PUBLIC_READ if i % 2 else AccessLevel.PRIVATE,
        )
    ana = api_client(user)
    ana.get(f"{API}/contacts")  # the token's "last used" stamp is written once a minute
    with CaptureQueriesContext(connection) as queries:
        body = ana.get(f"{API}/contacts", {"q": "lucía ortega", "limit": 50}).json()
    # The token, then the page of the best matches (names that begin "Lucía Ortega") with
    # their tags, companies and roles as columns, then, unless they fill it, the other matches.
    assert len(queries) == expected_queries
    assert len(body["items"]) == min(rows, 50)
    assert body["count"] == (rows if rows <= 50 else None)


def test_a_search_lists_the_names_that_begin_with_it_first_then_the_others(user):
    zapata = person(user, "María", "Zapata")
    abad = person(user, "Ana María", "Abad")
    alonso = person(user, "Maria", "Alonso")
    in_email = person(user, "Beatriz", "Cano", emails=[{"email": "mariab@example.com"}])
    person(user, "Marta", "Río")

    def found(**filters):
        return [contact.pk for contact in contact_list(user, ContactFilter(**filters))]

    assert found(q="MARÍA") == [alonso.pk, zapata.pk, abad.pk, in_email.pk]
    assert found(q="maria zap") == [zapata.pk]
    # Sorting by a column sorts every match by it.
    assert found(q="maria", ordering="name") == [abad.pk, in_email.pk, alonso.pk, zapata.pk]
    assert found(q="maria", ordering="-name") == [zapata.pk, alonso.pk, in_email.pk, abad.pk]


def test_what_decides_the_order_in_force():
    assert ContactFilter().sort == "name"
    assert ContactFilter(q="   ").sort == "name"
    assert ContactFilter(q="maría").sort == BEST_MATCHES_FIRST
    assert ContactFilter(q="maría", ordering="-created").sort == "-created"
    # A word that starts an address is looked for in the addresses, not in the names.
    assert ContactFilter(q="maria lopez@").sort == "name"
    # No name begins with a phone number.
    assert ContactFilter(q="+34 600").sort == "name"
    assert ContactFilter(q="612").sort == "name"


def test_names_sort_without_regard_to_case_or_accents(user):
    beatriz = person(user, "Beatriz", "Soto")
    alvaro = person(user, "Álvaro", "Ruiz")
    alberto = person(user, "alberto", "Vega")
    assert [contact.pk for contact in contact_list(user)] == [alberto.pk, alvaro.pk, beatriz.pk]


def test_the_api_pages_through_the_best_matches_and_then_the_others(user):
    for surname in ("Cano", "Abad", "Soto", "Vega", "Ríos"):
        person(user, "Lucía", surname)
        person(user, "Ana Lucía", surname)
    person(user, "Marta", "Gil")
    ana = api_client(user)
    pages = [
        ana.get(f"{API}/contacts", {"q": "lucia", "limit": 3, "offset": offset}).json()
        for offset in range(0, 12, 3)
    ]
    names = [row["display_name"] for page in pages for row in page["items"]]
    assert names == [
        *[f"Lucía {s}" for s in ("Abad", "Cano", "Ríos", "Soto", "Vega")],
        *[f"Ana Lucía {s}" for s in ("Abad", "Cano", "Ríos", "Soto", "Vega")],
    ]
    assert [page["next_offset"] is not None for page in pages] == [True, True, True, False]
    assert pages[-1]["count"] == 10
    counted = ana.get(f"{API}/contacts", {"q": "lucia", "limit": 3, "count": "true"}).json()
    assert counted["count"] == 10


def test_the_page_says_when_a_search_lists_its_best_matches_first(user, client):
    person(user, "Lucía", "Ortega")
    client.force_login(user)
    searched = client.get("/contacts/", {"q": "lucia"}).content.decode()
    assert "Best matches first" in searched
    sorted_by_name = client.get("/contacts/", {"q": "lucia", "ordering": "name"})
    assert "Best matches first" not in sorted_by_name.content.decode()
    assert "Lucía Ortega" in sorted_by_name.content.decode()


@pytest.mark.parametrize("names_read_in_order", [2, 5000])
@pytest.mark.parametrize("ordering", ["name", "-name"])
def test_a_search_sorted_by_name_pages_through_every_match_in_order(
    user, monkeypatch, names_read_in_order, ordering
):
    monkeypatch.setattr(filters, "NAMES_READ_IN_ORDER", names_read_in_order)
    for first, last in [
        ("Ana", "Abad"),
        ("Beatriz", "Lucía"),
        ("Lucía", "Zapata"),
        ("Álvaro", "Ruiz"),
        ("Lucía", "Cano"),
        ("Zoe", "Lucía Mar"),
    ]:
        person(user, first, last)
    person(user, "Marta", "Gil")
    expected = [
        contact.display_name
        for contact in Contact.objects.order_by(*filters.ORDERINGS[ordering])
        if "lucia" in contact.search_text
    ]
    ana = api_client(user)
    pages = [
        ana.get(
            f"{API}/contacts", {"q": "LUCÍA", "ordering": ordering, "limit": 2, "offset": offset}
        ).json()
        for offset in (0, 2, 4)
    ]
    assert [row["display_name"] for page in pages for row in page["items"]] == expected
    assert len(expected) == 4 and pages[-1]["items"] == []


@pytest.mark.parametrize(
    ("q", "bounded"),
    [("maría", True), ("mar", True), ("ma", False), ("maría garcía", False), ("ana@acme", False)],
)
def test_only_one_word_searches_sorted_by_name_read_the_first_names_first(user, q, bounded):
    listed = contact_list(user, ContactFilter(q=q, ordering="name"))
    assert isinstance(listed, FirstRowsOr) is bounded
