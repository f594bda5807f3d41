"""A company member makes an API token, uses it once, revokes it; the API reference is readable."""

from __future__ import annotations

from playwright.sync_api import expect

from .helpers import assert_accessible, sign_in

MEMBER = ("member@mimamori-tech.example", "demo-member-2026")


def test_member_creates_uses_and_revokes_an_api_token(page) -> None:
    sign_in(page, *MEMBER)
    page.get_by_role("link", name="APIトークン").click()
    assert_accessible(page)

    page.get_by_label("用途").fill("在庫システム連携")
    page.get_by_label("権限").select_option("read")
    page.get_by_role("button", name="作成する").click()
    secret = page.get_by_test_id("token-secret").inner_text().strip()
    assert_accessible(page)
    used = page.request.get("/api/v1/technologies", headers={"Authorization": f"Bearer {secret}"})

    page.goto("/settings/tokens")
    expect(page.get_by_test_id("token-secret")).to_have_count(0)
    page.get_by_role("button", name="無効にする").click()
    refused = page.request.get("/api/v1/technologies", headers={"Authorization": f"Bearer {secret}"})

    assert used.status == 200 and used.json()["items"]
    assert refused.status == 401
    expect(page.get_by_role("cell", name="在庫システム連携")).to_be_visible()
    expect(page.get_by_text("APIトークン「在庫システム連携」を無効にしました。")).to_be_visible()
    assert_accessible(page)


def test_api_reference_is_served_by_the_app_and_accessible(page) -> None:
    page.goto("/api/v1/docs")

    expect(page.get_by_role("heading", level=1)).to_contain_text("API リファレンス")
    expect(page.get_by_role("heading", name="PATCH /api/v1/challenges/{challenge_id}")).to_be_visible()
    assert_accessible(page)
