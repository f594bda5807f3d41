"""Ranking pages cost the same SQL queries whatever the catalogue's size, and show the top of
their lists: the coordination home, the municipality and company homes, issue and technology
pages, with 6 issues and with 60 (and ten times the technologies)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from models import Role
from tests import factories
from tests.conftest import _make_app, dispose

from .test_query_counts import _counting

SIZES = (6, 60)
PAGES = {"coordinator": ("/coordination",), "officer": ("/municipality", "/challenges/{challenge}"),
         "member": ("/company", "/technologies/{technology}")}
WORDS = ["高齢者", "見守り", "センサー", "通院", "バス", "予約", "観光", "案内", "防災", "避難", "子育て", "相談"]


def _text(n: int) -> str:
    """Texts that share words in many combinations, so every issue has a ranked list."""
    return "と".join(WORDS[(n + k * 5) % len(WORDS)] for k in range(4)) + "の課題に取り組む"


def _populate(app: Flask, issues: int) -> dict[str, Any]:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    places = [factories.municipality(session, name) for name in ("堺市", "豊中市", "枚方市")]
    companies = [factories.make_organization(session) for _ in range(3)]
    challenges = [factories.make_challenge(session, places[i % 3], title=f"課題{i} {_text(i)}",
                                           description=_text(i + 1), field_keys=(("elderly", "mobility")[i % 2],))
                  for i in range(issues)]
    technologies = [factories.make_technology(session, companies[i % 3], title=f"技術{i} {_text(i + 2)}",
                                              description=_text(i + 3), field_keys=(("elderly", "mobility")[i % 2],))
                    for i in range(issues * 10)]
    viewers = {
        "officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=places[0]),
        "member": factories.make_user(session, Role.COMPANY_MEMBER, organization=companies[0]),
        "coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("elderly", "mobility")),
    }
    session.commit()
    ids = {"challenge": challenges[0].id, "technology": technologies[0].id,
           "emails": {name: user.email for name, user in viewers.items()}}
    session.close()
    return ids


def _visit(tmp_path, databases, monkeypatch, issues: int) -> tuple[dict[tuple[str, str], int], dict[str, str]]:
    folder = tmp_path / str(issues)
    folder.mkdir()
    app = _make_app(folder, databases.create("reference", folder), monkeypatch)
    ids = _populate(app, issues)
    counts, texts = {}, {}
    for viewer, pages in PAGES.items():
        client = app.test_client()
        client.post("/login", data={"email": ids["emails"][viewer], "password": factories.PASSWORD})
        for page in pages:
            url = page.format(**ids)
            assert client.get(url).status_code == 200, (viewer, url)  # warms the engine and reference data
            with _counting(app) as statements:
                response = client.get(url)
            assert response.status_code == 200
            counts[viewer, page] = len(statements)
            texts[page] = response.text
    dispose(app)
    return counts, texts


def test_ranking_pages_cost_the_same_queries_with_6_and_60_issues(tmp_path, databases, monkeypatch) -> None:
    (small, small_pages), (large, large_pages) = (_visit(tmp_path, databases, monkeypatch, n) for n in SIZES)

    grown = {key: (small[key], large[key]) for key in small if small[key] != large[key]}
    assert not grown, f"queries that grow with the catalogue (6 issues, 60 issues): {grown}"
    # Both sizes rank something, and the coordination home lists the newest 20 open issues of 60
    # with the total and a way to the rest.
    for pages in (small_pages, large_pages):
        assert "/technologies/" in pages["/coordination"] and "/challenges/" in pages["/company"]
    open_section = large_pages["/coordination"].split('id="open-title"')[1]
    assert "（60件）" in open_section.split("</h2>")[0]
    assert len(re.findall(r'href="/challenges/\d+"', open_section)) == 20
    assert 'href="/challenges"' in open_section
    assert 'href="/challenges"' not in small_pages["/coordination"].split('id="open-title"')[1]
