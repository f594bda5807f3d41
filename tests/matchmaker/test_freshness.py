"""Open issues ask to be reconfirmed, are marked possibly stale, drop in rankings, leave alerts and close."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from matchmaker import alerts, freshness
from models import AlertTask, AuditEvent, Challenge, ChallengeStatus, Notification, Role, utcnow
from tests import factories


def _notifications(session, kind: str) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.kind == kind)))


def test_an_unconfirmed_issue_is_asked_once_then_closed_with_a_notification(app) -> None:
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    place = factories.municipality(session, "堺市")
    officer = factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=place)
    published = utcnow() - dt.timedelta(days=100)
    old = factories.make_challenge(session, place, title="古い課題", confirmed_at=published)
    fresh = factories.make_challenge(session, place, title="新しい課題", confirmed_at=utcnow() - dt.timedelta(days=10))
    session.commit()
    assert freshness.is_stale(old, app.config) and not freshness.is_stale(fresh, app.config)
    session.close()  # the test's write session must not hold SQLite's lock while the job writes
    session = app.extensions["sqlalchemy_sessionmaker"]()

    assert freshness.run(app) == (1, 0)
    assert freshness.run(app) == (0, 0)  # asked once, not at every run
    session.rollback()
    (asked,) = _notifications(session, "reconfirm")
    assert (asked.user_id, (asked.params or {})["challenge_id"]) == (officer.id, old.id)

    # 30 days later nobody has confirmed: it closes, with a notification and an audit row.
    assert freshness.run(app, now=utcnow() + dt.timedelta(days=21)) == (0, 1)
    session.rollback()
    assert session.get(Challenge, old.id).status is ChallengeStatus.CLOSED
    assert session.get(Challenge, fresh.id).status is ChallengeStatus.OPEN
    assert [n.user_id for n in _notifications(session, "stale_closed")] == [officer.id]
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.entity_id == old.id)) == "challenge:stale_close"
    session.close()


def test_reconfirming_makes_an_issue_current_again_and_it_is_asked_again_next_time(app) -> None:
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    place = factories.municipality(session, "堺市")
    officer = factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=place)
    old = factories.make_challenge(session, place, confirmed_at=utcnow() - dt.timedelta(days=95))
    session.commit()
    session.close()
    session = app.extensions["sqlalchemy_sessionmaker"]()
    freshness.run(app)
    client = app.test_client()
    client.post("/login", data={"email": officer.email, "password": factories.PASSWORD})
    session.rollback()

    page = client.get(f"/challenges/{old.id}")
    assert "更新確認待ち" in page.text
    assert client.post(f"/challenges/{old.id}/reconfirm").status_code == 302

    session.rollback()
    assert not freshness.is_stale(session.get(Challenge, old.id), app.config)
    assert "更新確認待ち" not in client.get(f"/challenges/{old.id}").text
    session.rollback()
    # 91 days after this confirmation it is stale again and the officer is asked again.
    assert freshness.run(app, now=utcnow() + dt.timedelta(days=91)) == (1, 0)
    session.close()


def test_a_possibly_stale_issue_drops_in_rankings_and_leaves_alerts(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    navi = "AIオンデマンド乗合交通システム「のりあいナビ」"
    from models import Technology

    technology = session.scalar(select(Technology).where(Technology.title == navi))
    with demo_app.app_context():
        from matchmaker.matching import match_service

        ranked = match_service().challenges_for(session, technology.id)
        top = session.get(Challenge, ranked[0].challenge_id)
        second = session.get(Challenge, ranked[1].challenge_id)
        assert ranked[1].score > freshness.STALE_FACTOR * ranked[0].score  # close enough for the penalty to reorder
        top.confirmed_at = utcnow() - dt.timedelta(days=120)
        session.commit()
        session.close()
        session = demo_app.extensions["sqlalchemy_sessionmaker"]()
        challenges = {c.id: c for c in session.scalars(select(Challenge).where(
            Challenge.id.in_([r.challenge_id for r in ranked])))}
        reranked = freshness.rerank(match_service().challenges_for(session, technology.id), challenges,
                                    demo_app.config)
    assert reranked[0].challenge_id == second.id
    assert [r.challenge_id for r in reranked].index(top.id) >= 1
    assert reranked[[r.challenge_id for r in reranked].index(top.id)].score == ranked[0].score  # the shown score is kept

    # Published while stale (e.g. reopened long ago and never confirmed): nobody is alerted.
    session.close()
    writer = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    writer.add(AlertTask(subject="challenge", subject_id=top.id))
    writer.commit()
    writer.close()
    assert alerts.run(demo_app) == 0
    session.close()
