def test_contact_list_renders_for_a_logged_in_user(client, user):
    client.force_login(user)
    response = client.get("/contacts/")
    assert response.status_code == 200
    assert b"Clientela" in response.content


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/contacts/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
