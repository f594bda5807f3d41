"""Per-kind delivery: at once, daily or weekly digests, never; and unsubscribing by link, signed out."""

from __future__ import annotations

import datetime as dt
import functools
import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matchmaker import digests
from matchmaker.actions import workflow
from models import Delivery, NotificationPreference, OutboxEmail, PendingDigest, Role
from tests import factories

MONDAY = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 10:00 JST, Monday of ISO week 48


def day(n: int, hour: int = 1) -> dt.datetime:
    return MONDAY + dt.timedelta(days=n, hours=hour - 1)


def delivered(app) -> dict[str, list[tuple[str, str]]]:
    """(subject, body) of every mail written to the development outbox, by recipient."""
    mails: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default)
        mails.setdefault(str(message["To"]), []).append((str(message["Subject"]), message.get_content()))
    return mails


@pytest.fixture
def forum(app):
    """One municipality, one company with three members, two issues and two technologies."""
    app.config["PUBLIC_BASE_URL"] = "https://match.example.jp"
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    place = factories.municipality(session, "堺市")
    company = factories.make_organization(session)
    people = {
        "officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=place),
        "weekly": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=place),
        "proposer": factories.make_user(session, Role.COMPANY_MEMBER, organization=company),
        "colleague": factories.make_user(session, Role.COMPANY_MEMBER, organization=company),
        "quiet": factories.make_user(session, Role.COMPANY_MEMBER, organization=company, locale="en"),
    }
    things = {
        "c1": factories.make_challenge(session, place, title="坂道の移動"),
        "c2": factories.make_challenge(session, place, title="見守りの担い手"),
        "t1": factories.make_technology(session, company, title="乗合タクシー"),
        "t2": factories.make_technology(session, company, title="見守りセンサー"),
    }
    # The second officer takes everything weekly; "quiet" takes moves weekly and never wants
    # proposals; the proposer's colleague keeps the default (at once).
    for kind in ("proposal", "move"):
        session.add(NotificationPreference(user_id=people["weekly"].id, kind=kind, delivery=Delivery.WEEKLY))
    session.add(NotificationPreference(user_id=people["quiet"].id, kind="move", delivery=Delivery.WEEKLY))
    session.add(NotificationPreference(user_id=people["quiet"].id, kind="proposal", delivery=Delivery.NEVER))
    session.commit()
    yield session, people, things
    session.close()


def a_week_of_events(session, people, things) -> list[int]:
    """Two proposals and two moves on separate days; returns the project ids."""
    p1 = workflow.propose(session, actor=people["proposer"], challenge_ids=[things["c1"].id],
                          technology_ids=[things["t1"].id], title="坂道の乗合交通", summary="", now=lambda: day(0))
    session.commit()
    p2 = workflow.propose(session, actor=people["proposer"], challenge_ids=[things["c2"].id],
                          technology_ids=[things["t2"].id], title="センサーで見守り", summary="", now=lambda: day(1))
    session.commit()
    for n, project in ((2, p1), (4, p2)):
        workflow.make_move(session, project.id, "accept", workflow.MoveInput(project.version),
                           actor=people["officer"], now=functools.partial(day, n))
        session.commit()
    return [p1.id, p2.id]


def test_a_week_of_events_gives_one_weekly_mail_per_person_grouped_without_repeats(app, forum) -> None:
    session, people, things = forum
    p1, p2 = a_week_of_events(session, people, things)
    immediate = delivered(app)
    # The colleague's default is "at once": two proposals and two moves, as they happened.
    assert len(immediate[people["colleague"].email]) == 4
    assert people["weekly"].email not in immediate and people["quiet"].email not in immediate

    # Nothing is due before the digest hour, and the daily digest leaves weekly choices alone.
    assert digests.run_due_digests(app, now=day(7, hour=-8)) == {}  # 08:00 JST is 23:00 UTC the day before
    assert digests.send_digests(app, "daily", now=day(7)) == 0
    sent = digests.send_digests(app, "weekly", now=day(7))
    again = digests.send_digests(app, "weekly", now=day(7, hour=5))  # same ISO week: already sent
    forced = digests.send_digests(app, "weekly", now=day(8), force=True)  # nothing left waiting

    assert (sent, again, forced) == (2, 0, 0)
    weekly = {who: [m for m in mails if "igest" in m[0] or "ダイジェスト" in m[0]] for who, mails in delivered(app).items()}
    weekly = {who: mails for who, mails in weekly.items() if mails}
    assert {who: len(mails) for who, mails in weekly.items()} == {people["weekly"].email: 1, people["quiet"].email: 1}

    subject, body = weekly[people["weekly"].email][0]
    assert subject == "[OSPFマッチング] 週次ダイジェスト: 4件のお知らせ"
    # Grouped by project, the group with the newest news first, newest item first within a group.
    second_group, first_group = body.index("「センサーで見守り」"), body.index("「坂道の乗合交通」")
    assert second_group < first_group
    assert f"https://match.example.jp/projects/{p2}" in body and f"https://match.example.jp/projects/{p1}" in body
    group2 = body[second_group:first_group]
    assert group2.index("協議中") < group2.index("新しい提案")
    assert body.count("新しい提案「坂道の乗合交通」が届きました。") == 1

    quiet_subject, quiet_body = weekly[people["quiet"].email][0]
    assert quiet_subject == "[OSPF Matching] Weekly digest: 2 updates"
    assert "Proposed → Under discussion" in quiet_body
    assert "New proposal" not in quiet_body  # proposals are set to never
    assert quiet_body.count("https://match.example.jp/unsubscribe/") == 1  # one link per kind in the mail
    assert session.scalar(select(func.count()).select_from(PendingDigest)) == 0


def test_a_kind_switched_to_never_before_the_digest_is_dropped(app, forum) -> None:
    session, people, things = forum
    a_week_of_events(session, people, things)
    session.get(NotificationPreference, (people["weekly"].id, "proposal")).delivery = Delivery.NEVER
    session.commit()

    digests.send_digests(app, "weekly", now=day(7))

    (_subject, body), = delivered(app)[people["weekly"].email]
    assert "新しい提案" not in body and body.count("協議中") == 2


def test_unsubscribing_by_the_link_in_a_mail_works_signed_out(app, forum) -> None:
    session, people, things = forum
    a_week_of_events(session, people, things)
    digests.send_digests(app, "weekly", now=day(7))
    (_subject, body), = delivered(app)[people["quiet"].email]
    found = re.search(r"https://match\.example\.jp(/unsubscribe/\S+)", body)
    assert found is not None
    link = found.group(1)
    client = app.test_client()  # never signed in

    page = client.get(link)
    assert page.status_code == 200 and "「プロジェクトの進捗（段階の変更）」のメール" in page.text
    assert session.get(NotificationPreference, (people["quiet"].id, "move")).delivery is Delivery.WEEKLY  # GET changes nothing
    session.rollback()  # the test's write session must not hold SQLite's lock while the app writes

    done = client.post(link)
    session.expire_all()
    assert done.status_code == 200
    assert session.get(NotificationPreference, (people["quiet"].id, "move")).delivery is Delivery.NEVER
    session.rollback()
    assert client.get(link[:-3] + "xyz").status_code == 404  # an altered token
    assert client.post(link[:-3] + "xyz").status_code == 404

    # A later move reaches the inbox but no mail and no digest.
    p3 = workflow.propose(session, actor=people["proposer"], challenge_ids=[things["c1"].id],
                          technology_ids=[things["t2"].id], title="三つ目", summary="")
    session.commit()
    workflow.make_move(session, p3.id, "accept", workflow.MoveInput(p3.version), actor=people["officer"])
    session.commit()
    assert session.scalar(select(func.count()).select_from(PendingDigest)
                          .where(PendingDigest.user_id == people["quiet"].id)) == 0
    assert session.scalar(select(func.count()).select_from(OutboxEmail)
                          .where(OutboxEmail.recipient == people["quiet"].email, OutboxEmail.kind != "digest")) == 0


def test_every_notification_kind_has_a_label_and_a_subject_in_both_languages() -> None:
    from matchmaker import notifications

    for kind in notifications.MESSAGES:
        label = notifications.KIND_LABELS[kind]
        assert notifications.translate("en", label) != label, kind
        subject = notifications.SUBJECTS.get(kind, notifications.SUBJECT)
        assert notifications.translate("en", subject) != subject, kind


def test_the_send_digests_command_sends_what_waits(app, forum) -> None:
    session, people, things = forum
    a_week_of_events(session, people, things)

    result = app.test_cli_runner().invoke(args=["send-digests", "--period", "weekly", "--force"])
    again = app.test_cli_runner().invoke(args=["send-digests", "--period", "weekly", "--force"])
    wrong = app.test_cli_runner().invoke(args=["send-digests", "--period", "monthly"])

    assert result.exit_code == 0 and result.output.strip() == "2 digest mail(s) queued"
    assert again.output.strip() == "0 digest mail(s) queued"
    assert wrong.exit_code == 2
