"""An officer imports a spreadsheet: upload, read the preview (Japanese and English, 1280 and
390 px, screenshots kept under MATCHMAKER_SCREENSHOTS when set), fix the file, import it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .helpers import assert_accessible
from .test_visual import _INSPECT, DESTRUCTIVE

HEADER = "外部キー,自治体,タイトル,説明,分野,予算規模,希望開始時期\r\n"
GOOD = "KN-1,河内長野,ニュータウンの坂道での移動支援,坂道が多くバスも減り、買い物や通院が難しい。,移動; ヘルスケア,120万円,2027年4月\r\n"
BAD = "KN-2,豊中市,公園の見守り,夜の公園が暗い。,防犯,来年の春,\r\n"


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    chosen = os.environ.get("MATCHMAKER_SCREENSHOTS")
    directory = Path(chosen) if chosen else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _sign_in(page) -> None:
    page.goto("/login")
    page.get_by_label("メールアドレス").fill("officer.kawachinagano@demo.matchmaker.example")
    page.get_by_label("パスワード").fill("demo-officer-2026")
    page.get_by_label("パスワード").press("Enter")
    page.wait_for_load_state("load")


def _choose(page, name: str, content: str) -> None:
    page.get_by_label("ファイル（CSV または Excel .xlsx）").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content.encode("utf-8-sig")})
    page.get_by_role("button", name="読み込んで確認する").click()
    page.wait_for_load_state("load")


def _look(page, screenshots: Path, name: str) -> list[str]:
    problems = []
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(screenshots / f"import-{name}-{width}.png"), full_page=True)
        found = page.evaluate(_INSPECT, sorted(DESTRUCTIVE))
        if found["overflow"]:
            problems.append(f"{name} at {width} px: wider than the screen {found['overflow']}")
        if found["squeezed"]:
            problems.append(f"{name} at {width} px: table text one character per line {found['squeezed'][:5]}")
    return problems


def test_an_officer_imports_issues_after_reading_the_preview(page, screenshots: Path) -> None:
    _sign_in(page)
    page.get_by_role("link", name="データ入出力").first.click()
    page.get_by_role("link", name="地域課題を取り込む").click()
    assert_accessible(page)

    _choose(page, "issues.csv", HEADER + GOOD + BAD)

    # The preview: the problem row named by line and column, the good row's readings shown.
    alert = page.get_by_role("alert")
    assert "3行目・自治体: 自分の自治体の課題だけを取り込めます。" in alert.inner_text()
    assert "3行目・予算規模" in alert.inner_text()
    rows = page.locator("table.import-rows tbody tr")
    assert "「河内長野」 → 河内長野市" in rows.nth(0).inner_text()
    assert "100万〜500万円" in rows.nth(0).inner_text()
    assert page.get_by_role("button", name="2行を取り込む").count() == 0  # nothing to commit
    assert_accessible(page)
    problems = _look(page, screenshots, "problems-ja")
    page.locator(".lang-switch button").click()
    page.wait_for_load_state("load")
    assert "Line 3, 自治体" in page.get_by_role("alert").inner_text()
    assert "You can import only your own municipality’s issues." in page.get_by_role("alert").inner_text()
    problems += _look(page, screenshots, "problems-en")
    assert_accessible(page)
    page.locator(".lang-switch button").click()
    page.wait_for_load_state("load")

    page.get_by_role("link", name="ファイルを選び直す").click()
    _choose(page, "issues.csv", HEADER + GOOD)
    problems += _look(page, screenshots, "ready-ja")
    page.get_by_role("button", name="1行を取り込む").click()
    page.wait_for_load_state("load")

    assert "取り込みました: 新規 1件、更新 0件、変更なし 0件。" in page.locator(".flashes").inner_text()
    problems += _look(page, screenshots, "done-ja")
    assert not problems, "\n".join(problems)
