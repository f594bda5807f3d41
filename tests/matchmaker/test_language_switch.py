"""The language: Accept-Language for a first visit; switching after a failed POST keeps what was typed."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from models import Stage

from .web import challenge_form, demo_project_in, found, login


def _switch(client, html: str):
    """Press the page's language switch as a browser would: a 307 is followed by posting the
    same body again to its Location (Werkzeug's test client drops the body there)."""
    data = _switch_form(html)
    answer = client.post("/language", data=data)
    if answer.status_code == 307:
        return client.post(answer.headers["Location"], data=data)
    return client.get(answer.headers["Location"])


def _switch_form(html: str) -> MultiDict:
    """The fields the page's language switch posts, as a browser would."""
    form = found(r'<form class="lang-switch".*?</form>', html, re.DOTALL).group(0)
    fields = MultiDict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    fields.add("lang", found(r'<button type="submit" name="lang" value="(\w+)"', form).group(1))
    return fields


@pytest.mark.parametrize(("header", "language"), [
    ("en-US,en;q=0.9", "en"), ("ja,en-US;q=0.9,en;q=0.8", "ja"), ("en-GB;q=0.8,ja;q=0.9", "ja"),
    ("fr-FR,fr;q=0.9", "ja"), (None, "ja")])
def test_accept_language_chooses_the_first_language(client, header, language) -> None:
    page = client.get("/", headers={"Accept-Language": header} if header else {})
    assert f'<html lang="{language}">' in page.text


def test_a_choice_wins_over_accept_language(client) -> None:
    client.post("/language", data={"lang": "ja", "next": "/"})
    page = client.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="ja">' in page.text


def test_switching_after_a_failed_form_keeps_what_was_typed(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    failed = client.post("/challenges/new", data=challenge_form(title="", description="坂道の多いニュータウンの移動"))
    assert failed.status_code == 400

    switched = client.post("/language", data=_switch_form(failed.text))
    assert switched.status_code == 307 and switched.headers["Location"] == "/challenges/new"
    again = _switch(client, failed.text)

    assert '<html lang="en">' in again.text
    assert "坂道の多いニュータウンの移動" in again.text


def test_switching_after_a_failed_move_neither_405s_nor_loses_ticks_and_comment(demo_app) -> None:
    project_id = demo_project_in(demo_app, Stage.PILOT_REQUESTED, title="切替テスト")
    client = login(demo_app.test_client(), "coordinator")
    page = client.get(f"/projects/{project_id}").text
    version = found(r'name="version"[^>]*value="(\d+)"', page).group(1)
    failed = client.post(f"/projects/{project_id}/moves/approve_pilot", data=MultiDict(
        [("version", version), ("checklist", "kpis_measurable"), ("checklist", "funding_confirmed"),
         ("comment", "財源の確認を待っています")]))
    assert failed.status_code in (400, 409, 422)

    again = _switch(client, failed.text)

    assert again.status_code == failed.status_code  # the same refusal, not 405
    assert '<html lang="en">' in again.text
    assert "財源の確認を待っています" in again.text
    assert re.search(r'value="kpis_measurable"[^>]*checked|checked[^>]*value="kpis_measurable"', again.text)


def test_a_password_is_never_written_into_the_switch(client) -> None:
    failed = client.post("/login", data={"email": "nobody@example.jp", "password": "secret-typed"})
    assert "secret-typed" not in failed.text
    switched = client.post("/language", data=_switch_form(failed.text))
    assert switched.status_code == 302 and switched.headers["Location"] == "/login"


def _replays(html: str) -> bool:
    return _switch_form(html).get("replay") is not None


def test_a_page_shown_in_place_of_a_success_is_never_posted_again(demo_app) -> None:
    client = login(demo_app.test_client(), "member")
    created = client.post("/settings/tokens", data={"name": "連携テスト", "scope": "read"})
    forgot = demo_app.test_client().post("/password/forgot", data={"email": "nobody@nowhere.example"})

    assert created.status_code == 201 and forgot.status_code == 200
    # Pressing the switch there would create a second token, or queue a second mail.
    assert not _replays(created.text) and not _replays(forgot.text)
    switched = client.post("/language", data=_switch_form(created.text))
    assert switched.status_code == 302 and switched.headers["Location"] == "/settings/tokens"


def test_a_refused_forgery_is_never_posted_again_with_a_fresh_token(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    demo_app.config["WTF_CSRF_ENABLED"] = True

    forged = client.post("/challenges/new", data={"title": "偽の課題", "description": "攻撃者が書いた内容"})

    assert forged.status_code == 400
    assert not _replays(forged.text) and "偽の課題" not in forged.text
