"""Alerts: a published issue reaches strongly matching companies and followers; a registered
technology reaches the officers of issues it matches strongly; each person once."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

from sqlalchemy import select

from matchmaker import alerts, jobs
from models import AlertTask, Challenge, Municipality, Notification, Technology, User

from .web import ACCOUNTS, challenge_form, login, technology_form

DEMAND_TRANSPORT = {
    "title": "デマンド交通の導入",
    "description": "路線バスの維持が難しい坂道の多い地域で、スマートフォンや電話で予約できるAIオンデマンド乗合タクシーを"
                "導入し、少ない車両で高齢者の移動を支えたい。",
    "field_keys": "mobility"}


def _user(session, who: str) -> User:
    return session.scalar(select(User).where(User.email == ACCOUNTS[who]))


def _alerts(session, kind: str) -> dict[int, list[Notification]]:
    session.rollback()  # a fresh snapshot: SQLite readers see the database as of their transaction's start
    found: dict[int, list[Notification]] = {}
    for notification in session.scalars(select(Notification).where(Notification.kind == kind)):
        found.setdefault(notification.user_id, []).append(notification)
    return found


def test_a_published_issue_alerts_matching_companies_and_followers_once(demo_app) -> None:
    demo_app.config["PUBLIC_BASE_URL"] = "https://match.example.jp"
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    kawachinagano = session.scalar(select(Municipality.id).where(Municipality.name == "河内長野市"))
    follower = demo_app.test_client()
    login(follower, "member_mimamori")
    settings = follower.get("/account/notifications")
    assert settings.status_code == 200
    assert follower.post("/account/notifications", data={
        "municipality_ids": [str(kawachinagano)], **{f"kind_{k}": "immediately" for k in (
            "proposal", "rollout", "move", "alert_issue_match", "alert_issue_follow")}}).status_code == 302

    officer = demo_app.test_client()
    login(officer, "officer")
    draft = officer.post("/challenges/new", data=challenge_form(**DEMAND_TRANSPORT, status="draft"))
    assert draft.status_code == 302
    assert _alerts(session, "alert_issue_match") == {}  # a draft tells nobody
    challenge_id = int(draft.headers["Location"].rsplit("/", 1)[1])
    published = officer.post(f"/challenges/{challenge_id}/status", data={"status": "open", "version": "1"})
    assert published.status_code == 302

    naniwa, mimamori = _user(session, "member"), _user(session, "member_mimamori")
    matched = _alerts(session, "alert_issue_match")
    followed = _alerts(session, "alert_issue_follow")
    assert naniwa.id in matched
    assert (matched[naniwa.id][0].params or {})["technology"] == "AIオンデマンド乗合交通システム「のりあいナビ」"
    assert mimamori.id in followed or mimamori.id in matched
    # The mail names the event and the item and links to the issue, absolutely.
    mails: dict[str, list] = {}
    for path in Path(demo_app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=default)
        mails.setdefault(str(message["To"]), []).append(message)
    (alert,) = [m for m in mails[naniwa.email] if "デマンド交通の導入" in str(m["Subject"])]
    assert str(alert["Subject"]) == "[OSPFマッチング] 技術に合う新しい地域課題: デマンド交通の導入"
    assert f"https://match.example.jp/challenges/{challenge_id}" in alert.get_content()
    assert "https://match.example.jp/unsubscribe/" in alert.get_content()
    assert alert["List-Unsubscribe"].startswith("<https://match.example.jp/unsubscribe/")

    # Closing and publishing again, or running the job and the sweep again, tells nobody twice.
    before = {kind: {u: len(n) for u, n in _alerts(session, kind).items()}
              for kind in ("alert_issue_match", "alert_issue_follow")}
    for status in ("closed", "open"):
        session.rollback()
        version = session.get(Challenge, challenge_id).version
        assert officer.post(f"/challenges/{challenge_id}/status",
                            data={"status": status, "version": str(version)}).status_code == 302
    alerts.run(demo_app)
    jobs.notices(demo_app)
    session.expire_all()
    after = {kind: {u: len(n) for u, n in _alerts(session, kind).items()}
             for kind in ("alert_issue_match", "alert_issue_follow")}
    assert after == before
    assert all(t.done_at is not None for t in session.scalars(select(AlertTask)))
    session.close()


def test_a_registered_technology_alerts_the_officers_of_issues_it_matches_strongly(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    member = demo_app.test_client()
    login(member, "member")
    created = member.post("/technologies/new", data=technology_form(
        title="坂道ニュータウン向けデマンド乗合交通",
        description="ニュータウンの坂道で駅やスーパー、病院まで歩けない高齢者のために、少ない台数で効率よく運行できる"
                    "予約制の乗合交通。路線バスの減便や運転手不足、免許返納後の足の確保に。",
        field_keys=["mobility", "elderly"]))
    assert created.status_code == 302
    technology_id = int(created.headers["Location"].rsplit("/", 1)[1])

    officer = _user(session, "officer")
    told = _alerts(session, "alert_technology_match")
    assert officer.id in told
    issue = session.get(Challenge, (told[officer.id][0].params or {})["challenge_id"])
    assert issue.municipality_id == officer.municipality_id
    assert (told[officer.id][0].params or {})["technology_id"] == technology_id
    # Nobody outside the issue's municipality hears of it.
    assert all(session.get(User, user_id).municipality_id == officer.municipality_id for user_id in told)
    session.close()


def test_a_technology_not_currently_offered_is_left_out_of_rankings_and_alerts(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    navi = session.scalar(select(Technology).where(Technology.title == "AIオンデマンド乗合交通システム「のりあいナビ」"))
    member = demo_app.test_client()
    login(member, "member")
    assert member.post(f"/technologies/{navi.id}/offered", data={"offered": "0", "version": str(navi.version)}
                       ).status_code == 302
    officer = demo_app.test_client()
    login(officer, "officer")
    created = officer.post("/challenges/new", data=challenge_form(**DEMAND_TRANSPORT))
    challenge_id = int(created.headers["Location"].rsplit("/", 1)[1])

    assert "のりあいナビ" not in officer.get(f"/challenges/{challenge_id}").text
    assert all((n.params or {})["technology_id"] != navi.id for ns in _alerts(session, "alert_issue_match").values() for n in ns)
    page = member.get(f"/technologies/{navi.id}")
    assert page.status_code == 200 and "現在提供していません" in page.text  # still listed, marked

    session.rollback()
    assert member.post(f"/technologies/{navi.id}/offered", data={"offered": "1", "version": str(navi.version)}
                       ).status_code == 302
    assert "のりあいナビ" in officer.get(f"/challenges/{challenge_id}").text
    session.close()
