"""Hostile requests against every route of the app, by every role: no answer may be a 5xx.

The routes come from app.url_map, the form fields from the form classes plus the names views read
by hand, so a new route or field is fuzzed without editing this file. Hypothesis draws the role,
the route, its path values, a query string and a form (missing, duplicated and unknown fields,
file parts, non-ASCII digits, huge ids, NUL, control characters, CR/LF, very long text) and
shrinks any 5xx to a small reproducible request. Derandomised and bounded: the same examples on
every run, a few seconds per database.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote

from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

from matchmaker import event_forms, forms
from matchmaker.actions.workflow import MOVES

from .web import login

ROLES = (None, "officer", "member", "coordinator", "admin")
# Names the views read from request.args / request.form directly, not through a form class.
HAND_READ_NAMES = (
    "page", "q", "field", "municipality", "region", "status", "maturity", "retired", "stage", "challenge",
    "technology", "next", "lang", "decision", "municipality_ids", "kpi_name", "kpi_unit", "kpi_baseline",
    "kpi_target", "kpi_result_1", "start_date", "months", "cost_yen", "scope", "data_handling", "funding",
    "checklist", "contract_type", "sha256",
)
# Logging out would turn the rest of a client's examples anonymous; it takes no input anyway.
SKIPPED_ENDPOINTS = {"static", "auth.logout"}
FILE = object()  # stands for a file part; a fresh one is made for each request

HOSTILE = [
    "", " ", "\t", "²", "١٢", "１２", "⑫", "0", "-1", "1.5", "1e309", "NaN", "inf", str(2**31 - 1), str(2**31),
    str(2**63), "9" * 40, "\x00", "a\x00b", "\x07", "\x1b[31m", "\x7f", "\u0085", "\r\n", "x\r\nSet-Cookie: a=b",
    "//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)",
    "<script>alert(1)</script>", "' OR 1=1 --", "=HYPERLINK(\"https://evil.example\")", "%00", "%0d%0a",
    "あ" * 5000, "x" * 70_000, "mobility", "open", "approve", "corporate", "en", "ja", "2027-04-01", "1", "2", "3",
]


def form_field_names() -> list[str]:
    names: set[str] = set(HAND_READ_NAMES)
    for value in [*vars(forms).values(), *vars(event_forms).values()]:
        if isinstance(value, type) and issubclass(value, FlaskForm):
            for klass in value.__mro__:
                names.update(n for n, v in vars(klass).items() if isinstance(v, UnboundField))
    return sorted(names)


def routes(app) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found)


values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.integers().map(str))
int_path_values = st.sampled_from(["1", "2", "3", "5", "１", "0", str(2**31), str(2**63), "9" * 30, "²"])
string_path_values = st.sampled_from([*MOVES, "stages", "rollouts", "by_field", "x", "²", "%00", "a" * 300])


def _path(template: str, draw: Any) -> str:
    def fill(match: re.Match[str]) -> str:
        converter = match.group(1) or "default"
        value = draw(int_path_values if converter == "int" else string_path_values)
        return quote(value, safe="")

    return re.sub(r"<(?:(\w+):)?\w+>", fill, template)


def _fields(names: list[str]):
    # Each field: missing, one value, several values (duplicated), or a file part.
    one_field = st.one_of(values.map(lambda v: [v]), st.lists(values, min_size=2, max_size=3), st.just([FILE]))
    return st.dictionaries(st.sampled_from(names + ["unknown_field", "a\x00b"]), one_field, max_size=8)


def _materialise(fields: dict[str, list[Any]]) -> dict[str, Any]:
    return {name: [(io.BytesIO(b"\x00binary"), "part.bin") if v is FILE else v for v in vs]
            for name, vs in fields.items()}


def run(app, *, examples: int) -> None:
    """Drive `examples` hostile requests through the app; fails on the first 5xx (shrunk)."""
    app.config["MAX_FORM_MEMORY_SIZE"] = app.config["MAX_CONTENT_LENGTH"]  # let the long text reach the views
    clients = {role: app.test_client() if role is None else login(app.test_client(), role) for role in ROLES}
    all_routes = routes(app)
    names = form_field_names()

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one_request(data: st.DataObject) -> None:
        role = data.draw(st.sampled_from(ROLES), label="role")
        _endpoint, method, template = data.draw(st.sampled_from(all_routes), label="route")
        path = _path(template, data.draw)
        query: dict[str, Any] = data.draw(st.one_of(st.just({}), _fields(names).map(
            lambda f: {k: v for k, v in f.items() if FILE not in v})), label="query")
        form = data.draw(_fields(names), label="form") if method == "POST" else None
        response = clients[role].open(path, method=method, query_string=query,
                                      data=_materialise(form) if form is not None else None)
        response.close()
        assert response.status_code < 500, f"{method} {path} as {role}: {response.status_code}"

    one_request()


MOVE_FIELD_VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(["6", "12", "１２", "1,200,000", "1200000円", "0", "36", "37", str(2**31), str(2**63), "9" * 30,
                     "1e309", "-5", "2027-04-01", "2027/4/1", "２０２７－０４－０１", "2027-02-30", "proposal",
                     "negotiated", "kpis_measurable", "data_handling_reviewed", "funding_confirmed",
                     "municipality_consent"]),
)
MOVE_FIELDS = ("comment", "scope", "months", "data_handling", "cost_yen", "funding", "kpi_name", "kpi_unit",
               "kpi_baseline", "kpi_target", "checklist", "start_date", "contract_type")


def run_moves(app, *, examples: int) -> None:
    """Workflow moves with the project's real version, so hostile values reach the actions'
    validation instead of stopping at the version check."""
    from sqlalchemy import select

    from models import Project, ProjectKpi

    clients = {role: login(app.test_client(), role) for role in ROLES if role is not None}
    session = app.extensions["sqlalchemy_sessionmaker"]()
    project_ids = list(session.scalars(select(Project.id).order_by(Project.id)))
    session.close()

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one_move(data: st.DataObject) -> None:
        role = data.draw(st.sampled_from(ROLES[1:]), label="role")
        project_id = data.draw(st.sampled_from(project_ids), label="project")
        move = data.draw(st.sampled_from(sorted(MOVES)), label="move")
        fields = data.draw(st.dictionaries(st.sampled_from(MOVE_FIELDS), st.lists(MOVE_FIELD_VALUES, min_size=1,
                                                                                   max_size=4), max_size=10))
        reader = app.extensions["sqlalchemy_sessionmaker"]()
        version = reader.get(Project, project_id).version
        kpi_ids = list(reader.scalars(select(ProjectKpi.id).where(ProjectKpi.project_id == project_id)))
        reader.close()
        for kpi_id in kpi_ids:
            fields[f"kpi_result_{kpi_id}"] = [data.draw(MOVE_FIELD_VALUES, label="kpi result")]
        response = clients[role].post(f"/projects/{project_id}/moves/{move}", data={**fields, "version": str(version)})
        assert response.status_code < 500, f"{move} on project {project_id} as {role}: {response.status_code}"

    one_move()
