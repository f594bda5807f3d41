"""What people see first and what stops them doing harm by accident: confirmation steps before
destructive actions, the order of the moves offered, pending work on home pages, the unread
count, and what a pending applicant is told at sign-in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import Challenge, Municipality, Notification, Organization, Stage, Technology, User

from .web import demo_project_in, login

APPLICANT = {"organization_name": "みらい防災テック株式会社", "organization_name_kana": "みらいぼうさいてっく",
             "member_category": "corporate", "website": "https://mirai.example.jp", "description": "水位センサー",
             "contact_email": "info@mirai.example.jp", "contact_phone": "06-1234-5678", "member_name": "防災 花子",
             "member_email": "hanako@mirai.example.jp", "password": "long-enough-pass"}


def _read(app, query):
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return query(session)
    finally:
        session.close()


def _apply(app) -> int:
    app.test_client().post("/join", data=APPLICANT)
    return _read(app, lambda s: s.scalar(select(Organization.id).where(Organization.name == APPLICANT["organization_name"])))


def _own_challenge(app) -> int:
    return _read(app, lambda s: s.scalar(select(Challenge.id).join(Municipality).where(Municipality.name == "河内長野市")
                                         .order_by(Challenge.id)))


def _foreign_challenge(app) -> int:
    return _read(app, lambda s: s.scalar(select(Challenge.id).join(Municipality).where(Municipality.name == "豊中市")
                                         .order_by(Challenge.id)))


def _technology(app, title_start: str) -> int:
    return _read(app, lambda s: s.scalar(select(Technology.id).where(Technology.title.like(f"{title_start}%"))))


# -- confirmation steps: who may open them (role x page) ---------------------------------
CONFIRM_PAGES = {
    # name: (path maker, expected status per role)
    "close own issue": (lambda app: f"/challenges/{_own_challenge(app)}/close",
                        {"officer": 200, "member": 403, "coordinator": 403, "admin": 200}),
    "close another municipality's issue": (lambda app: f"/challenges/{_foreign_challenge(app)}/close",
                                           {"officer": 403, "member": 403, "coordinator": 403, "admin": 200}),
    "retire own technology": (lambda app: f"/technologies/{_technology(app, 'AIオンデマンド乗合交通')}/retire",
                              {"officer": 403, "member": 200, "coordinator": 403, "admin": 200}),
    "approve an application": (lambda app: f"/coordination/applications/{_apply(app)}/approve",
                               {"officer": 403, "member": 403, "coordinator": 200, "admin": 200}),
    "reject an application": (lambda app: f"/coordination/applications/{_apply(app)}/reject",
                              {"officer": 403, "member": 403, "coordinator": 200, "admin": 200}),
}


@pytest.mark.parametrize("role", ["officer", "member", "coordinator", "admin"])
@pytest.mark.parametrize("name", list(CONFIRM_PAGES))
def test_confirmation_pages_follow_the_action_rules_and_change_nothing(demo_app, role: str, name: str) -> None:
    path_of, expected = CONFIRM_PAGES[name]
    path = path_of(demo_app)
    client = login(demo_app.test_client(), role)
    before = _read(demo_app, lambda s: (s.scalar(select(Challenge.status).where(Challenge.id == _own_challenge(demo_app))),
                                        s.scalar(select(Technology.is_retired).where(Technology.title.like("AIオンデマンド%"))),
                                        list(s.scalars(select(Organization.membership_status)))))

    response = client.get(path)

    assert response.status_code == expected[role], response.text[:300]
    assert _read(demo_app, lambda s: (s.scalar(select(Challenge.status).where(Challenge.id == _own_challenge(demo_app))),
                                      s.scalar(select(Technology.is_retired).where(Technology.title.like("AIオンデマンド%"))),
                                      list(s.scalars(select(Organization.membership_status))))) == before


def test_closing_an_issue_is_a_link_to_a_confirmation_that_posts_the_close(demo_app) -> None:
    officer = login(demo_app.test_client(), "officer")
    cid = _own_challenge(demo_app)
    show = officer.get(f"/challenges/{cid}").text
    confirm = officer.get(f"/challenges/{cid}/close").text

    assert re.search(rf'<a class="button button--danger" href="/challenges/{cid}/close">受付を終了する</a>', show)
    assert f'action="/challenges/{cid}/status"' in confirm and 'name="status" value="closed"' in confirm
    assert 'class="button button--danger-confirm">受付を終了する' in confirm
    response = officer.post(f"/challenges/{cid}/status", data=dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', confirm)))
    assert response.status_code == 302
    assert _read(demo_app, lambda s: s.get(Challenge, cid).status.value) == "closed"
    assert officer.get(f"/challenges/{cid}/close").status_code == 302  # nothing left to confirm


def test_the_review_confirmation_shows_the_contact_and_a_refused_reason_comes_back(demo_app) -> None:
    organization_id = _apply(demo_app)
    coordinator = login(demo_app.test_client(), "coordinator")

    home = coordinator.get("/coordination").text
    page = coordinator.get(f"/coordination/applications/{organization_id}/reject").text
    refused = coordinator.post(f"/coordination/applications/{organization_id}", data={"decision": "reject"})

    for shown in ("防災 花子", "06-1234-5678", "hanako@mirai.example.jp"):
        assert shown in home and shown in page
    assert refused.status_code == 400 and "防災 花子" in refused.text  # the confirmation again, with the error
    assert _read(demo_app, lambda s: s.get(Organization, organization_id).membership_status.value) == "pending"


# -- the moves offered on a project's page ----------------------------------------------
def _moves(html: str) -> list[tuple[str, bool]]:
    """(label, opened) of each move panel, in page order."""
    return [(label, "open" in attributes) for attributes, label in
            re.findall(r'<details class="move[^"]*"([^>]*)>\s*<summary>([^<]+)</summary>', html)]


@pytest.mark.parametrize(("stage", "role", "expected"), [
    # Right after proposing, the lead's only move is to withdraw: offered, never opened.
    (Stage.PROPOSED, "member", [("提案を取り下げる", False)]),
    (Stage.PROPOSED, "officer", [("提案を受け入れる", True), ("提案を辞退する", False), ("プロジェクトを中止する", False)]),
    # Right after approving, the coordinator's only move is to cancel: offered, never opened.
    (Stage.PILOT_APPROVED, "coordinator", [("プロジェクトを中止する", False)]),
    (Stage.PILOT_REQUESTED, "coordinator", [("実証を承認する", True), ("コメントを付けて差し戻す", False),
                                            ("実証を却下する", False), ("プロジェクトを中止する", False)]),
])
def test_the_first_opened_move_is_always_the_forward_one(demo_app, stage: Stage, role: str, expected) -> None:
    project_id = demo_project_in(demo_app, stage, title="見た目の確認")
    client = login(demo_app.test_client(), role)

    assert _moves(client.get(f"/projects/{project_id}").text) == expected


# -- home pages and navigation -------------------------------------------------------------
def test_officer_home_lists_projects_and_what_waits(demo_app) -> None:
    project_id = demo_project_in(demo_app, Stage.PROPOSED, title="受け入れ待ちの提案")
    html = login(demo_app.test_client(), "officer").get("/municipality").text

    waiting = html[html.index('id="waiting"'):html.index('id="projects-title"')]
    assert f"/projects/{project_id}" in waiting and "提案を受け入れる" in waiting
    assert "河内長野市 のプロジェクト" in html


def test_coordinator_home_puts_pending_work_before_the_match_list(demo_app) -> None:
    project_id = demo_project_in(demo_app, Stage.PILOT_REQUESTED, title="承認待ちの実証")
    _apply(demo_app)
    html = login(demo_app.test_client(), "coordinator").get("/coordination").text

    assert html.index(f"/projects/{project_id}") < html.index('id="applications"') < html.index('id="unexplored-title"')
    shown = html[html.index('id="unexplored-title"'):]
    opened = shown[:shown.index('<details class="more-matches">')] if "more-matches" in shown else shown
    assert opened.count('<li class="card">') <= 5


def test_the_navigation_counts_unread_notifications(demo_app) -> None:
    officer = login(demo_app.test_client(), "officer")
    user_id = _read(demo_app, lambda s: s.scalar(select(User.id).where(User.email.like("officer.kawachinagano%"))))
    unread = _read(demo_app, lambda s: len(list(s.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))))))
    before = officer.get("/challenges").text
    officer.post("/inbox/read")
    after = officer.get("/challenges").text

    assert unread > 0
    assert re.search(rf'受信箱 <span class="badge">{unread}<', before)
    assert 'class="badge"' not in after


# -- signing in while the application waits ----------------------------------------------
@pytest.mark.parametrize(("password", "told_pending"), [("long-enough-pass", True), ("a-wrong-password", False)])
def test_a_pending_applicant_is_told_only_with_the_right_password(demo_app, password: str, told_pending: bool) -> None:
    _apply(demo_app)

    response = demo_app.test_client().post("/login", data={"email": APPLICANT["member_email"], "password": password})

    assert response.status_code == 400
    assert ("入会申請は審査中です" in response.text) is told_pending
    assert ("メールアドレスまたはパスワードが正しくありません" in response.text) is not told_pending


# -- the edit conflict shows what changed --------------------------------------------------
def test_a_stale_edit_shows_the_saved_values_beside_the_typed_ones_and_needs_the_new_version(demo_app) -> None:
    cid = _own_challenge(demo_app)
    officer = login(demo_app.test_client(), "officer")
    admin = login(demo_app.test_client(), "admin")
    original = _read(demo_app, lambda s: s.get(Challenge, cid))
    base = {"title": original.title, "description": original.description, "field_keys": ["mobility"],
            "target": original.target, "budget_range": original.budget_range.value, "desired_start": "",
            "available_data": original.available_data, "status": "open"}
    # The admin saves a new title first; the officer, on the old version, changes the target.
    assert admin.post(f"/challenges/{cid}/edit", data={**base, "title": "管理者が直した課題名", "version": "1"}).status_code == 302
    typed = {**base, "target": "officer が入力した対象", "version": "1"}

    stale = officer.post(f"/challenges/{cid}/edit", data=typed)
    conflict = stale.text[stale.text.index('id="conflict-title"'):stale.text.index("</table>")]
    carried = re.search(r'<input id="version" name="version" type="hidden" value="(\d+)">', stale.text)
    again_stale = officer.post(f"/challenges/{cid}/edit", data=typed)  # still the old version: refused again
    deliberate = officer.post(f"/challenges/{cid}/edit", data={**typed, "version": "2"})

    assert stale.status_code == 409
    assert re.search(r"<th scope=\"row\">課題名</th><td[^>]*>管理者が直した課題名</td><td[^>]*>" + re.escape(original.title), conflict)
    assert "officer が入力した対象" in conflict and original.target in conflict
    assert "課題の内容" not in conflict  # unchanged fields are not listed
    assert carried is not None and carried[1] == "2"  # the form is now aimed at the saved version
    assert again_stale.status_code == 409
    assert deliberate.status_code == 302
    assert _read(demo_app, lambda s: (s.get(Challenge, cid).title, s.get(Challenge, cid).target)) == (
        original.title, "officer が入力した対象")


def test_a_decision_made_meanwhile_is_reported_and_an_unknown_application_is_404(demo_app) -> None:
    organization_id = _apply(demo_app)
    first = login(demo_app.test_client(), "coordinator")
    second = login(demo_app.test_client(), "coordinator2")
    confirm = second.get(f"/coordination/applications/{organization_id}/reject")  # opened before the approval

    approved = first.post(f"/coordination/applications/{organization_id}", data={"decision": "approve"})
    late = second.post(f"/coordination/applications/{organization_id}", data={"decision": "reject", "reason": "重複"})
    unknown = second.get("/coordination/applications/999999/approve")

    assert (confirm.status_code, approved.status_code, late.status_code, unknown.status_code) == (200, 302, 409, 404)
    assert "この申請は既に審査済みです" in late.text
    assert _read(demo_app, lambda s: s.get(Organization, organization_id).membership_status.value) == "approved"


def _unread_of(demo_app, email_start: str) -> list[Notification]:
    return _read(demo_app, lambda s: list(s.scalars(
        select(Notification).join(User, User.id == Notification.user_id)
        .where(User.email.like(f"{email_start}%"), Notification.read_at.is_(None)).order_by(Notification.id))))


def test_following_a_notification_opens_its_page_and_marks_only_it_read(demo_app) -> None:
    officer = login(demo_app.test_client(), "officer")
    unread = [n for n in _unread_of(demo_app, "officer.kawachinagano") if n.project_id is not None]
    assert len(unread) >= 2
    inbox = officer.get("/inbox").text
    assert f'action="/inbox/{unread[0].id}/open"' in inbox  # an unread one opens through the POST

    opened = officer.post(f"/inbox/{unread[0].id}/open")

    assert opened.status_code == 302 and opened.headers["Location"] == f"/projects/{unread[0].project_id}"
    still_unread = {n.id for n in _unread_of(demo_app, "officer.kawachinagano")}
    assert unread[0].id not in still_unread and unread[1].id in still_unread
    inbox = officer.get("/inbox").text
    assert f'action="/inbox/{unread[0].id}/open"' not in inbox and f'href="/projects/{unread[0].project_id}"' in inbox


@pytest.mark.parametrize("whose", ["another person's", "missing", "past 2^63"])
def test_a_notification_that_is_not_yours_cannot_be_opened(demo_app, whose: str) -> None:
    others = _unread_of(demo_app, "coordinator@")
    notification_id = {"another person's": others[0].id, "missing": 10**6, "past 2^63": 2**64}[whose]
    officer = login(demo_app.test_client(), "officer")

    response = officer.post(f"/inbox/{notification_id}/open")

    assert response.status_code == 404
    assert others[0].id in {n.id for n in _unread_of(demo_app, "coordinator@")}  # untouched


def test_opening_a_notification_is_a_post(demo_app) -> None:
    officer = login(demo_app.test_client(), "officer")
    unread = _unread_of(demo_app, "officer.kawachinagano")
    assert officer.get(f"/inbox/{unread[0].id}/open").status_code == 405
    assert unread[0].id in {n.id for n in _unread_of(demo_app, "officer.kawachinagano")}
