import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_log_in_and_see_the_contact_list(logged_in_page):
    page = logged_in_page
    assert page.locator("#global-search").is_visible()
    assert "/contacts/" in page.url
