"""Issue 12: propose on any open issue from its page; invite from the ranking and the shortlist;
the invited and the shortlisted company are told; shortlists stay private."""

from __future__ import annotations

from sqlalchemy import func, select

from matchmaker import notifications
from models import (
    Challenge,
    Invitation,
    InvitationStatus,
    Notification,
    Organization,
    OutboxEmail,
    Project,
    Technology,
    User,
)

from .web import login


def _ids(app) -> dict[str, int]:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        def org(name: str) -> int:
            return session.scalar(select(Organization.id).where(Organization.name == name))
        naniwa, mimamori = org("なにわモビリティ株式会社"), org("みまもりテック株式会社")
        kawachinagano_issue = session.scalar(select(Challenge.id).join(Challenge.municipality).where(
            Challenge.title.like("ニュータウンの坂道%")))
        boar = session.scalar(select(Challenge.id).where(Challenge.title.like("イノシシ%")))
        return {
            "issue": kawachinagano_issue, "boar": boar,
            "mimamori_tech": session.scalar(select(Technology.id).where(Technology.organization_id == mimamori,
                                                                        Technology.is_retired.is_(False)).limit(1)),
            "naniwa_tech": session.scalar(select(Technology.id).where(Technology.organization_id == naniwa,
                                                                     Technology.is_retired.is_(False)).limit(1)),
            "mimamori": mimamori, "naniwa": naniwa,
        }
    finally:
        session.close()


def _count(app, model, *where) -> int:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return session.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        session.close()


def test_a_company_proposes_on_an_issue_it_was_not_ranked_for(demo_app) -> None:
    ids = _ids(demo_app)
    member = login(demo_app.test_client(), "member")  # なにわモビリティ: mobility, not wild boars

    page = member.get(f"/challenges/{ids['boar']}").text
    form = member.get(f"/projects/new?challenge={ids['boar']}").text
    created = member.post(f"/projects/new?challenge={ids['boar']}", data={
        "challenge": str(ids["boar"]), "technology": str(ids["naniwa_tech"]), "title": "見回りの移動支援", "summary": ""})

    assert "この課題に提案する" in page and f'value="{ids["naniwa_tech"]}"' in page
    assert f'name="technology" value="{ids["naniwa_tech"]}"' in form
    assert created.status_code == 302
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    project = session.get(Project, int(created.headers["Location"].rsplit("/", 1)[1]))
    assert [c.id for c in project.challenges] == [ids["boar"]]
    session.close()


def test_the_proposal_takes_what_was_ticked_not_what_the_link_named(demo_app) -> None:
    ids = _ids(demo_app)
    member = login(demo_app.test_client(), "member")

    response = member.post(f"/projects/new?challenge={ids['boar']}&technology={ids['naniwa_tech']}",
                           data={"challenge": str(ids["boar"]), "title": "提案", "summary": ""})

    assert response.status_code == 400  # nothing ticked: asked again, nothing created
    assert "地域課題と技術をそれぞれ1つ以上選んでください" in response.text


def test_an_officer_invites_from_the_shortlist_and_the_company_accepts_by_proposing(demo_app) -> None:
    ids = _ids(demo_app)
    officer = login(demo_app.test_client(), "officer")
    officer.post(f"/challenges/{ids['issue']}/shortlist", data={"technology_id": str(ids["mimamori_tech"])})
    shortlist = officer.get(f"/challenges/{ids['issue']}").text
    assert "この企業を招待する" in shortlist.split('id="shortlist"')[1].split("</section>")[0]

    invited = officer.post(f"/challenges/{ids['issue']}/invitations",
                           data={"technology_id": str(ids["mimamori_tech"]), "message": "坂道の見守りもご提案ください"})

    assert invited.status_code == 302
    told = _count(demo_app, Notification, Notification.kind == "invitation_to_propose")
    members = _count(demo_app, User, User.organization_id == ids["mimamori"], User.is_active.is_(True))
    assert told == members and _count(demo_app, OutboxEmail, OutboxEmail.kind == "invitation_to_propose") == members
    company = login(demo_app.test_client(), "member_mimamori")
    card = company.get(f"/challenges/{ids['issue']}").text
    assert "提案の招待が届いています" in card and "坂道の見守りもご提案ください" in card
    assert "提案の招待" in company.get("/inbox").text

    proposed = company.post("/projects/new", data={"challenge": str(ids["issue"]), "technology": str(ids["mimamori_tech"]),
                                                   "title": "坂道の見守り", "summary": "招待を受けて"})

    assert proposed.status_code == 302
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    invitation = session.scalar(select(Invitation))
    assert invitation.status is InvitationStatus.ACCEPTED
    assert f"/projects/{invitation.project_id}" == proposed.headers["Location"]
    assert "提案あり" in officer.get(f"/challenges/{ids['issue']}").text
    session.close()


def test_an_officer_invites_from_the_ranking(demo_app) -> None:
    ids = _ids(demo_app)
    officer = login(demo_app.test_client(), "officer")
    page = officer.get(f"/challenges/{ids['issue']}").text
    ranked = page.split('id="matches-title"')[1]
    technology_id = int(ranked.split('name="technology_id" value="')[1].split('"')[0])

    response = officer.post(f"/challenges/{ids['issue']}/invitations", data={"technology_id": str(technology_id)})

    assert response.status_code == 302
    assert _count(demo_app, Invitation, Invitation.technology_id == technology_id) == 1


def test_shortlisting_tells_the_company_but_the_list_stays_private(demo_app) -> None:
    ids = _ids(demo_app)
    officer = login(demo_app.test_client(), "officer")

    officer.post(f"/challenges/{ids['issue']}/shortlist", data={"technology_id": str(ids["mimamori_tech"]),
                                                               "note": "費用が気になる"})

    company = login(demo_app.test_client(), "member_mimamori")
    rival = login(demo_app.test_client(), "member")
    inbox = company.get("/inbox").text
    assert "候補リストに追加されました" in inbox
    for client in (company, rival):
        page = client.get(f"/challenges/{ids['issue']}").text
        assert 'id="shortlist"' not in page and "費用が気になる" not in page


def test_declining_tells_the_officers_and_cannot_be_repeated(demo_app) -> None:
    ids = _ids(demo_app)
    login(demo_app.test_client(), "officer").post(f"/challenges/{ids['issue']}/invitations",
                                                  data={"technology_id": str(ids["mimamori_tech"])})
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    invitation_id = session.scalar(select(Invitation.id))
    session.close()
    company = login(demo_app.test_client(), "member_mimamori")

    first = company.post(f"/challenges/invitations/{invitation_id}/decline", data={"reason": "今期は体制が組めません"})
    second = company.post(f"/challenges/invitations/{invitation_id}/decline", data={"reason": ""})

    assert first.status_code == 302 and second.status_code == 409
    assert _count(demo_app, Notification, Notification.kind == "invitation_declined") >= 1
    assert "今期は体制が組めません" in login(demo_app.test_client(), "officer").get(f"/challenges/{ids['issue']}").text


def test_bad_or_foreign_invitations_are_refused_with_a_clear_status(demo_app) -> None:
    ids = _ids(demo_app)
    officer = login(demo_app.test_client(), "officer")
    url = f"/challenges/{ids['issue']}/invitations"
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    foreign = session.scalar(select(Challenge.id).where(Challenge.title.like("一人暮らし高齢者%")))
    session.close()

    assert officer.post(url, data={"technology_id": "abc"}).status_code == 400
    assert officer.post(url, data={}).status_code == 400
    assert officer.post(url, data={"technology_id": "999999"}).status_code == 404
    assert officer.post(f"/challenges/{foreign}/invitations",
                        data={"technology_id": str(ids["mimamori_tech"])}).status_code == 403
    assert login(demo_app.test_client(), "member").post(
        url, data={"technology_id": str(ids["mimamori_tech"])}).status_code == 403
    assert officer.post(url, data={"technology_id": str(ids["mimamori_tech"]), "message": "a\x00b"}).status_code == 400
    assert officer.post(url, data={"technology_id": str(ids["mimamori_tech"])}).status_code == 302
    assert officer.post(url, data={"technology_id": str(ids["mimamori_tech"])}).status_code == 409
    assert _count(demo_app, Invitation) == 1


def test_an_invitation_mail_links_to_the_issue() -> None:
    params = {"title": "坂道", "challenge_id": 7, "municipality": "河内長野市", "technology": "見守り", "company": "A社"}

    _subject, body = notifications.mail("invitation_to_propose", params, locale="en", project_id=None,
                                       base_url="https://matching.example.jp")

    assert "https://matching.example.jp/challenges/7" in body and "invites you to propose" in body


def test_an_invitation_counts_as_waiting_on_the_company_home_and_in_the_inbox(demo_app) -> None:
    ids = _ids(demo_app)
    company = login(demo_app.test_client(), "member_mimamori")

    def waiting(page: str) -> tuple[int, str]:
        heading = page.split('id="waiting-title">', 1)[1].split("</h2>", 1)[0]
        return int(heading.split("（", 1)[1].split("件", 1)[0]), page.split('id="waiting-title"', 1)[1].split("</section>", 1)[0]

    home_before, _ = waiting(company.get("/company").text)
    inbox_before, _ = waiting(company.get("/inbox").text)
    officer = login(demo_app.test_client(), "officer")
    officer.post(f"/challenges/{ids['issue']}/invitations", data={"technology_id": str(ids["mimamori_tech"]), "message": ""})

    home_after, home_list = waiting(company.get("/company").text)
    inbox_after, inbox_list = waiting(company.get("/inbox").text)

    assert (home_after, inbox_after) == (home_before + 1, inbox_before + 1)
    for shown in (home_list, inbox_list):
        assert f'href="/challenges/{ids["issue"]}"' in shown and "提案への招待" in shown
