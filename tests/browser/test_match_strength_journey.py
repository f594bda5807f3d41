"""An officer sees how strong each match is, and only the strong and medium ones until asking."""

from __future__ import annotations

from playwright.sync_api import expect

from .helpers import assert_accessible, sign_in
from .test_journeys import OFFICER, _post_issue


def test_officer_sees_strength_labels_a_legend_and_weak_matches_only_on_request(page, tmp_path) -> None:
    sign_in(page, *OFFICER)
    _post_issue(page)

    legend = page.locator(".strength-legend")
    expect(legend).to_be_visible()
    for label in ("強い", "中程度", "弱い"):
        expect(legend).to_contain_text(label)
    companies = page.get_by_role("region", name="相性の良い企業・団体")
    assert companies.locator("table").first.locator("[data-strength='weak']").count() == 0
    section = page.get_by_role("region", name="相性の良い技術・ソリューション")

    shown = section.locator("ol.card-list").first.locator(":scope > li.card")
    shown_levels = shown.locator("[data-strength]")
    assert shown.count() >= 1
    assert {shown_levels.nth(i).get_attribute("data-strength") for i in range(shown.count())} <= {"strong", "medium"}
    expect(shown_levels.first).to_have_text("強い")

    more = section.locator("details.more-matches")
    expect(more).to_have_count(1)
    weak_cards = more.locator("li.card")
    expect(weak_cards.first).to_be_hidden()  # folded until the officer asks
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(tmp_path / f"strength-{width}.png"), full_page=True)
    assert_accessible(page)

    more.locator(":scope > summary").click()  # the cards inside have their own (invite) summaries
    expect(weak_cards.first).to_be_visible()
    assert {weak_cards.nth(i).locator("[data-strength]").get_attribute("data-strength")
            for i in range(weak_cards.count())} == {"weak"}
    assert_accessible(page)
