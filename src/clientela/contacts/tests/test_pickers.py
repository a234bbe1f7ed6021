"""The contact and customer pickers' options endpoint (`/contacts/picker-options/`): reach per
role, the contact list's search, the limit, the chosen record kept, bad input, query budget."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.contacts import services
from clientela.contacts.pickers import ContactSource, CustomerSource
from clientela.core.access import AccessLevel
from clientela.core.pickers import PICKER_LIMIT, RecordField, bind_pickers, picker_options
from clientela.core.testing import ALLOWED, build_access_world, expected_outcome

pytestmark = pytest.mark.django_db

URL = "/contacts/picker-options/"
OPTION = re.compile(r'<option value="(\d+)"( selected)?>([^<]*)</option>')


def options_of(response) -> dict[int, str]:
    assert response.status_code == 200, response.content[:300]
    return {int(pk): label for pk, _sel, label in OPTION.findall(response.content.decode())}


def selected_of(response) -> list[int]:
    return [int(pk) for pk, sel, _label in OPTION.findall(response.content.decode()) if sel]


def person(actor, first, last, emails=(), access=AccessLevel.PUBLIC_READ, **extra):
    return services.create_contact(
        actor,
        {
            "kind": "person",
            "first_name": first,
            "last_name": last,
            "access": access,
            "emails": [{"email": e} for e in emails],
            **extra,
        },
    )


def customer(actor, name, access=AccessLevel.PUBLIC_READ, **extra):
    return services.create_customer(
        actor, {"kind": "company", "company_name": name, "access": access, **extra}
    )


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def _world_record(actor, access, team, label):
    """A customer company per access level, plus a plain person with the same label."""
    shared = {"access": access, "shared_team_ids": [team.pk]}
    person(actor, label, "Person", **shared)
    return customer(actor, f"{label} Company", **shared)


@pytest.mark.parametrize(
    "role", ["admin", "manager", "other_user", "team_member", "inactive", "anonymous"]
)
def test_options_per_role_list_only_what_the_user_may_see(client, make_user, role):
    world = build_access_world(make_user, _world_record)
    if world.users[role] is not None:
        client.force_login(world.users[role])
    customers = {}
    contacts = {}
    for name, record in world.records.items():
        if expected_outcome(role, "search", name) == ALLOWED:
            customers[record.pk] = record.contact.display_name
            contacts[record.contact.pk] = record.contact.display_name
    contact_response = client.get(URL, {"q": "zz"})
    customer_response = client.get(URL, {"q": "zz", "role": "customer"})
    if role in ("inactive", "anonymous"):
        # Out of the CRM: sent to log in, never an option.
        assert contact_response.status_code == customer_response.status_code == 302
        return
    listed_contacts = options_of(contact_response)
    assert {pk: n for pk, n in listed_contacts.items() if "Company" in n} == contacts
    assert sum("Person" in n for n in listed_contacts.values()) == len(contacts)
    assert options_of(customer_response) == customers
    # Not even asked by id: a private record out of reach is never offered.
    private = world.records["private"]
    by_id = client.get(URL, {"q": "zz", "selected": private.contact.pk})
    by_customer_id = client.get(URL, {"role": "customer", "selected": private.pk})
    assert (private.contact.pk in options_of(by_id)) == (role != "other_user")
    assert (private.pk in options_of(by_customer_id)) == (role != "other_user")


def test_a_private_contact_of_someone_else_is_never_listed(logged_in, user, other_user):
    mine = person(user, "Carla", "Ruiz", access=AccessLevel.PRIVATE)
    theirs = person(other_user, "Carla", "Ruiz", access=AccessLevel.PRIVATE)
    theirs_customer = customer(other_user, "Carla Ruiz S.L.", access=AccessLevel.PRIVATE)
    for params in ({"q": "carla"}, {}, {"selected": theirs.pk}, {"q": "carla", "selected": 0}):
        listed = options_of(logged_in.get(URL, params))
        assert mine.pk in listed and theirs.pk not in listed
        assert theirs_customer.contact.pk not in listed
    listed = options_of(logged_in.get(URL, {"role": "customer", "selected": theirs_customer.pk}))
    assert theirs_customer.pk not in listed


def test_typing_narrows_by_words_and_by_email(logged_in, user):
    lucia = person(user, "Lucía", "Ortega", emails=["lucia@ortega.es"])
    person(user, "Lucía", "Martín", emails=["maria.lopez@acme.es"])
    pedro = person(user, "Pedro", "Ortega", emails=["pedro@example.com"])

    def names(q):
        return sorted(options_of(logged_in.get(URL, {"q": q})).values())

    assert names("lucía ortega") == ["Lucía Ortega"]
    assert names("ORTEGA") == ["Lucía Ortega", "Pedro Ortega"]
    assert names("  ortega   pedro ") == ["Pedro Ortega"]
    assert names("maria.lopez@") == ["Lucía Martín"]  # an address typed from its start
    assert names("@acme.es") == ["Lucía Martín"]
    assert names("pedro@example") == ["Pedro Ortega"]
    assert names("zzqx") == []
    response = logged_in.get(URL, {"q": "zzqx"})
    assert "No matches" in response.content.decode()
    # The chosen record stays, first and selected, whatever was typed.
    response = logged_in.get(URL, {"q": "pedro", "selected": lucia.pk})
    assert list(options_of(response)) == [lucia.pk, pedro.pk]
    assert selected_of(response) == [lucia.pk]
    response = logged_in.get(URL, {"q": "ortega", "selected": pedro.pk})
    assert selected_of(response) == [pedro.pk]


def test_options_are_the_newest_matches_by_name_limited_and_say_so(logged_in, user):
    for n in reversed(range(PICKER_LIMIT + 5)):
        person(user, f"Nora{n:02d}", "Vidal")
    response = logged_in.get(URL, {"q": "vidal"}, headers={"HX-Target": "id_contact"})
    listed = options_of(response)
    page = response.content.decode()
    # The newest 20 (created last: Nora19 … Nora00), shown by name.
    assert list(listed.values()) == [f"Nora{n:02d} Vidal" for n in range(PICKER_LIMIT)]
    assert "Type to find more…" in page
    assert '<div id="id_contact-status" hx-swap-oob="innerHTML">' in page
    assert f"More than {PICKER_LIMIT} matches" in page
    few = logged_in.get(URL, {"q": "nora03"}, headers={"HX-Target": "id_contact"})
    assert "1 match<" in few.content.decode() and "Type to find more" not in few.content.decode()


def test_names_are_escaped(logged_in, user):
    person(user, "<b>Nora", "Vidal</b>")
    page = logged_in.get(URL, {"q": "nora"}).content.decode()
    assert "&lt;b&gt;Nora Vidal&lt;/b&gt;" in page and "<b>" not in page


def test_the_status_line_needs_a_plain_element_id(logged_in, user):
    person(user, "Nora", "Vidal")
    response = logged_in.get(URL, {"q": "nora"}, headers={"HX-Target": 'x"><script>'})
    assert "hx-swap-oob" not in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_customer_options_are_customers_valued_by_their_customer_id(logged_in, user):
    acme = customer(user, "Acme Ortega S.L.")
    person(user, "Pedro", "Ortega")
    plain_company = services.create_contact(
        user, {"kind": "company", "company_name": "Ortega Hermanos", "access": "public_read"}
    )
    listed = options_of(logged_in.get(URL, {"q": "ortega", "role": "customer"}))
    assert listed == {acme.pk: "Acme Ortega S.L."}
    assert plain_company.pk not in listed
    assert logged_in.get(URL, {"role": "supplier"}).status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"selected": "abc"},
        {"selected": str(2**63)},
        {"selected": "-4"},
        {"q": "a\x00b"},
        {"q": "ortega " * 100},
        {"role": "customer", "selected": "99999999999999999999"},
    ],
)
def test_bad_input_is_never_a_server_error(logged_in, user, params):
    person(user, "Pedro", "Ortega")
    assert logged_in.get(URL, params).status_code == 200


def test_query_count_does_not_grow_with_the_contacts(logged_in, user):
    chosen = person(user, "Zoe", "Zamora")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = logged_in.get(URL, {"q": "vidal", "selected": chosen.pk})
        assert response.status_code == 200
        return len(captured)

    person(user, "Nora", "Vidal")
    few = queries()
    for n in range(PICKER_LIMIT + 5):
        person(user, f"Nora{n:02d}", "Vidal", emails=[f"nora{n}@vidal.es"])
    # The session, the user, the matches, the chosen contact.
    assert queries() == few == 4


def test_the_field_accepts_only_records_the_user_may_see(user, other_user):
    from django import forms

    class PickForm(forms.Form):
        contact = RecordField(ContactSource(), label="Contact")
        customer = RecordField(CustomerSource(), label="Customer", required=False)

        def __init__(self, *args, user, **kwargs):
            super().__init__(*args, **kwargs)
            bind_pickers(self, user)

    mine = person(user, "Carla", "Ruiz")
    acme = customer(user, "Acme S.L.")
    theirs = person(other_user, "Carla", "Ruiz", access=AccessLevel.PRIVATE)
    their_customer = customer(other_user, "Ruiz S.L.", access=AccessLevel.PRIVATE)
    form = PickForm({"contact": str(mine.pk), "customer": str(acme.pk)}, user=user)
    assert form.is_valid() and form.cleaned_data == {"contact": mine.pk, "customer": acme.pk}
    form = PickForm({"contact": str(mine.pk), "customer": str(their_customer.pk)}, user=user)
    assert not form.is_valid() and form.errors["customer"] == ["There is no such customer."]
    for bad in (str(theirs.pk), "abc", str(2**64), "0", "-1"):
        form = PickForm({"contact": bad}, user=user)
        assert not form.is_valid() and form.errors["contact"] == ["There is no such contact."]
    form = PickForm({"contact": ""}, user=user)
    assert form.errors["contact"] == ["This field is required."]
    assert PickForm({"contact": str(theirs.pk)}, user=other_user).is_valid()


def test_picker_options_show_the_newest_records_by_name_when_nothing_is_typed(user):
    for first in ("Zoe", "Bea", "ana", "Álvaro", "Carlos"):
        person(user, first, "Soto")
    options = picker_options(ContactSource(), user, "")
    assert [label for _pk, label in options.matches] == [
        "Álvaro Soto",
        "ana Soto",
        "Bea Soto",
        "Carlos Soto",
        "Zoe Soto",
    ]
    assert not options.more and options.chosen is None
    for n in range(PICKER_LIMIT):
        person(user, "Nuevo", f"{n:02d}")
    options = picker_options(ContactSource(), user, "")
    assert options.more and {label for _pk, label in options.matches} == {
        f"Nuevo {n:02d}" for n in range(PICKER_LIMIT)
    }
