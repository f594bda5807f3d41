"""Events over HTTP: the journey (three issues, registration, .ics, a proposal, the dashboard), the
role x route table, bad input, CSRF, and the reminder job through the mail outbox."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from matchmaker import jobs
from models import Challenge, ChallengeStatus, Event, EventRegistration, RegistrationStatus, Technology

from .fuzz import HOSTILE
from .web import login


def _open_issue_ids(app: Any, n: int = 3) -> list[int]:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return list(session.scalars(select(Challenge.id).where(Challenge.status == ChallengeStatus.OPEN)
                                    .order_by(Challenge.id).limit(n)))
    finally:
        session.close()


def event_form(issue_ids: list[int], **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "第12回 OSPFミートアップ, 見守り; 交通\\DX", "kind": "meetup", "starts": "２０２７年４月１５日　１４：００",
        "ends": "16:30", "place": "大阪府咲洲庁舎 2階", "online_url": "https://meet.example.jp/ospf-12",
        "capacity": "５０", "description": "自治体が課題を紹介します。\n企業の皆様のご参加をお待ちしています。",
        "challenge_ids": [str(i) for i in issue_ids], "version": "1",
    }
    data.update(overrides)
    return data


def _create_event(app: Any, **overrides: Any) -> int:
    client = login(app.test_client(), "coordinator")
    response = client.post("/events/new", data=event_form(_open_issue_ids(app), **overrides))
    assert response.status_code == 302, response.text[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _move_to_the_past(app: Any, event_id: int) -> None:
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    session.execute(update(Event).where(Event.id == event_id)
                    .values(starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1), ends_at=None))
    session.commit()
    session.close()


# -- the judged journey ------------------------------------------------------------------------
def test_an_event_with_three_issues_registration_ics_proposal_and_dashboard(demo_app: Any) -> None:
    issues = _open_issue_ids(demo_app)
    event_id = _create_event(demo_app)
    member = login(demo_app.test_client(), "member")

    page = member.get(f"/events/{event_id}")
    registered = member.post(f"/events/{event_id}/register")
    first = member.get(f"/events/{event_id}/calendar.ics")
    second = member.get(f"/events/{event_id}/calendar.ics")

    assert page.status_code == 200
    for issue_id in issues:
        assert f'href="/challenges/{issue_id}"' in page.text
    assert "2027年4月15日（木）14:00〜16:30" in page.text
    assert registered.status_code == 302
    assert first.status_code == 200 and first.mimetype == "text/calendar"
    assert first.data == second.data  # the same event gives the same file (stable UID and DTSTAMP)
    calendar = icalendar.Calendar.from_ical(first.data)
    [entry] = calendar.events
    assert str(entry["UID"]) == f"event-{event_id}@localhost"
    assert str(entry["SUMMARY"]) == "第12回 OSPFミートアップ, 見守り; 交通\\DX"  # commas, semicolons, backslash
    assert entry.DTSTART == dt.datetime(2027, 4, 15, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert entry["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert entry.DTEND == dt.datetime(2027, 4, 15, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert "咲洲庁舎" in str(entry["LOCATION"]) and "https://meet.example.jp/ospf-12" in str(entry["LOCATION"])
    assert "企業の皆様" in str(entry["DESCRIPTION"])
    assert [c["TZID"] for c in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]

    _move_to_the_past(demo_app, event_id)
    after = member.get(f"/events/{event_id}")
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    own = session.scalar(select(Technology.id).join(Technology.organization)
                         .where(Technology.organization.has(name="なにわモビリティ株式会社")).limit(1))
    session.close()
    form = member.get(f"/events/{event_id}/propose?challenge={issues[0]}")
    proposed = member.post(f"/events/{event_id}/propose?challenge={issues[0]}",
                           data={"technology_ids": [str(own)], "title": "ミートアップからの提案", "summary": "概要"})
    dashboard = member.get("/dashboard")
    earlier_year = member.get("/dashboard?fy=2020")  # the dashboard's period: proposals made then
    outsider = login(demo_app.test_client(), "member_mimamori").get("/dashboard")

    assert f"/events/{event_id}/propose?challenge={issues[0]}" in after.text
    assert form.status_code == 200
    assert proposed.status_code == 302 and "/projects/" in proposed.headers["Location"]
    row = dashboard.text[dashboard.text.index('id="table-events"'):]
    assert f'/events/{event_id}">第12回 OSPFミートアップ, 見守り; 交通\\DX</a></th><td>' in row
    assert row.split(f'/events/{event_id}"', 1)[1].split("</tr>")[0].endswith("<td>1</td>")
    earlier = earlier_year.text[earlier_year.text.index('id="table-events"'):]
    assert earlier.split(f'/events/{event_id}"', 1)[1].split("</tr>")[0].endswith("<td>0</td>")
    # Another company cannot open that project, so it does not count it either.
    other_row = outsider.text[outsider.text.index('id="table-events"'):]
    assert other_row.split(f'/events/{event_id}"', 1)[1].split("</tr>")[0].endswith("<td>0</td>")


def test_a_full_event_puts_the_next_person_on_the_waiting_list_with_a_clear_message(demo_app: Any) -> None:
    event_id = _create_event(demo_app, capacity="1")
    login(demo_app.test_client(), "member").post(f"/events/{event_id}/register")
    officer = login(demo_app.test_client(), "officer")

    before = officer.get(f"/events/{event_id}")
    response = officer.post(f"/events/{event_id}/register", follow_redirects=True)
    calendar = officer.get(f"/events/{event_id}/calendar.ics")

    assert "定員に達しています" in before.text
    assert "キャンセル待ちに登録しました" in response.text and "キャンセル待ち（1番目）" in response.text
    assert calendar.status_code == 403


# -- who may do what ---------------------------------------------------------------------------
ROLES = ("anonymous", "officer", "member", "coordinator", "admin")


def _routes(ids: dict[str, int]) -> list[tuple[str, str, str, dict | str | None, dict[str, int]]]:
    """(name, method, url, form, expected status per role), in an order where no row changes what a
    later row expects (each state-changing row has its own event)."""
    event_id, past_id, issue_id = ids["event"], ids["past"], ids["issue"]
    login_redirect = 302
    everyone = {"anonymous": login_redirect, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}
    return [
        ("list events", "GET", "/events", None, everyone),
        ("view an event", "GET", f"/events/{event_id}", None, everyone),
        ("new event form", "GET", "/events/new", None,
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 200, "admin": 200}),
        ("create an event", "POST", "/events/new", "form",
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 302, "admin": 302}),
        ("edit form", "GET", f"/events/{event_id}/edit", None,
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 200, "admin": 200}),
        ("save an edit", "POST", f"/events/{event_id}/edit", "form",
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 302, "admin": 302}),
        ("register", "POST", f"/events/{ids['to_register']}/register", {},
         {"anonymous": login_redirect, "officer": 302, "member": 302, "coordinator": 302, "admin": 302}),
        ("register for a past event", "POST", f"/events/{past_id}/register", {},
         {"anonymous": login_redirect, "officer": 409, "member": 409, "coordinator": 409, "admin": 409}),
        ("cancel without registering", "POST", f"/events/{event_id}/cancel", {},
         {"anonymous": login_redirect, "officer": 409, "member": 409, "coordinator": 409, "admin": 409}),
        ("calendar without registering", "GET", f"/events/{event_id}/calendar.ics", None,
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 200, "admin": 200}),
        ("propose form after the event", "GET", f"/events/{past_id}/propose?challenge={issue_id}", None,
         {"anonymous": login_redirect, "officer": 403, "member": 200, "coordinator": 403, "admin": 200}),
        ("propose before the event", "POST", f"/events/{event_id}/propose?challenge={issue_id}",
         {"technology_ids": ["1"], "title": "提案"},
         {"anonymous": login_redirect, "officer": 403, "member": 409, "coordinator": 403, "admin": 409}),
        ("propose on an issue not presented", "GET", f"/events/{past_id}/propose?challenge=999999", None,
         {"anonymous": login_redirect, "officer": 403, "member": 404, "coordinator": 403, "admin": 404}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_event_permission_table(demo_app: Any, role: str) -> None:
    issues = _open_issue_ids(demo_app)
    ids = {"event": _create_event(demo_app), "to_register": _create_event(demo_app, title="登録用の会"),
           "past": _create_event(demo_app, title="過去の会"), "issue": issues[0]}
    _move_to_the_past(demo_app, ids["past"])
    client = demo_app.test_client()
    if role != "anonymous":
        login(client, role)

    outcomes = {}
    for name, method, url, form, expected in _routes(ids):
        data = event_form(issues, title="新しい会") if form == "form" else form
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        outcomes[name] = (response.status_code, expected[role])
        if role == "anonymous":
            assert "/login" in response.headers["Location"]

    assert {name: got for name, (got, _) in outcomes.items()} == {name: want for name, (_, want) in outcomes.items()}


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("overrides", "message"), [
    ({"starts": "来週の木曜"}, "開催日時は「2027年4月15日 14:00」"),
    ({"starts": "2027年2月30日 10:00"}, "開催日時は"),
    ({"online_url": "javascript:alert(1)"}, "http:// または https://"),
    ({"online_url": "ftp://example.jp/"}, "http:// または https://"),
    ({"capacity": "たくさん"}, "定員は1〜10000の整数"),
    ({"capacity": "0"}, "定員は1〜10000の整数"),
    ({"title": "x" * 200}, "160文字以内"),
    ({"ends": "10:00"}, "終了時刻は開始より後"),
    ({"place": "", "online_url": ""}, "会場かオンライン参加のURLのどちらか"),
    ({"title": "改行\r\n入り"}, "使用できない制御文字"),
])
def test_bad_event_input_is_a_400_with_the_form_kept(demo_app: Any, overrides: dict[str, str], message: str) -> None:
    client = login(demo_app.test_client(), "coordinator")
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    before = session.scalar(select(func.count(Event.id)))
    session.close()

    response = client.post("/events/new", data=event_form(_open_issue_ids(demo_app), **overrides))

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    assert response.status_code == 400
    assert message in response.text
    assert 'value="大阪府咲洲庁舎 2階"' in response.text or overrides.get("place") == ""
    assert session.scalar(select(func.count(Event.id))) == before
    session.close()


def test_bad_ids_are_4xx(demo_app: Any) -> None:
    event_id = _create_event(demo_app)
    client = login(demo_app.test_client(), "member")

    assert client.get("/events/999999").status_code == 404
    assert client.get(f"/events/{2**31}").status_code == 404
    assert client.get("/events/abc").status_code == 404
    assert client.get(f"/events/{event_id}/propose?challenge=x").status_code == 400
    assert client.get("/events?page=-1").status_code == 400
    coordinator = login(demo_app.test_client(), "coordinator")
    assert coordinator.post("/events/new", data=event_form([], challenge_ids=["１", "x"])).status_code == 400
    full_width = "".join(chr(ord("０") + int(d)) for d in str(event_id))
    assert client.post(f"/events/{full_width}/register").status_code == 302


def test_a_stale_edit_form_comes_back_as_a_conflict_with_what_was_typed(demo_app: Any) -> None:
    event_id = _create_event(demo_app)
    client = login(demo_app.test_client(), "coordinator")
    client.post(f"/events/{event_id}/edit", data=event_form(_open_issue_ids(demo_app), title="先に保存した題"))

    response = client.post(f"/events/{event_id}/edit",
                           data=event_form(_open_issue_ids(demo_app), title="古いフォームの題", version="1"))

    assert response.status_code == 409
    assert 'value="古いフォームの題"' in response.text


def test_registering_needs_the_csrf_token(demo_app: Any) -> None:
    event_id = _create_event(demo_app)
    client = login(demo_app.test_client(), "member")
    demo_app.config["WTF_CSRF_ENABLED"] = True

    response = client.post(f"/events/{event_id}/register")

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    assert response.status_code == 400
    assert session.scalar(select(func.count(EventRegistration.id))) == 0
    session.close()


@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def _fuzz_event_form(data: st.DataObject, client: Any, issue_ids: list[int]) -> None:
    values = st.one_of(st.sampled_from([*HOSTILE, "2027年4月15日 14:00", "２０２７年４月１５日　１４：００",
                                        "16時", "午後2時", "https://example.jp", "http://", "１０人", "10001"]),
                       st.text(max_size=30))
    fields = ("title", "kind", "starts", "ends", "place", "online_url", "capacity", "description", "version")
    form = event_form(issue_ids)
    for name in data.draw(st.lists(st.sampled_from(fields), max_size=5, unique=True)):
        form[name] = data.draw(values)
    response = client.post("/events/new", data=form)
    assert response.status_code in (302, 400), (form, response.status_code)


def test_hostile_event_forms_never_get_a_5xx(demo_app: Any) -> None:
    client = login(demo_app.test_client(), "coordinator")
    _fuzz_event_form(client=client, issue_ids=_open_issue_ids(demo_app))


# -- the reminder job ---------------------------------------------------------------------------
def test_the_reminder_job_sends_one_mail_with_absolute_links_through_the_outbox(demo_app: Any) -> None:
    demo_app.config["PUBLIC_BASE_URL"] = "https://match.example.jp/"
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).astimezone(dt.timezone(dt.timedelta(hours=9)))
    event_id = _create_event(demo_app, starts=starts.strftime("%Y-%m-%d %H:%M"), ends="")
    login(demo_app.test_client(), "member").post(f"/events/{event_id}/register")

    jobs.enqueue(demo_app, "event_reminders")  # inline in tests: queues, commits, the delivery job sends
    jobs.enqueue(demo_app, "event_reminders")

    outbox = Path(demo_app.config["MAIL_OUTBOX_DIR"])
    mails = [message_from_bytes(p.read_bytes(), policy=default_policy) for p in sorted(outbox.glob("*.eml"))]
    reminders = [m for m in mails if "明日のイベント" in str(m["Subject"])]
    assert len(reminders) == 1
    body = reminders[0].get_content()
    assert reminders[0]["To"] == "member@naniwa-mobility.example"
    assert f"https://match.example.jp/events/{event_id}/calendar.ics" in body
    assert starts.strftime("%H:%M") in body
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    assert session.scalar(select(EventRegistration.reminded_at).where(EventRegistration.event_id == event_id)) \
        is not None
    assert session.scalar(select(EventRegistration.status)) is RegistrationStatus.REGISTERED
    session.close()
