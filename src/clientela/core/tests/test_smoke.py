def test_contact_list_renders_for_a_logged_in_user(client, user):
    client.force_login(user)
    response = client.get("/contacts/")
    assert response.status_code == 200
    assert b"Clientela" in response.content


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/contacts/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_offset_past_any_number_is_an_empty_page_not_a_500(client, user):
    client.force_login(user)
    for path in ("/contacts/", "/contacts/companies/", "/sales/", "/tasks/"):
        for offset in (str(10**20), str(2**63 - 1), "-5"):
            response = client.get(path, {"offset": offset, "q": "mar"})
            assert response.status_code == 200, (path, offset)


def test_the_calendar_contact_search_ignores_ids_that_name_nothing(client, user):
    client.force_login(user)
    response = client.get(
        "/calendar/events/contact-search/",
        {"contact_search": "ana", "contacts": [str(10**20), "7"]},
    )
    assert response.status_code == 200
