"""The vocabulary page: coordinators only, bad input answered with the form, and a saved pair
reaching rankings through the refit job (inline in tests) that the view asks for."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matchmaker import create_app
from matchmaker.matching import match_service
from models import AuditEvent, Role, VocabularyEntry
from tests import factories


def _client(app, role: Role, **values):
    session = app.extensions["sqlalchemy_sessionmaker"]()
    if role is Role.MUNICIPAL_OFFICER:
        values["municipality"] = factories.municipality(session, "豊中市")
    if role is Role.COMPANY_MEMBER:
        values["organization"] = factories.make_organization(session)
    user = factories.make_user(session, role, **values)
    session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": factories.PASSWORD}).status_code == 302
    session.close()
    return client


@pytest.fixture
def world(app):
    """An issue that says ヒヤリハット; one technology says ニアミス, its rival shares only 減らす with the issue."""
    session = app.extensions["sqlalchemy_sessionmaker"]()
    municipality = factories.municipality(session, "河内長野市")
    organization = factories.make_organization(session)
    challenge = factories.make_challenge(session, municipality, title="通学路のヒヤリハット",
                                         description="通学路で多いヒヤリハットを減らしたい。", field_keys=("safety",))
    near_miss = factories.make_technology(session, organization, title="交差点のニアミス検知",
                                          description="ニアミスを検知し、ニアミスの多い地点を知らせます。",
                                          field_keys=("safety",))
    rival = factories.make_technology(session, organization, title="公園の見守りカメラ",
                                      description="公園に見守りカメラを置いて事故を減らします。", field_keys=("safety",))
    session.commit()
    ids = {"challenge": challenge.id, "near_miss": near_miss.id, "rival": rival.id}
    session.close()
    return ids


def _ranking(app, challenge_id: int) -> list[int]:
    with app.app_context():
        session = app.extensions["sqlalchemy_sessionmaker"]()
        try:
            return [r.technology_id for r in match_service().technologies_for(session, challenge_id)]
        finally:
            session.close()


def _form(**overrides: str) -> dict[str, str]:
    return {"term": "ヒヤリハット", "variant": "ニアミス", "reason": "現場では同じ意味で使われている"} | overrides


def test_a_saved_pair_ranks_a_technology_using_the_other_word_higher(app, world) -> None:
    before = _ranking(app, world["challenge"])
    coordinator = _client(app, Role.COORDINATOR, field_keys=("safety",))

    answer = coordinator.post("/vocabulary", data=_form())
    after = _ranking(app, world["challenge"])

    assert answer.status_code == 302
    assert "ランキングにはまもなく反映されます" in coordinator.get(answer.headers["Location"]).text
    assert before[0] == world["rival"]
    assert after[0] == world["near_miss"], (before, after)


def test_only_coordinators_and_admins_see_the_page(app, world) -> None:
    coordinator = _client(app, Role.COORDINATOR)
    admin = _client(app, Role.ADMIN)
    officer = _client(app, Role.MUNICIPAL_OFFICER)
    member = _client(app, Role.COMPANY_MEMBER)

    assert coordinator.get("/vocabulary").status_code == 200
    assert admin.get("/vocabulary").status_code == 200
    assert officer.get("/vocabulary").status_code == 403
    assert member.get("/vocabulary").status_code == 403
    assert officer.post("/vocabulary", data=_form()).status_code == 403
    assert app.extensions["sqlalchemy_sessionmaker"]().scalar(select(VocabularyEntry)) is None


@pytest.mark.parametrize("form", [
    _form(variant="ヒヤリハット"), _form(reason=""), _form(term="あ" * 200), _form(term="a\x00b"), {"term": "x"},
])
def test_bad_input_comes_back_with_the_form_and_a_400(app, form) -> None:
    coordinator = _client(app, Role.COORDINATOR)

    answer = coordinator.post("/vocabulary", data=form)

    assert answer.status_code == 400
    assert 'id="error-summary"' in answer.text
    assert app.extensions["sqlalchemy_sessionmaker"]().scalar(select(VocabularyEntry)) is None


def test_edit_and_remove_through_the_page_with_version_and_reason(app) -> None:
    coordinator = _client(app, Role.COORDINATOR)
    coordinator.post("/vocabulary", data=_form())
    session = app.extensions["sqlalchemy_sessionmaker"]()
    entry_id = session.scalar(select(VocabularyEntry.id))
    edit_page = coordinator.get(f"/vocabulary/{entry_id}/edit")
    assert edit_page.status_code == 200 and 'value="ニアミス"' in edit_page.text and 'value="1"' in edit_page.text

    stale = coordinator.post(f"/vocabulary/{entry_id}/edit", data=_form(variant="ニアミス事案", version="2"))
    saved = coordinator.post(f"/vocabulary/{entry_id}/edit", data=_form(variant="ニアミス事案", version="1"))
    unexplained = coordinator.post(f"/vocabulary/{entry_id}/delete", data={"reason": "", "version": "2"})
    removed = coordinator.post(f"/vocabulary/{entry_id}/delete", data={"reason": "使われなくなった", "version": "2"})

    assert (stale.status_code, saved.status_code, unexplained.status_code, removed.status_code) == (409, 302, 400, 302)
    assert "ニアミス事案" in stale.text  # what was typed is kept
    session.rollback()  # a fresh read, after the requests' commits
    assert session.get(VocabularyEntry, entry_id) is None
    assert list(session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "vocabulary")
                                .order_by(AuditEvent.id))) == ["vocabulary:create", "vocabulary:update",
                                                                 "vocabulary:delete"]


def test_another_worker_process_switches_to_the_refitted_vocabulary(app, world) -> None:
    worker_b = create_app(dict(app.config))  # its own engine, as a second gunicorn worker has
    before = _ranking(worker_b, world["challenge"])

    _client(app, Role.COORDINATOR).post("/vocabulary", data=_form())  # worker a runs the refit job
    after = _ranking(worker_b, world["challenge"])

    assert before[0] == world["rival"]
    assert after[0] == world["near_miss"], (before, after)


def test_a_worker_that_loaded_a_state_of_older_word_lists_switches_to_the_refitted_one(app, world) -> None:
    """After a release that changes a word list, a worker loads the old state, asks for a refit,
    and, when another process has saved the refitted state, ranks with it without a restart."""
    import json

    from matchmaker.vocabulary import current_key

    _ranking(app, world["challenge"])  # worker a: fitted and saved with the current lists
    service_a = app.extensions["match_service"]
    marker = json.loads(service_a._marker_path.read_text())
    service_a._marker_path.write_text(json.dumps({**marker, "vocabulary": "built-in"}))  # as an older release wrote it

    worker_b = create_app(dict(app.config))
    service_b = worker_b.extensions["match_service"]
    service_b.request_refit = lambda: None  # the refit runs elsewhere (the job worker)
    _ranking(worker_b, world["challenge"])
    with worker_b.app_context():
        session = worker_b.extensions["sqlalchemy_sessionmaker"]()
        current = current_key(session, service_b._analyzers.directory)
        loaded_with = service_b._vocabulary
        with app.app_context():
            service_a.rebuild(session)  # the job worker's refit saves a state on the current lists
        session.close()
    _ranking(worker_b, world["challenge"])

    assert loaded_with == "built-in" != current
    assert service_b._vocabulary == current
