"""With more municipalities than a filter lists as options, the lists ask for a name instead
(a page does not carry all 1,741 of them), and the name finds the municipality's rows."""

from __future__ import annotations

from matchmaker.queries import reference
from models import Role
from tests import factories


def test_too_many_municipalities_to_list_are_filtered_by_name(app, client, db_session, monkeypatch) -> None:
    session = db_session
    toyonaka, sakai = factories.municipality(session, "豊中市"), factories.municipality(session, "堺市")
    mine = factories.make_challenge(session, toyonaka, title="豊中の課題")
    other = factories.make_challenge(session, sakai, title="堺の課題")
    company = factories.make_organization(session)
    deployed = factories.make_technology(session, company, title="豊中で導入済みの技術")
    deployed.deployed_in = [toyonaka]
    elsewhere = factories.make_technology(session, company, title="導入先なしの技術")
    viewer = factories.make_user(session, Role.ADMIN)
    session.commit()
    client.post("/login", data={"email": viewer.email, "password": factories.PASSWORD})

    listed = client.get("/challenges").text
    assert 'name="municipality"' in listed and 'name="place"' not in listed  # 43: options as before

    monkeypatch.setattr(reference, "MUNICIPALITY_OPTIONS", 10)
    for path in ("/challenges", "/technologies"):
        page = client.get(path).text
        assert 'name="place"' in page and 'name="municipality"' not in page and "堺市</option>" not in page
    for name in ("豊中", "toyonaka", "とよなか"):
        issues = client.get("/challenges", query_string={"place": name}).text
        assert f"/challenges/{mine.id}\"" in issues and f"/challenges/{other.id}\"" not in issues, name
        products = client.get("/technologies", query_string={"place": name}).text
        assert f"/technologies/{deployed.id}\"" in products and f"/technologies/{elsewhere.id}\"" not in products
    assert "/challenges/" not in client.get("/challenges", query_string={"place": "存在しない町"}).text.split("card-list")[1]


def test_the_filter_costs_the_same_queries_whether_it_lists_options_or_asks_for_a_name(app, client, db_session,
                                                                                       monkeypatch) -> None:
    from .test_query_counts import _counting

    viewer = factories.make_user(db_session, Role.ADMIN)
    db_session.commit()
    client.post("/login", data={"email": viewer.email, "password": factories.PASSWORD})
    counts = []
    for options in (reference.MUNICIPALITY_OPTIONS, 10):
        monkeypatch.setattr(reference, "MUNICIPALITY_OPTIONS", options)
        for path in ("/challenges", "/technologies"):
            client.get(path)
            with _counting(app) as statements:
                assert client.get(path).status_code == 200
            counts.append((path, len(statements)))
    assert counts[:2] == counts[2:]
