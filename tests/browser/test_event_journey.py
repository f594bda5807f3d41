"""The event journey in a real browser: a coordinator sets up a meet-up with three issues, a member
registers and downloads the .ics, and after the meet-up proposes on one of its issues, which the
dashboard then counts. Every page is checked with axe-core, and the event pages are looked at in
both languages at 1280 and 390 px (screenshots under MATCHMAKER_SCREENSHOTS when set)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import icalendar
from sqlalchemy import select, update

from matchmaker.db import make_engine
from models import Challenge, ChallengeStatus, Event

from .helpers import assert_accessible
from .test_visual import _INSPECT, DESTRUCTIVE, WIDTHS

COORDINATOR = ("coordinator@demo.matchmaker.example", "demo-coord-2026")
MEMBER = ("member@naniwa-mobility.example", "demo-member-2026")


def _sign_in(page, who: tuple[str, str]) -> None:
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(who[0])
    page.get_by_label("パスワード").fill(who[1])
    page.get_by_label("パスワード").press("Enter")
    page.wait_for_load_state("load")


def _look(page, path: str, name: str, shots: Path, problems: list[str]) -> None:
    """Both widths in both languages: screenshots, nothing wider than the screen, axe clean."""
    for language in ("ja", "en"):
        if page.evaluate("document.documentElement.lang") != language:
            page.locator(".lang-switch button").click()
            page.wait_for_load_state("load")
        for width, height in WIDTHS.values():
            page.set_viewport_size({"width": width, "height": height})
            page.goto(path)
            page.screenshot(path=str(shots / f"event-{name}-{language}-{width}.png"), full_page=True)
            found = page.evaluate(_INSPECT, sorted(DESTRUCTIVE | {"参加をキャンセルする", "Cancel my registration"}))
            if found["overflow"] or found["squeezed"] or found["primaryDestructive"] or found["wrongModifier"]:
                problems.append(f"{path} {language} {width}px: {found}")
            if width == 1280 or language == "ja":
                try:
                    assert_accessible(page)
                except AssertionError as error:
                    problems.append(str(error))
    page.locator(".lang-switch button").click()  # back to Japanese
    page.wait_for_load_state("load")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_meetup_with_three_issues_registration_calendar_and_a_proposal(new_page, demo_database_url: str,
                                                                       tmp_path: Path) -> None:
    shots = Path(os.environ.get("MATCHMAKER_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    engine = make_engine(demo_database_url)
    with engine.connect() as connection:
        titles = list(connection.scalars(select(Challenge.title).where(Challenge.status == ChallengeStatus.OPEN)
                                         .order_by(Challenge.id).limit(3)))

    coordinator = new_page()
    _sign_in(coordinator, COORDINATOR)
    coordinator.get_by_role("link", name="イベント", exact=True).first.click()
    assert_accessible(coordinator)
    coordinator.get_by_role("link", name="イベントを登録").click()
    assert_accessible(coordinator)
    coordinator.get_by_label("イベント名").fill("第12回 OSPFミートアップ（見守り・移動）")
    coordinator.get_by_label("開催日時（日本時間）").fill("２０２７年４月１５日　１４：００")
    coordinator.get_by_label("終了時刻（任意）").fill("16:30")
    coordinator.get_by_label("会場", exact=True).fill("大阪府咲洲庁舎 2階 会議室")
    coordinator.get_by_label("オンライン参加のURL").fill("https://meet.example.jp/ospf-12")
    coordinator.get_by_label("定員").fill("40")
    for title in titles:
        coordinator.get_by_label(title, exact=False).first.check()
    coordinator.get_by_role("button", name="保存する").click()
    coordinator.wait_for_load_state("load")
    assert coordinator.get_by_role("heading", name="第12回 OSPFミートアップ（見守り・移動）").is_visible()
    assert "2027年4月15日（木）14:00〜16:30" in coordinator.content()
    event_path = coordinator.url.split("127.0.0.1", 1)[1].split("/", 1)[1]
    event_path = "/" + event_path
    _look(coordinator, "/events/new", "form", shots, problems)

    member = new_page()
    _sign_in(member, MEMBER)
    member.goto(event_path)
    for title in titles:
        assert member.get_by_role("link", name=title).is_visible()
    member.get_by_role("button", name="参加登録する").click()
    member.wait_for_load_state("load")
    assert member.get_by_text("参加登録済みです。").is_visible()
    with member.expect_download() as download:
        member.get_by_role("link", name="カレンダーに追加（.ics）").click()
    calendar = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    [entry] = calendar.events
    assert str(entry["SUMMARY"]) == "第12回 OSPFミートアップ（見守り・移動）"
    assert entry.DTSTART == dt.datetime(2027, 4, 15, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    _look(member, event_path, "registered", shots, problems)
    _look(member, "/events", "list", shots, problems)

    event_id = int(event_path.rsplit("/", 1)[1])
    with engine.begin() as connection:
        connection.execute(update(Event).where(Event.id == event_id).values(
            starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1), ends_at=None))
    engine.dispose()
    member.goto(event_path)
    member.get_by_role("link", name="この課題に提案する").first.click()
    member.wait_for_load_state("load")
    assert_accessible(member)
    member.get_by_label("提案の概要").fill("ミートアップでの説明を受けて、実証の進め方を提案します。")
    member.get_by_role("button", name="提案を送る").click()
    member.wait_for_load_state("load")
    assert "/projects/" in member.url
    assert titles[0] in member.content()
    _look(member, event_path, "past", shots, problems)

    member.goto("/dashboard")
    row = member.locator("#table-events").locator("xpath=..").get_by_role(
        "row", name="第12回 OSPFミートアップ（見守り・移動）")
    assert row.get_by_role("cell").last.inner_text() == "1"
    _look(member, "/dashboard", "dashboard", shots, problems)
    assert not problems, "\n".join(problems)
