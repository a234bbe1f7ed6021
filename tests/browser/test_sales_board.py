"""The pipeline board in a real Chromium: drag a card to another column, enter a missing
exchange rate right where the total needs it."""

import datetime

import pytest
from playwright.sync_api import expect

from clientela.contacts import services as contact_services
from clientela.sales import services
from clientela.sales.models import Opportunity, Pipeline, StageChange

pytestmark = pytest.mark.django_db(transaction=True)

CLOSE = datetime.date(2030, 6, 30)


@pytest.fixture
def pipeline(admin_user):
    # Browser tests flush the database between tests: the seeded pipeline may be gone.
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        pipeline = services.save_pipeline(admin_user, None, {"name": "Sales", "is_default": True})
    if not pipeline.stages.filter(kind="open").count() >= 2:
        for name in ("Qualify", "Propose"):
            services.save_stage(admin_user, pipeline, None, {"name": name, "probability": 20})
    return pipeline


def opportunity(actor, pipeline, **data):
    company = contact_services.create_customer(
        actor, {"kind": "company", "company_name": "Acme S.L.", "access": "public_write"}
    ).contact
    first = pipeline.stages.filter(kind="open").order_by("position", "id").first()
    return services.create_opportunity(
        actor,
        {
            "title": "Website redesign",
            "contact_id": company.pk,
            "amount": "1500.00",
            "expected_close": CLOSE,
            "stage_id": first.pk,
            **data,
        },
    )


def drag(page, card, target):
    """Press on the card, move in steps (SortableJS follows pointer moves), drop on the column."""
    start, end = card.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 10, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 30, steps=15)
    page.mouse.up()


def test_drag_a_card_to_another_column(logged_in_page, user, pipeline):
    deal = opportunity(user, pipeline)
    first, second = list(pipeline.stages.filter(kind="open").order_by("position", "id"))[:2]
    page = logged_in_page
    page.goto("/sales/board/")
    card = page.locator(f'.board-card[data-id="{deal.pk}"]')
    expect(card).to_be_visible()
    target = page.locator(f'.board-cards[data-stage="{second.pk}"]')
    drag(page, card, target)
    expect(page.locator("#board-message")).to_contain_text("moved to")
    expect(target.locator(f'.board-card[data-id="{deal.pk}"]')).to_be_visible()
    expect(
        page.locator(f'.board-column[data-stage="{second.pk}"] [data-column-count]')
    ).to_have_text("1")
    deal.refresh_from_db()
    assert deal.stage == second and deal.version == 2
    assert StageChange.objects.filter(opportunity=deal, from_stage=first, to_stage=second).exists()
    page.reload()
    expect(target.locator(f'.board-card[data-id="{deal.pk}"]')).to_be_visible()


def test_a_stale_card_goes_back_with_a_message(logged_in_page, user, pipeline):
    deal = opportunity(user, pipeline)
    first, second = list(pipeline.stages.filter(kind="open").order_by("position", "id"))[:2]
    page = logged_in_page
    page.goto("/sales/board/")
    services.update_opportunity(user, deal, {"title": "Changed elsewhere"})
    card = page.locator(f'.board-card[data-id="{deal.pk}"]')
    drag(page, card, page.locator(f'.board-cards[data-stage="{second.pk}"]'))
    expect(page.locator("#board-message .alert-danger")).to_contain_text("changed by someone else")
    expect(
        page.locator(f'.board-cards[data-stage="{first.pk}"] .board-card[data-id="{deal.pk}"]')
    ).to_be_visible()
    assert Opportunity.objects.get(pk=deal.pk).stage == first


def test_enter_a_missing_exchange_rate_and_see_the_total(new_page, admin_user, pipeline):
    opportunity(admin_user, pipeline, currency="USD", amount="100", probability=50)
    page = new_page(admin_user)
    page.goto("/sales/board/")
    missing = page.locator('.missing-rate[data-missing-rate="USD"]')
    expect(missing).to_contain_text("No USD → EUR rate on or before 2030-06-30")
    expect(page.locator("[data-board-total]")).to_have_count(0)
    missing.locator("input[name=rate]").fill("0,5")
    missing.locator("button[type=submit]").click()
    expect(page.locator("[data-board-total]")).to_contain_text("50.00 EUR")
    expect(page.locator(".missing-rate")).to_have_count(0)
