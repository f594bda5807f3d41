"""Optimistic-locking scenarios, run on SQLite here and on PostgreSQL in tests/postgres."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from matchmaker.actions import catalogue
from models import Challenge, Organization, Project, Stage, Technology

from .web import challenge_form, demo_project_in, login

# What a tampered or broken form may carry instead of the version it was based on.
UNREADABLE_VERSIONS: dict[str, str | None] = {
    "missing": None, "empty": "", "letters": "abc", "superscript": "²", "negative": "-1", "zero": "0",
    "beyond-integer": str(2**31), "huge": "9" * 40,
}


def _read(app, fn: Callable):
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return fn(session)
    finally:
        session.close()


def challenge_id(app) -> int:
    return _read(app, lambda s: s.scalar(select(Challenge.id).where(Challenge.title.like("ニュータウンの坂道%"))))


def _with_version(data: dict, version: str | None) -> dict:
    data = dict(data)
    data.pop("version", None)
    if version is not None:
        data["version"] = version
    return data


def stale_edit_with_unreadable_version(app, version: str | None) -> None:
    """Someone saves; a form with no usable version must not overwrite that save."""
    cid = challenge_id(app)
    officer = login(app.test_client(), "officer")
    assert officer.post(f"/challenges/{cid}/edit", data=challenge_form(title="先に保存した題名", version="1")).status_code == 302

    response = officer.post(f"/challenges/{cid}/edit",
                            data=_with_version(challenge_form(title="後から入力した題名"), version))

    assert response.status_code == 409
    assert "後から入力した題名" in response.text  # what was typed comes back
    assert _read(app, lambda s: s.get(Challenge, cid).title) == "先に保存した題名"


def technology_edit_with_unreadable_version(app, version: str | None) -> None:
    member = login(app.test_client(), "member")
    tid = _read(app, lambda s: s.scalar(select(Technology.id).where(Technology.title.like("AIオンデマンド乗合交通%"))))
    before = _read(app, lambda s: (s.get(Technology, tid).title, s.get(Technology, tid).version))

    response = member.post(f"/technologies/{tid}/edit", data=_with_version(
        {"title": "入力した技術名", "description": "説明です。" * 5, "field_keys": ["mobility"], "maturity": "piloted",
         "price_band": "under_1m"}, version))

    assert response.status_code == 409
    assert "入力した技術名" in response.text
    assert _read(app, lambda s: (s.get(Technology, tid).title, s.get(Technology, tid).version)) == before


def status_and_retire_with_unreadable_version(app, version: str | None) -> None:
    cid = challenge_id(app)
    officer = login(app.test_client(), "officer")
    member = login(app.test_client(), "member")
    tid = _read(app, lambda s: s.scalar(select(Technology.id).where(Technology.title.like("AIオンデマンド乗合交通%"))))

    closed = officer.post(f"/challenges/{cid}/status", data=_with_version({"status": "closed"}, version))
    retired = member.post(f"/technologies/{tid}/retire", data=_with_version({"retired": "1"}, version))

    assert (closed.status_code, retired.status_code) == (409, 409)
    assert _read(app, lambda s: (s.get(Challenge, cid).status.value, s.get(Technology, tid).is_retired)) == ("open", False)


def project_in(app, stage: Stage) -> int:
    return demo_project_in(app, stage, title="版の検証")


def move_with_unreadable_version(app, version: str | None) -> None:
    project_id = project_in(app, Stage.ACCEPTED)
    member = login(app.test_client(), "member")

    response = member.post(f"/projects/{project_id}/moves/request_pilot", data=_with_version({
        "scope": "入力した実証の範囲", "months": "6", "data_handling": "匿名化して保存", "cost_yen": "1000000",
        "funding": "交付金", "kpi_name": "利用者数", "kpi_unit": "人", "kpi_baseline": "0", "kpi_target": "100",
    }, version))

    assert response.status_code == 409
    assert "入力した実証の範囲" in response.text
    assert _read(app, lambda s: s.get(Project, project_id).stage) is Stage.ACCEPTED


def simultaneous_edits(app, monkeypatch) -> None:
    """Both requests pass the version check before either writes (forced with a barrier, as two
    gunicorn workers may): the loser must see the conflict page with what they typed."""
    cid = challenge_id(app)
    both_checked = threading.Barrier(2, timeout=3)
    original = catalogue._check_version
    waited: set[int] = set()

    def check_then_wait(entity, expected_version):
        original(entity, expected_version)
        if threading.get_ident() not in waited:  # only the first run of each request waits
            waited.add(threading.get_ident())
            try:
                both_checked.wait()
            except threading.BrokenBarrierError:
                pass  # SQLite serialises writers: the other request is still waiting to begin

    monkeypatch.setattr(catalogue, "_check_version", check_then_wait)
    responses: dict[str, object] = {}

    def edit(title: str) -> None:
        client = login(app.test_client(), "officer")
        responses[title] = client.post(f"/challenges/{cid}/edit", data=challenge_form(title=title, version="1"))

    threads = [threading.Thread(target=edit, args=(title,)) for title in ("一人目の題名", "二人目の題名")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(r.status_code for r in responses.values())  # type: ignore[attr-defined]
    assert statuses == [302, 409]
    loser_title, loser = next((t, r) for t, r in responses.items() if r.status_code == 409)  # type: ignore[attr-defined]
    assert loser_title in loser.text  # type: ignore[attr-defined]
    assert "他の利用者が先に内容を更新しました" in loser.text  # type: ignore[attr-defined]
    winner_title = next(t for t in responses if t != loser_title)
    assert _read(app, lambda s: s.get(Challenge, cid).title) == winner_title


def simultaneous_joins(app, count: int = 10) -> list[int]:
    """`count` applications with one organization name at once: one is registered, the others
    are told on the form that the name is taken; none gets a 500. Returns the statuses, negated
    for an answer that does not explain itself on the form."""
    start = threading.Barrier(count, timeout=10)
    statuses: list[int] = []

    def join(n: int) -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/join", data={
            "organization_name": "同時申請テック株式会社", "member_category": "corporate",
            "contact_email": f"info{n}@race.example.jp", "member_name": f"担当{n}",
            "member_email": f"member{n}@race.example.jp", "password": "long-enough-pass"})
        # A loser is told on the form why, with what they typed (not a bare error page).
        told = "この団体名は既に登録されています" in response.text and f"member{n}@race.example.jp" in response.text
        statuses.append(response.status_code if response.status_code == 200 or told else -response.status_code)

    threads = [threading.Thread(target=join, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert _read(app, lambda s: s.scalar(select(func.count(Organization.id)).where(
        Organization.name == "同時申請テック株式会社"))) == 1
    return statuses
