"""Reasons are remembered per process by what they are made of (templating._reasons_markup): a
change made elsewhere (another worker, another process) shows on the next request all the same."""

from __future__ import annotations

import re

from sqlalchemy import create_engine, text

from matchmaker.templating import _reasons_markup

from .web import found, login


def _issue_with_shared_fields(client, demo_app) -> tuple[str, str]:
    """An issue page whose reasons name a shared field, and that field's name as shown."""
    ids = re.findall(r'href="/challenges/(\d+)"', client.get("/challenges").text)
    for challenge_id in dict.fromkeys(ids):
        page = client.get(f"/challenges/{challenge_id}").text
        match = re.search(r"分野が一致: ([^<(、]+)", page)
        if match:
            return challenge_id, match.group(1).strip()
    raise AssertionError("no demo issue shows a shared field")


def test_a_renamed_field_shows_on_the_next_request(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    challenge_id, field_name = _issue_with_shared_fields(client, demo_app)
    assert _reasons_markup.cache_info().currsize > 0  # the first page filled the memo

    # Another process renames the field, behind this process's back.
    other = create_engine(demo_app.config["DATABASE_URL"])
    with other.begin() as connection:
        connection.execute(text("UPDATE fields SET name_ja = :new WHERE name_ja = :old"),
                           {"new": field_name + "（改称）", "old": field_name})
    other.dispose()

    page = client.get(f"/challenges/{challenge_id}").text
    assert f"{field_name}（改称）" in found(r"分野が一致: [^<]+", page).group(0)


def test_the_same_reasons_in_the_other_language_are_not_mixed(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    challenge_id, _field = _issue_with_shared_fields(client, demo_app)
    client.post("/language", data={"lang": "en", "next": "/"})
    english = client.get(f"/challenges/{challenge_id}").text
    assert "Same field: " in english
    assert "分野が一致" not in english
    client.post("/language", data={"lang": "ja", "next": "/"})
    assert "分野が一致" in client.get(f"/challenges/{challenge_id}").text
