"""Issue 13's journey: an officer publishes an issue, a matching company is alerted by mail with
an absolute link, follows it and asks a question, the officer answers, a second company reads the
answer, and the first company proposes from the issue's page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from .helpers import assert_accessible, sign_in
from .test_accounts_journey import _wait_for_mail

OFFICER = ("officer.kawachinagano@demo.matchmaker.example", "demo-officer-2026")
ASKER = ("member@naniwa-mobility.example", "demo-member-2026")
SECOND = ("member@mimamori-tech.example", "demo-member-2026")
ISSUE = "坂道の多い団地の移動手段"
QUESTION = "送迎車の台数を数えたデータはありますか？"
ANSWER = "平日朝の台数を2025年度に手作業で数えた表があります。"


def test_publish_alert_ask_answer_read_and_propose(new_page, tmp_path) -> None:
    officer = new_page()
    sign_in(officer, *OFFICER)
    officer.goto("/challenges/new")
    officer.get_by_label("課題名").fill(ISSUE)
    officer.get_by_label("課題の内容").fill("路線バスの維持が難しい坂道の多い団地で、スマートフォンや電話で予約できるAI"
                                        "オンデマンド乗合タクシーを導入し、少ない車両で高齢者の移動を支えたい。")
    officer.get_by_label("移動がスムーズなまちづくり").check()
    officer.get_by_role("button", name="保存する").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text(ISSUE)
    issue_url = officer.url

    # The alert: written by the job worker after the commit, with an absolute link to the issue.
    alert = _wait_for_mail(tmp_path / "instance" / "outbox", ASKER[0], "技術に合う新しい地域課題")
    link = re.search(r"https?://\S+/challenges/\d+", alert.get_content())
    assert link is not None, alert.get_content()
    assert urlsplit(link.group(0)).path == urlsplit(issue_url).path

    asker = new_page()
    sign_in(asker, *ASKER)
    asker.goto(urlsplit(link.group(0)).path)
    asker.get_by_label("質問", exact=True).fill(QUESTION)
    asker.get_by_role("button", name="質問を送る").click()
    expect(asker.locator("#questions")).to_contain_text(QUESTION)
    assert_accessible(asker)

    officer.goto(issue_url)
    answer = officer.locator("details.answer")
    answer.locator("summary").click()
    answer.get_by_label("回答", exact=True).fill(ANSWER)
    answer.get_by_role("button", name="回答を登録する").click()
    expect(officer.locator("#questions")).to_contain_text(ANSWER)
    assert_accessible(officer)

    second = new_page()
    sign_in(second, *SECOND)
    second.goto(issue_url)
    expect(second.locator("#questions")).to_contain_text(QUESTION)
    expect(second.locator("#questions")).to_contain_text(ANSWER)
    expect(second.locator("#questions")).not_to_contain_text("なにわモビリティ")
    assert_accessible(second)

    asker.goto(issue_url)
    asker.get_by_label("AIオンデマンド乗合交通システム「のりあいナビ」").check()
    asker.get_by_role("button", name="提案内容を書く").click()
    asker.get_by_label("プロジェクト名").fill("ロータリー送迎の予約制")
    asker.get_by_role("button", name="提案を送る").click()
    expect(asker.get_by_role("heading", level=1)).to_have_text("ロータリー送迎の予約制")
    assert_accessible(asker)
