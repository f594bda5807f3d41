"""A match becomes a public service: three people, one project, from proposal to rollout."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import assert_accessible, sign_in

MEMBER = ("member@naniwa-mobility.example", "demo-member-2026")
OFFICER = ("officer.kawachinagano@demo.matchmaker.example", "demo-officer-2026")
COORDINATOR = ("coordinator@demo.matchmaker.example", "demo-coord-2026")
TITLE = "南部ニュータウンの乗合交通（第2期）"


def _open_move(page, label: str):
    details = page.locator("details.move", has=page.get_by_text(label, exact=True))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def test_proposal_to_implementation_then_dashboard_and_rollout(new_page) -> None:
    # The company proposes on a match.
    member = new_page()
    sign_in(member, *MEMBER)
    member.goto("/challenges")
    member.get_by_label("キーワード・自治体名").fill("ニュータウン")
    member.get_by_role("button", name="絞り込む").click()
    member.get_by_role("link", name="ニュータウンの坂道と路線バス縮小による高齢者の移動困難").click()
    assert_accessible(member)
    member.get_by_role("link", name=re.compile(r"このマッチで提案する\s*:\s*AIオンデマンド乗合交通")).click()
    member.get_by_label("プロジェクト名").fill(TITLE)
    member.get_by_label("提案の概要").fill("第1期の結果を踏まえ、車両を2台増やして運行エリアを広げます。")
    assert_accessible(member)
    member.get_by_role("button", name="提案を送る").click()
    expect(member.get_by_role("heading", level=1)).to_have_text(TITLE)
    project_url = member.url

    # The officer finds it in the inbox and accepts.
    officer = new_page()
    sign_in(officer, *OFFICER)
    officer.goto("/inbox")
    assert_accessible(officer)
    officer.get_by_role("link", name=TITLE, exact=True).click()
    _open_move(officer, "提案を受け入れる").get_by_role("button", name="提案を受け入れる").click()
    expect(officer.locator(".stage-track [aria-current=step]")).to_have_text("協議中")
    assert_accessible(officer)

    # The company requests a pilot with a plan and KPIs.
    member.goto(project_url)
    plan = _open_move(member, "実証の承認を申請する")
    plan.get_by_label("実証の範囲（何を、どこで、誰と）").fill("南部ニュータウン全域、ワゴン車5台")
    plan.get_by_label("期間（か月）").fill("６")
    plan.get_by_label("データの取扱い（個人情報・保存場所など）").fill("予約データは匿名化して市に提供")
    plan.get_by_label("費用（円）").fill("12,000,000")
    plan.get_by_label("財源（国の交付金など）").fill("地域公共交通確保維持改善事業費補助金")
    plan.get_by_label("指標 1").fill("1日あたり利用者数")
    plan.get_by_label("単位").first.fill("人")
    plan.get_by_label("基準値").first.fill("80")
    plan.get_by_label("目標値").first.fill("150")
    assert_accessible(member)
    plan.get_by_role("button", name="実証の承認を申請する").click()
    expect(member.locator(".stage-track [aria-current=step]")).to_have_text("実証申請中")

    # The coordinator approves with the checklist.
    coordinator = new_page()
    sign_in(coordinator, *COORDINATOR)
    coordinator.goto(project_url)
    approval = _open_move(coordinator, "実証を承認する")
    for box in approval.get_by_role("checkbox").all():
        box.check()
    assert_accessible(coordinator)
    approval.get_by_role("button", name="実証を承認する").click()
    expect(coordinator.locator(".stage-track [aria-current=step]")).to_have_text("実証承認済み")

    # The officer starts the pilot, records the evaluation and the implementation.
    officer.goto(project_url)
    _open_move(officer, "実証を開始する").get_by_role("button", name="実証を開始する").click()
    evaluation = _open_move(officer, "評価を記録する")
    evaluation.get_by_label(re.compile("1日あたり利用者数")).fill("162")
    evaluation.get_by_label("評価の概要（必須）").fill("目標を上回る利用。通院目的の利用が多い。")
    evaluation.get_by_role("button", name="評価を記録する").click()
    implementation = _open_move(officer, "社会実装を記録する")
    implementation.get_by_label("契約方式").select_option("proposal")
    implementation.get_by_label("開始日").fill("2027-04-01")
    implementation.get_by_role("button", name="社会実装を記録する").click()
    expect(officer.locator(".stage-track [aria-current=step]")).to_have_text("社会実装")
    expect(officer.get_by_role("table", name="KPI")).to_contain_text("162")
    expect(officer.get_by_role("region", name="経緯")).to_contain_text("評価済み → 社会実装")
    assert_accessible(officer)

    # It shows in the dashboard and in rollout recommendations.
    coordinator.goto("/dashboard")
    by_municipality = coordinator.get_by_role("region", name="自治体別・段階別のプロジェクト数")
    expect(by_municipality.get_by_role("row", name=re.compile("河内長野市"))).to_be_visible()
    conversion = coordinator.get_by_role("region", name=re.compile("転換率"))
    expect(conversion.get_by_role("row", name=re.compile("社会実装に到達"))).to_contain_text("2")
    assert_accessible(coordinator)
    coordinator.goto(project_url + "/rollout")
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("横展開先の候補")
    expect(coordinator.get_by_role("table")).to_contain_text("似た地域課題")
    assert_accessible(coordinator)
