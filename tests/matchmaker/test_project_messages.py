"""Issue 13 item 2: messages inside a project, kept in its record, with limited attachments."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from matchmaker.actions import messages
from matchmaker.domain.errors import NotFound, PermissionDenied, ValidationError
from models import AuditEvent, MessageAttachment, Notification, ProjectMessage, Role, Stage
from tests import factories

from .web import demo_project_in, login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _world(session):
    kawachinagano = factories.municipality(session, "河内長野市")
    lead = factories.make_organization(session)
    challenge = factories.make_challenge(session, kawachinagano, field_keys=("mobility",))
    project = factories.make_project(session, challenge, factories.make_technology(session, lead), stage=Stage.ACCEPTED)
    return {
        "project": project,
        "officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=kawachinagano),
        "lead": factories.make_user(session, Role.COMPANY_MEMBER, organization=lead),
        "coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("mobility",)),
        "other_coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("tourism",)),
        "outsider": factories.make_user(session, Role.COMPANY_MEMBER, organization=factories.make_organization(session)),
        "other_officer": factories.make_user(session, Role.MUNICIPAL_OFFICER,
                                             municipality=factories.municipality(session, "豊中市")),
        "admin": factories.make_user(session, Role.ADMIN),
    }


@pytest.mark.parametrize(("who", "expected"), [
    ("officer", "done"), ("lead", "done"), ("coordinator", "done"), ("admin", "done"),
    ("other_coordinator", "hidden"), ("outsider", "hidden"), ("other_officer", "hidden"),
])
def test_who_writes_in_a_project(db_session, who: str, expected: str) -> None:
    w = _world(db_session)
    try:
        messages.post_message(db_session, w["project"].id, actor=w[who], body="次回の打合せは来週です。")
        outcome = "done"
    except NotFound:
        outcome = "hidden"
    except PermissionDenied:
        outcome = "refused"

    assert outcome == expected


def test_the_origins_officer_reads_a_rollout_but_does_not_write_in_it(db_session) -> None:
    w = _world(db_session)
    origin = w["project"]
    rollout_challenge = factories.make_challenge(db_session, factories.municipality(db_session, "豊中市"))
    rollout = factories.make_project(db_session, rollout_challenge, origin.technologies[0], origin=origin)

    with pytest.raises(PermissionDenied):
        messages.post_message(db_session, rollout.id, actor=w["officer"], body="見ています")


def test_a_message_is_recorded_audited_and_told_to_the_others(db_session) -> None:
    w = _world(db_session)

    message = messages.post_message(db_session, w["project"].id, actor=w["lead"], body="資料を添付します。",
                                    uploads=[messages.Upload("C:\\Users\\me\\実証計画.pdf", PDF)])

    audit = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "project:message"))
    told = {n.user_id for n in db_session.scalars(select(Notification).where(Notification.kind == "message"))}
    assert [a.filename for a in message.attachments] == ["実証計画.pdf"]
    assert message.attachments[0].content_type == "application/pdf"
    assert audit.after["attachments"][0]["sha256"] == message.attachments[0].sha256
    assert w["officer"].id in told and w["coordinator"].id in told and w["lead"].id not in told


@pytest.mark.parametrize(("filename", "data", "why"), [
    ("script.html", b"<script>alert(1)</script>", "種類"),
    ("macro.xlsm", b"PK\x03\x04xx", "種類"),
    ("fake.pdf", b"<html>not a pdf</html>", "一致しません"),
    ("picture.png", b"\xff\xd8\xff\xe0jpeg", "一致しません"),
    ("big.pdf", b"%PDF-" + b"0" * messages.ATTACHMENT_MAX_BYTES, "大きすぎます"),
    ("empty.txt", b"", "空"),
    ("noextension", b"hello", "種類"),
])
def test_attachments_outside_the_allow_list_or_the_limit_are_refused(db_session, filename: str, data: bytes,
                                                                     why: str) -> None:
    w = _world(db_session)

    with pytest.raises(ValidationError) as refused:
        messages.post_message(db_session, w["project"].id, actor=w["lead"], body="添付", uploads=[
            messages.Upload(filename, data)])

    assert why in str(refused.value.field_errors["attachments"][0])
    assert db_session.scalar(select(func.count(ProjectMessage.id))) == 0


def test_more_than_three_files_are_refused(db_session) -> None:
    w = _world(db_session)

    with pytest.raises(ValidationError):
        messages.post_message(db_session, w["project"].id, actor=w["lead"], body="添付",
                              uploads=[messages.Upload(f"{n}.pdf", PDF) for n in range(4)])


def test_a_shift_jis_csv_from_excel_is_accepted(db_session) -> None:
    w = _world(db_session)

    message = messages.post_message(db_session, w["project"].id, actor=w["lead"], body="集計表",
                                    uploads=[messages.Upload("利用者数.csv", "日付,人数\n4月,120\n".encode("cp932"))])

    assert message.attachments[0].content_type.startswith("text/csv")


# -- over HTTP ---------------------------------------------------------------------------------
def test_participants_post_and_download_and_outsiders_cannot(demo_app) -> None:
    project_id = demo_project_in(demo_app, Stage.ACCEPTED, title="メッセージのテスト")
    officer = login(demo_app.test_client(), "officer")

    posted = officer.post(f"/projects/{project_id}/messages", content_type="multipart/form-data", data={
        "body": "実証の範囲案です。", "attachments": [(io.BytesIO(PDF), "範囲案.pdf")]})
    page = officer.get(f"/projects/{project_id}").text
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    attachment_id = session.scalar(select(MessageAttachment.id))
    session.close()
    url = f"/projects/{project_id}/attachments/{attachment_id}"
    download = login(demo_app.test_client(), "member").get(url)  # なにわモビリティ leads the project

    assert posted.status_code == 302
    assert "実証の範囲案です。" in page and "範囲案.pdf" in page
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E7%AF%84%E5%9B%B2%E6%A1%88.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert login(demo_app.test_client(), "member_mimamori").get(url).status_code == 404
    assert login(demo_app.test_client(), "officer_toyonaka").get(url).status_code == 404
    assert login(demo_app.test_client(), "member_mimamori").post(
        f"/projects/{project_id}/messages", data={"body": "割り込み"}).status_code == 404


def test_a_bad_attachment_is_a_clear_400_and_keeps_the_text(demo_app) -> None:
    project_id = demo_project_in(demo_app, Stage.ACCEPTED, title="メッセージのテスト")
    officer = login(demo_app.test_client(), "officer")

    response = officer.post(f"/projects/{project_id}/messages", content_type="multipart/form-data", data={
        "body": "この本文は残ります", "attachments": [(io.BytesIO(b"MZ\x90\x00"), "setup.exe")]})

    assert response.status_code == 400
    assert "添付できない種類です" in response.text and "この本文は残ります" in response.text


def test_a_request_over_the_upload_limit_is_a_413(demo_app) -> None:
    project_id = demo_project_in(demo_app, Stage.ACCEPTED, title="メッセージのテスト")
    officer = login(demo_app.test_client(), "officer")
    limit = messages.ATTACHMENTS_MAX * (messages.ATTACHMENT_MAX_BYTES + 4096) + 64 * 1024
    # The raw body, so the test client spools nothing to a temporary file of its own.
    body = b"--x\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"huge.pdf\"\r\n\r\n%PDF-"
    body += b"0" * limit + b"\r\n--x--\r\n"

    response = officer.post(f"/projects/{project_id}/messages", data=body,
                            content_type="multipart/form-data; boundary=x")

    assert response.status_code == 413


def test_files_are_still_refused_everywhere_else(demo_app) -> None:
    officer = login(demo_app.test_client(), "officer")

    response = officer.post("/challenges/new", content_type="multipart/form-data",
                            data={"title": "x", "file": (io.BytesIO(PDF), "a.pdf")})

    assert response.status_code == 400


def test_messages_cannot_be_edited_or_deleted(demo_app) -> None:
    rules = {rule.rule for rule in demo_app.url_map.iter_rules() if "messages" in rule.rule}

    assert rules == {"/projects/<int:project_id>/messages"}
    assert {m for rule in demo_app.url_map.iter_rules() if rule.rule == "/projects/<int:project_id>/messages"
            for m in rule.methods} - {"OPTIONS"} == {"POST"}
