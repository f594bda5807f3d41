"""Looking after one's account in a real browser: a forgotten password, alerts, and stopping mail by its link."""

from __future__ import annotations

import re
import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from playwright.sync_api import expect

from .helpers import assert_accessible, sign_in

MEMBER = ("member@naniwa-mobility.example", "demo-member-2026")
OFFICER = ("officer.kawachinagano@demo.matchmaker.example", "demo-officer-2026")


def _wait_for_mail(outbox: Path, recipient: str, subject_part: str, timeout: float = 20.0):
    """The job worker thread delivers after the commit: wait for the .eml file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=default)
            if str(message["To"]) == recipient and subject_part in str(message["Subject"]):
                return message
        time.sleep(0.2)
    raise AssertionError(f"no mail to {recipient} about {subject_part!r} in {outbox}")


def _path(message, prefix: str) -> str:
    found = re.search(r"(" + re.escape(prefix) + r"\S+)", message.get_content())
    assert found is not None, message.get_content()
    return found.group(1)


def test_a_forgotten_password_is_reset_from_the_mailed_link_once(page, tmp_path) -> None:
    outbox = tmp_path / "instance" / "outbox"
    page.goto("/login")
    page.get_by_role("link", name="パスワードをお忘れの方").click()
    assert_accessible(page)
    page.get_by_label("メールアドレス").fill(MEMBER[0])
    page.get_by_role("button", name="再設定のリンクを送る").click()
    expect(page.get_by_role("status")).to_contain_text("登録されていれば")

    link = _path(_wait_for_mail(outbox, MEMBER[0], "パスワードの再設定"), "/password/reset/")
    page.goto(link)
    assert_accessible(page)
    page.get_by_label("新しいパスワード", exact=True).fill("brand-new-pass-7")
    page.get_by_label("新しいパスワード（確認）").fill("brand-new-pass-7")
    page.get_by_role("button", name="パスワードを設定する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")

    page.get_by_label("メールアドレス").fill(MEMBER[0])
    page.get_by_label("パスワード").fill("brand-new-pass-7")
    page.get_by_label("パスワード").press("Enter")
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_contain_text("なにわモビリティ")
    page.goto(link)  # a second use
    expect(page.get_by_role("alert")).to_contain_text("使用済み")


def test_a_published_issue_alerts_a_company_which_stops_that_mail_signed_out(page, tmp_path) -> None:
    outbox = tmp_path / "instance" / "outbox"
    sign_in(page, *OFFICER)
    page.goto("/challenges/new")
    page.get_by_label("課題名").fill("デマンド交通の導入")
    page.get_by_label("課題の内容").fill("路線バスの維持が難しい坂道の多い地域で、スマートフォンや電話で予約できるAI"
                                     "オンデマンド乗合タクシーを導入し、少ない車両で高齢者の移動を支えたい。")
    page.get_by_label("移動がスムーズなまちづくり").check()
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("デマンド交通の導入")
    page.context.clear_cookies()  # signed out from here on

    alert = _wait_for_mail(outbox, MEMBER[0], "技術に合う新しい地域課題")
    assert re.search(r"/challenges/\d+", alert.get_content())
    page.goto(_path(alert, "/unsubscribe/"))
    assert_accessible(page)
    page.get_by_role("button", name="メールを停止する").click()
    expect(page.get_by_role("status")).to_contain_text("メールを停止しました")
