"""What officers, companies and coordinators do every day, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import assert_accessible, sign_in

OFFICER = ("officer.kawachinagano@demo.matchmaker.example", "demo-officer-2026")
OTHER_OFFICER = ("officer.toyonaka@demo.matchmaker.example", "demo-officer-2026")
MEMBER = ("member@mimamori-tech.example", "demo-member-2026")
COORDINATOR = ("coordinator@demo.matchmaker.example", "demo-coord-2026")

ISSUE_TITLE = "団地で一人暮らしの高齢者の異変に気づきたい"
ISSUE_TEXT = ("市営団地では一人暮らしの高齢者が増え、倒れても数日気づかれないことがあります。"
              "本人の負担を増やさずに、生活の変化から異常を早く察知したいです。")


def _post_issue(page) -> str:
    page.goto("/challenges/new")
    assert_accessible(page)
    page.get_by_label("課題名").fill(ISSUE_TITLE)
    page.get_by_label("課題の内容").fill(ISSUE_TEXT)
    page.get_by_label("高齢者にやさしいまちづくり").check()
    page.get_by_label("対象（地域・住民など）").fill("市営団地の単身高齢者")
    page.get_by_label("開始希望時期").fill("２０２７－０４－０１")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ISSUE_TITLE)
    return page.url


def test_officer_posts_an_issue_and_sees_ranked_companies_with_reasons(page) -> None:
    sign_in(page, *OFFICER)
    expect(page.get_by_role("heading", level=1)).to_contain_text("河内長野市")
    assert_accessible(page)

    _post_issue(page)

    companies = page.get_by_role("region", name="相性の良い企業・団体")
    folded = companies.locator("details.more-matches summary")
    if folded.count():  # weaker matches are folded behind "show more"
        folded.click()
    expect(companies.get_by_role("link", name="みまもりテック株式会社")).to_be_visible()
    expect(companies).to_contain_text("課題の「異変」と技術の「見守り」")
    expect(page.get_by_role("region", name="相性の良い技術・ソリューション")).to_contain_text("電力データを使った高齢者見守りサービス")
    assert_accessible(page)


def test_member_registers_a_technology_and_finds_the_issue_ranked_for_it(new_page) -> None:
    officer = new_page()
    sign_in(officer, *OFFICER)
    _post_issue(officer)
    member = new_page()
    sign_in(member, *MEMBER)
    assert_accessible(member)

    member.goto("/technologies/new")
    assert_accessible(member)
    member.get_by_label("技術・ソリューション名").fill("見守りカメラを使わない生活リズム検知")
    member.get_by_label("概要").fill("電気やドアの使用状況から一人暮らしの高齢者の生活リズムを学び、異変があれば家族や見守り担当に知らせます。")
    member.get_by_label("高齢者にやさしいまちづくり").check()
    member.get_by_label("成熟度").select_option("piloted")
    member.get_by_label("価格帯").select_option("under_1m")  # a required choice: no price is preselected
    member.get_by_role("button", name="保存する").click()

    ranked = member.get_by_role("region", name="相性の良い地域課題")
    expect(ranked.get_by_role("link", name=ISSUE_TITLE, exact=True)).to_be_visible()
    assert_accessible(member)


def test_a_company_applies_and_a_coordinator_approves_it(new_page) -> None:
    applicant = new_page()
    applicant.goto("/join")
    assert_accessible(applicant)
    applicant.get_by_label("団体名", exact=True).fill("なにわスマートケア株式会社")
    applicant.get_by_label("会員種別").select_option("corporate")
    applicant.get_by_label("ウェブサイト").fill("https://naniwa-smartcare.example.jp")
    applicant.get_by_label("連絡先メールアドレス").fill("info@naniwa-smartcare.example.jp")
    applicant.get_by_label("担当者のお名前").fill("大西 恵")
    applicant.get_by_label("担当者のメールアドレス（ログインに使います）").fill("onishi@naniwa-smartcare.example.jp")
    applicant.get_by_label("パスワード", exact=True).fill("smartcare-2027")
    applicant.get_by_role("button", name="申請する").click()
    expect(applicant.get_by_role("heading", level=1)).to_have_text("入会申請を受け付けました")
    assert_accessible(applicant)

    # Signing in before the approval: told the application is still being reviewed.
    sign_in(applicant, "onishi@naniwa-smartcare.example.jp", "smartcare-2027")
    expect(applicant.get_by_role("alert")).to_contain_text("入会申請は審査中です")

    coordinator = new_page()
    sign_in(coordinator, *COORDINATOR)
    applications = coordinator.get_by_role("region", name=re.compile("入会申請"))
    expect(applications).to_contain_text("なにわスマートケア株式会社")
    expect(applications).to_contain_text("大西 恵")
    assert_accessible(coordinator)
    applications.get_by_role("link", name=re.compile(r"承認する\s*:\s*なにわスマートケア株式会社")).click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("この入会申請を承認しますか？")
    assert_accessible(coordinator)
    coordinator.get_by_role("button", name="承認する").click()
    expect(coordinator.get_by_role("status")).to_contain_text("なにわスマートケア株式会社 の入会を承認しました")

    sign_in(applicant, "onishi@naniwa-smartcare.example.jp", "smartcare-2027")
    expect(applicant.get_by_role("heading", level=1)).to_have_text("なにわスマートケア株式会社")
    assert_accessible(applicant)


def test_an_officer_cannot_open_another_municipalitys_edit_page(new_page) -> None:
    officer = new_page()
    sign_in(officer, *OFFICER)
    issue_url = _post_issue(officer)
    other = new_page()
    sign_in(other, *OTHER_OFFICER)

    response = other.goto(issue_url + "/edit")

    assert response.status == 403
    expect(other.get_by_role("heading", level=1)).to_have_text("アクセスできません")
    assert_accessible(other)
    other.goto(issue_url)
    expect(other.get_by_role("link", name="編集する")).to_have_count(0)


def test_switching_to_english_translates_the_page(page) -> None:
    sign_in(page, *MEMBER)
    page.goto("/challenges")

    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Local issues")
    expect(page.get_by_role("button", name="Filter")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main menu")).to_contain_text("Technologies and solutions")
    assert_accessible(page)
    sign_out_button = page.get_by_role("button", name=re.compile("Sign out"))
    sign_out_button.click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
