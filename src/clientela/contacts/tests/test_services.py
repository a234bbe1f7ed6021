import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clientela.contacts import services
from clientela.contacts.models import Contact
from clientela.core.access import AccessLevel
from clientela.core.errors import ConflictError
from clientela.core.models import ChangeLogEntry
from clientela.mail.models import Notification, OutboxEmail


def person(actor, **extra):
    return services.create_contact(
        actor, {"kind": "person", "first_name": "Lucía", "last_name": "Martín", **extra}
    )


def test_person_needs_first_and_last_name(user):
    with pytest.raises(ValidationError) as exc:
        services.create_contact(user, {"kind": "person", "first_name": "", "last_name": ""})
    assert set(exc.value.message_dict) == {"first_name", "last_name"}
    assert Contact.objects.count() == 0


def test_company_needs_name(user):
    with pytest.raises(ValidationError) as exc:
        services.create_contact(user, {"kind": "company"})
    assert "company_name" in exc.value.message_dict


def test_create_sets_creator_as_manager_and_logs(user):
    contact = person(
        user, emails=[{"email": "Lucia@Example.com"}], phones=[{"number": "+34 600 11 22 33"}]
    )
    assert list(contact.managers.all()) == [user]
    assert contact.access == AccessLevel.PRIVATE
    assert contact.display_name == "Lucía Martín"
    assert contact.primary_email == "lucia@example.com"
    assert "34600112233" in contact.search_text
    entry = ChangeLogEntry.objects.get(object_id=contact.pk, action="create")
    assert entry.actor == user and entry.after["first_name"] == "Lucía"


def test_assigning_another_manager_notifies_them(
    user, other_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        contact = person(user, manager_ids=[user.pk, other_user.pk])
    assert Notification.objects.filter(recipient=other_user, kind="contact_assigned").count() == 1
    assert not Notification.objects.filter(recipient=user).exists()
    assert OutboxEmail.objects.get().to == other_user.email
    assert contact.get_absolute_url() in Notification.objects.get().url


def test_stale_version_is_refused(user):
    contact = person(user)
    services.update_contact(user, contact, {"position": "CEO"}, expected_version=1)
    with pytest.raises(ConflictError):
        services.update_contact(user, contact, {"position": "CTO"}, expected_version=1)
    contact.refresh_from_db()
    assert contact.position == "CEO" and contact.version == 2


def test_other_user_cannot_edit_private_contact(user, other_user):
    contact = person(user)
    with pytest.raises(PermissionDenied):
        services.update_contact(other_user, contact, {"position": "x"})


def test_first_person_of_customer_company_is_primary(user):
    customer = services.create_customer(user, {"kind": "company", "company_name": "Acme SL"})
    first = person(user, company_id=customer.contact_id)
    second = services.create_contact(
        user,
        {
            "kind": "person",
            "first_name": "Juan",
            "last_name": "Ruiz",
            "company_id": customer.contact_id,
        },
    )
    customer.refresh_from_db()
    assert customer.primary_contact == first
    services.set_primary_contact(user, customer, second)
    customer.refresh_from_db()
    assert customer.primary_contact == second


def test_lead_conversion_makes_customer(user):
    contact = person(user, is_lead=True)
    customer = services.convert_lead(user, contact)
    contact.refresh_from_db()
    assert customer.contact == contact and not contact.is_lead and customer.code == "C00001"


def test_invalid_rows_name_the_field_and_write_nothing(user):
    with pytest.raises(ValidationError) as exc:
        person(user, emails=[{"email": "ok@example.com"}, {"email": "nope"}])
    assert "emails.1.email" in exc.value.message_dict
    assert Contact.objects.count() == 0


def test_a_person_is_not_found_by_the_name_of_their_company(user):
    company = services.create_contact(user, {"kind": "company", "company_name": "Acme SL"})
    employee = person(user, company_id=company.pk)
    assert "acme" not in employee.search_text and "lucia martin" in employee.search_text


def test_history_leaves_out_derived_columns(user):
    contact = person(user)
    services.update_contact(user, contact, {"first_name": "Lucas"})
    entry = ChangeLogEntry.objects.get(object_id=contact.pk, action="update")
    changed = {name for name, _before, _after in entry.changed_fields()}
    assert changed == {"first_name"}
