"""Custom fields are validated by their type (core.custom_fields), through a model's service."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from clientela.contacts import services
from clientela.contacts.models import Contact
from clientela.core.models import CustomField

GOOD_AND_BAD = [
    ("text", {}, [("Hola", "Hola"), (12, "12")], []),
    ("number", {}, [("12", 12), ("3,5", 3.5), (-2, -2)], ["lots", "NaN", "Infinity"]),
    (
        "date",
        {},
        [("31/12/2026", "2026-12-31"), ("2026-02-01", "2026-02-01")],
        ["31/02/2026", "mañana"],
    ),
    ("boolean", {}, [("sí", True), ("no", False), (True, True)], ["maybe", "2"]),
    ("choice", {"choices": ["S", "M", "L"]}, [("M", "M")], ["XL", "m"]),
    (
        "url",
        {},
        [("https://example.com/a", "https://example.com/a")],
        ["example", "javascript:alert(1)"],
    ),
]


def _define(field_type, extra):
    return CustomField.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        key="extra",
        label="Extra",
        field_type=field_type,
        **extra,
    )


@pytest.mark.parametrize(("field_type", "extra", "good", "bad"), GOOD_AND_BAD)
def test_each_type_keeps_good_values_and_names_the_field_of_a_bad_one(
    user, field_type, extra, good, bad
):
    _define(field_type, extra)
    for raw, kept in good:
        contact = services.create_contact(
            user,
            {"kind": "company", "company_name": f"Good {raw}", "custom_fields": {"extra": raw}},
        )
        assert Contact.objects.get(pk=contact.pk).custom_fields["extra"] == kept
    for raw in bad:
        with pytest.raises(ValidationError) as caught:
            services.create_contact(
                user, {"kind": "company", "company_name": "Bad", "custom_fields": {"extra": raw}}
            )
        assert list(caught.value.message_dict) == ["custom_fields.extra"]
        assert caught.value.message_dict["custom_fields.extra"][0].startswith("Extra: ")
    assert not Contact.objects.filter(company_name="Bad").exists()


def test_an_unknown_custom_field_is_refused_by_name(user):
    with pytest.raises(ValidationError) as caught:
        services.create_contact(
            user, {"kind": "company", "company_name": "Acme", "custom_fields": {"nope": "1"}}
        )
    assert "custom_fields.nope" in caught.value.message_dict
