"""Every route and form, by every role, with hostile values: never a 5xx (SQLite)."""

from __future__ import annotations

from . import fuzz


def test_routes_and_forms_are_enumerated_from_the_app(demo_app) -> None:
    routes = fuzz.routes(demo_app)
    names = fuzz.form_field_names()

    assert ("challenges.edit", "POST", "/challenges/<int:challenge_id>/edit") in routes
    assert len(routes) >= 30
    assert {"title", "description", "field_keys", "version", "municipality_id", "member_email"} <= set(names)


def test_hostile_requests_never_get_a_5xx_on_sqlite(demo_app) -> None:
    fuzz.run(demo_app, examples=150)


def test_hostile_workflow_moves_never_get_a_5xx_on_sqlite(demo_app) -> None:
    fuzz.run_moves(demo_app, examples=100)
