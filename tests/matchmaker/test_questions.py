"""Issue 13 item 1: questions and answers on an issue, with a Q&A period."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from matchmaker.actions import questions
from matchmaker.domain.errors import Conflict, PermissionDenied, ValidationError
from matchmaker.domain.errors import NotFound as NotFoundError
from matchmaker.policies import questions as question_policy
from models import Challenge, Notification, OutboxEmail, Question, Role
from tests import factories

from .web import found, login


def _world(session):
    kawachinagano = factories.municipality(session, "河内長野市")
    challenge = factories.make_challenge(session, kawachinagano, title="坂道の移動", field_keys=("mobility",))
    asker_org, rival_org = factories.make_organization(session), factories.make_organization(session)
    return {
        "challenge": challenge,
        "asker": factories.make_user(session, Role.COMPANY_MEMBER, organization=asker_org, locale="en"),
        "colleague": factories.make_user(session, Role.COMPANY_MEMBER, organization=asker_org),
        "rival": factories.make_user(session, Role.COMPANY_MEMBER, organization=rival_org),
        "officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=kawachinagano),
        "other_officer": factories.make_user(session, Role.MUNICIPAL_OFFICER,
                                             municipality=factories.municipality(session, "豊中市")),
        "coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("mobility",)),
        "other_coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("tourism",)),
        "admin": factories.make_user(session, Role.ADMIN),
    }

def _visible_ids(session, user) -> set[int]:
    return set(session.scalars(select(Question.id).where(question_policy.visible(user))))

# who: (reads while unanswered, reads once answered publicly, reads once answered privately)
READERS = {
    "asker": (True, True, True), "colleague": (True, True, True), "rival": (False, True, False),
    "officer": (True, True, True), "other_officer": (False, True, False),
    "coordinator": (True, True, True), "other_coordinator": (True, True, True), "admin": (True, True, True),
}

@pytest.mark.parametrize("who", READERS)
@pytest.mark.parametrize("state", ["unanswered", "public", "private"])
def test_who_reads_a_question(db_session, who: str, state: str) -> None:
    w = _world(db_session)
    question = questions.ask(db_session, w["challenge"].id, actor=w["asker"], body="運行時間帯は？")
    if state != "unanswered":
        questions.answer(db_session, question.id, actor=w["officer"], text="7時から19時です。",
                         private=state == "private", reason="個社の事情に関わるため" if state == "private" else "",
                         expected_version=question.version)
    expected = READERS[who][["unanswered", "public", "private"].index(state)]

    assert question_policy.can_view(w[who], question) is expected
    assert (question.id in _visible_ids(db_session, w[who])) is expected  # the SQL twin agrees

# who may ask / answer: role x action
@pytest.mark.parametrize(("who", "may_ask", "may_answer"), [
    ("asker", True, False), ("rival", True, False), ("officer", False, True), ("other_officer", False, False),
    ("coordinator", False, True), ("other_coordinator", False, False), ("admin", False, True),
])
def test_who_asks_and_who_answers(db_session, who: str, may_ask: bool, may_answer: bool) -> None:
    w = _world(db_session)
    question = questions.ask(db_session, w["challenge"].id, actor=w["colleague"], body="データ提供は？")

    try:
        questions.ask(db_session, w["challenge"].id, actor=w[who], body="質問です")
        asked = True
    except PermissionDenied:
        asked = False
    try:
        questions.answer(db_session, question.id, actor=w[who], text="回答", expected_version=question.version)
        answered = True
    except (PermissionDenied, NotFoundError):
        answered = False

    assert (asked, answered) == (may_ask, may_answer)

def test_asking_after_the_deadline_is_refused_in_japan_time(db_session) -> None:
    w = _world(db_session)
    w["challenge"].qa_deadline = dt.date(2027, 3, 31)
    # 2027-03-31 23:30 JST is still the deadline day, though UTC already says ...14:30 the same day;
    # 2027-04-01 00:10 JST (2027-03-31 15:10 UTC) is after it.
    last_minute = lambda: dt.datetime(2027, 3, 31, 14, 30, tzinfo=dt.UTC)
    too_late = lambda: dt.datetime(2027, 3, 31, 15, 10, tzinfo=dt.UTC)

    questions.ask(db_session, w["challenge"].id, actor=w["asker"], body="間に合いますか", now=last_minute)
    with pytest.raises(Conflict) as refused:
        questions.ask(db_session, w["challenge"].id, actor=w["asker"], body="遅れました", now=too_late)

    assert "2027-03-31" in str(refused.value.message)

def test_a_private_answer_needs_a_reason_and_an_answer_is_given_once(db_session) -> None:
    w = _world(db_session)
    question = questions.ask(db_session, w["challenge"].id, actor=w["asker"], body="費用は？")

    with pytest.raises(ValidationError) as no_reason:
        questions.answer(db_session, question.id, actor=w["officer"], text="別途", private=True, reason="",
                         expected_version=question.version)
    questions.answer(db_session, question.id, actor=w["officer"], text="500万円程度", expected_version=question.version)
    with pytest.raises(Conflict):
        questions.answer(db_session, question.id, actor=w["coordinator"], text="訂正", expected_version=question.version)

    assert "reason" in no_reason.value.field_errors

def test_officers_hear_of_a_question_and_the_asker_of_the_answer(db_session) -> None:
    w = _world(db_session)
    question = questions.ask(db_session, w["challenge"].id, actor=w["asker"], body="実証の場所は？")
    questions.answer(db_session, question.id, actor=w["officer"], text="南花台です", expected_version=question.version)

    told = {(n.user_id, n.kind) for n in db_session.scalars(select(Notification))}
    mails = {(m.recipient, m.kind) for m in db_session.scalars(select(OutboxEmail))}

    assert (w["officer"].id, "question") in told and (w["asker"].id, "answer") in told
    assert (w["other_officer"].id, "question") not in told and (w["rival"].id, "answer") not in told
    assert (w["officer"].email, "question") in mails and (w["asker"].email, "answer") in mails

# -- over HTTP, on the demo ------------------------------------------------------------------
def _issue(app) -> int:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return session.scalar(select(Challenge.id).where(Challenge.title.like("ニュータウンの坂道%")))
    finally:
        session.close()

def test_an_answered_question_is_public_to_every_member_without_the_askers_name(demo_app) -> None:
    issue = _issue(demo_app)
    asker = login(demo_app.test_client(), "member")
    asked = asker.post(f"/challenges/{issue}/questions", data={"body": "停留所の数の想定はありますか"})
    second = login(demo_app.test_client(), "member_mimamori")
    before = second.get(f"/challenges/{issue}").text
    officer = login(demo_app.test_client(), "officer")
    page = officer.get(f"/challenges/{issue}").text
    question_id = int(page.split('id="question-')[1].split('"')[0])
    version = page.split(f'/challenges/questions/{question_id}/answer')[1].split('name="version" value="')[1].split('"')[0]

    answered = officer.post(f"/challenges/questions/{question_id}/answer",
                            data={"answer": "10か所程度を想定しています", "version": version})
    after = second.get(f"/challenges/{issue}").text

    assert asked.status_code == 302 and answered.status_code == 302
    assert "停留所の数の想定はありますか" not in before
    assert "停留所の数の想定はありますか" in after and "10か所程度を想定しています" in after
    assert "なにわモビリティ" not in after.split('id="questions"')[1].split("</section>")[0]

def test_asking_after_the_deadline_gets_a_clear_4xx_and_keeps_the_text(demo_app) -> None:
    issue = _issue(demo_app)
    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    session.get(Challenge, issue).qa_deadline = dt.date(2020, 1, 1)
    session.commit()
    session.close()
    member = login(demo_app.test_client(), "member")

    page = member.get(f"/challenges/{issue}").text
    response = member.post(f"/challenges/{issue}/questions", data={"body": "まだ間に合いますか"})

    assert "2020-01-01" in page and "受付は終了しました" in page
    assert response.status_code == 409 and "2020-01-01で終了しました" in response.text

def test_the_officer_sets_the_deadline_and_bad_dates_are_a_400(demo_app) -> None:
    issue = _issue(demo_app)
    officer = login(demo_app.test_client(), "officer")
    page = officer.get(f"/challenges/{issue}").text
    version = found(r'name="version" type="hidden" value="(\d+)"', page.split("/qa-deadline")[1])[1]

    bad = officer.post(f"/challenges/{issue}/qa-deadline", data={"qa_deadline": "来週", "version": version})
    good = officer.post(f"/challenges/{issue}/qa-deadline", data={"qa_deadline": "２０２７／４／１", "version": version})
    stale = officer.post(f"/challenges/{issue}/qa-deadline", data={"qa_deadline": "2027-05-01", "version": version})
    member_page = login(demo_app.test_client(), "member").get(f"/challenges/{issue}").text

    assert bad.status_code == 400 and good.status_code == 302 and stale.status_code == 409
    assert "2027-04-01" in member_page
    assert login(demo_app.test_client(), "member").post(
        f"/challenges/{issue}/qa-deadline", data={"qa_deadline": "2027-05-01", "version": version}).status_code == 403

def test_bad_question_input_is_a_4xx_and_nothing_is_saved(demo_app) -> None:
    issue = _issue(demo_app)
    member = login(demo_app.test_client(), "member")
    officer = login(demo_app.test_client(), "officer")

    assert member.post(f"/challenges/{issue}/questions", data={"body": ""}).status_code == 400
    assert member.post(f"/challenges/{issue}/questions", data={"body": "a\x00b"}).status_code == 400
    assert member.post(f"/challenges/{issue}/questions", data={"body": "長" * 2001}).status_code == 400
    assert officer.post(f"/challenges/{issue}/questions", data={"body": "職員の質問"}).status_code == 403
    assert member.post("/challenges/999999/questions", data={"body": "どこ"}).status_code == 404
    assert officer.post("/challenges/questions/999999/answer", data={"answer": "x", "version": "1"}).status_code == 404
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    assert session.scalar(select(func.count(Question.id))) == 0
    session.close()


# who finds the question among the things waiting for them, until it is answered
WAITING_FOR = {"officer": True, "other_officer": False, "coordinator": True, "other_coordinator": False,
               "asker": False, "admin": False}


@pytest.mark.parametrize(("who", "waits"), WAITING_FOR.items())
def test_an_unanswered_question_waits_for_those_who_answer_it(db_session, who: str, waits: bool) -> None:
    from matchmaker.queries import questions as reads

    w = _world(db_session)
    question = questions.ask(db_session, w["challenge"].id, actor=w["asker"], body="運行時間は？")
    db_session.flush()

    found = reads.unanswered(db_session, w[who])
    assert ([q.id for q in found], found.total) == (([question.id], 1) if waits else ([], 0))

    questions.answer(db_session, question.id, actor=w["officer"], text="7時から19時です。",
                     expected_version=question.version)
    db_session.flush()
    after = reads.unanswered(db_session, w[who])
    assert (after.items, after.total) == ([], 0)


def test_the_officer_home_and_inbox_list_the_question_to_answer(app, db_session) -> None:
    w = _world(db_session)
    questions.ask(db_session, w["challenge"].id, actor=w["asker"], body="運行時間は？")
    db_session.commit()
    client = app.test_client()
    client.post("/login", data={"email": w["officer"].email, "password": factories.PASSWORD})

    for page in (client.get("/municipality").text, client.get("/inbox").text):
        waiting = page.split('id="waiting-title"', 1)[1].split("</section>", 1)[0]
        assert "（1件）" in waiting.split("</h2>", 1)[0]
        assert f'/challenges/{w["challenge"].id}#questions' in waiting and "運行時間は？" in waiting


def test_a_question_still_waits_after_its_issue_is_closed(db_session) -> None:
    from matchmaker.queries import questions as reads
    from models import ChallengeStatus

    w = _world(db_session)
    question = questions.ask(db_session, w["challenge"].id, actor=w["asker"], body="運行時間は？")
    w["challenge"].status = ChallengeStatus.CLOSED
    db_session.flush()

    found = reads.unanswered(db_session, w["officer"])
    assert (found.items, found.total) == ([question], 1)
