"""The JSON API's endpoints: parse, call the same action or query the pages call, commit, answer.

Every endpoint is declared once with its schemas (`route`); openapi.py builds the document from
these declarations, so what is documented is what is validated.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Blueprint, Response, g, jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel
from pydantic import ValidationError as SchemaError

from models import Challenge, Municipality, Organization, Project, Technology, TokenScope, User
from scoring.strength import strength

from ..actions import catalogue
from ..db import get_session
from ..domain.errors import Conflict, ValidationError
from ..errors import ApiError
from ..matching import match_service
from ..queries import catalogue as reads
from ..queries import projects as project_reads
from ..queries.paging import keyset
from . import schemas as s
from .auth import Caller, authenticate

bp = Blueprint("api", __name__, url_prefix="/api/v1")

M = TypeVar("M", bound=BaseModel)


# -- the declarations openapi.py reads -------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    tag: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    scope: str | None = "read"  # None: public
    errors: tuple[int, ...] = ()
    etag: bool = False
    if_match: bool = False
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


OPERATIONS: list[Operation] = []
PUBLIC_ENDPOINTS: set[str] = set()


def route(method: str, rule: str, *, summary: str, tag: str, response: type[BaseModel] | None, status: int = 200,
          body: type[BaseModel] | None = None, query: type[BaseModel] | None = None, scope: str | None = "read",
          errors: tuple[int, ...] = (), etag: bool = False, if_match: bool = False,
          description: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        endpoint = f"{bp.name}.{view.__name__}"
        OPERATIONS.append(Operation(method, rule, endpoint, summary, tag, response, status, body, query, scope,
                                    errors, etag, if_match, description or (view.__doc__ or "").strip()))
        if scope is None:
            PUBLIC_ENDPOINTS.add(endpoint)
        bp.add_url_rule(rule, view_func=view, methods=[method])
        return view
    return register


# -- authentication, parsing, answering ------------------------------------------------------------
@bp.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    g.api_caller = authenticate()


@bp.after_request
def _not_cached(response: Response) -> Response:
    # Answers depend on who asks; a shared cache must never hand them to someone else.
    if request.endpoint not in PUBLIC_ENDPOINTS:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _caller() -> Caller:
    caller: Caller = g.api_caller
    return caller


def _reader() -> User:
    return _caller().user


def _writer() -> User:
    """The caller, when the token may write (403 otherwise, before anything is looked up)."""
    caller = _caller()
    if caller.scope is not TokenScope.WRITE:
        raise ApiError(403, "insufficient_scope", _l("このAPIトークンは読み取り専用です。"))
    return caller.user


def _schema_errors(error: SchemaError, where: str) -> ValidationError:
    fields: dict[str, list[Any]] = {}
    for problem in error.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in problem["loc"]) or where
        fields.setdefault(name, []).append(problem["msg"])
    return ValidationError(_l("リクエストの内容が正しくありません。"), field_errors=fields)


def _body(model: type[M]) -> M:
    """The JSON body as `model`. Raises ApiError (415) or ValidationError (400)."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", _l("本文は application/json で送ってください。"))
    try:
        return model.model_validate_json(request.get_data(cache=True))
    except SchemaError as error:
        raise _schema_errors(error, "body") from None


def _query(model: type[M]) -> M:
    data: dict[str, str] = {}
    for name in request.args:
        values = request.args.getlist(name)
        if len(values) > 1:
            raise ValidationError(_l("リクエストの内容が正しくありません。"),
                                  field_errors={name: [_l("1回だけ指定してください。")]})
        data[name] = values[0]
    try:
        return model.model_validate(data)
    except SchemaError as error:
        raise _schema_errors(error, "query") from None


_CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int | None:
    """The id a page continues after. Raises ValidationError for anything we did not hand out."""
    if cursor is None:
        return None
    try:
        if not _CURSOR.match(cursor):
            raise ValueError(cursor)
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = data.get("after") if isinstance(data, dict) else None
        if type(after) is not int or not 1 <= after <= 2**31 - 1:
            raise ValueError(cursor)
        return after
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(_l("リクエストの内容が正しくありません。"),
                              field_errors={"cursor": [_l("cursor は前のページの next_cursor をそのまま渡してください。")]}) \
            from None


def _answer(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(s.dump(model))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _etag(kind: str, entity: Challenge | Technology) -> str:
    return f'"{kind}-{entity.id}-v{entity.version}"'


def _expected_version(kind: str, entity_id: int) -> int:
    """The version named by If-Match. Raises ApiError: 428 without it; the version 0, which no row
    has (so the action answers Conflict, shown as 412), when it names another resource."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise ApiError(428, "precondition_required",
                       _l("更新には If-Match ヘッダー（取得時の ETag）が必要です。"))
    for tag in header.split(","):
        match = re.fullmatch(rf'"{kind}-{entity_id}-v([0-9]{{1,10}})"', tag.strip())
        if match is not None and int(match[1]) <= 2**31 - 1:
            return int(match[1])
    return 0


def _stale() -> ApiError:
    return ApiError(412, "precondition_failed",
                    _l("他の利用者が先に更新しました。最新の内容を取得してからやり直してください。"))


# -- presenting rows -------------------------------------------------------------------------------
def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _municipality(m: Municipality) -> s.MunicipalityRef:
    return s.MunicipalityRef(id=m.id, code=m.code, name=m.name, name_en=m.name_en)


def _organization(o: Organization) -> s.OrganizationRef:
    return s.OrganizationRef(id=o.id, name=o.name, name_en=o.name_en)


def present_challenge(c: Challenge) -> s.Challenge:
    return s.Challenge(
        id=c.id, title=c.title, description=c.description, target=c.target, fields=[f.key for f in c.fields],
        budget_range=c.budget_range, desired_start=c.desired_start, available_data=c.available_data,
        status=c.status, municipality=_municipality(c.municipality), version=c.version,
        created_at=_utc(c.created_at), updated_at=_utc(c.updated_at))


def present_technology(t: Technology) -> s.Technology:
    return s.Technology(
        id=t.id, title=t.title, description=t.description, fields=[f.key for f in t.fields], maturity=t.maturity,
        price_band=t.price_band, retired=t.is_retired, organization=_organization(t.organization),
        deployed_in=[_municipality(m) for m in t.deployed_in], version=t.version,
        created_at=_utc(t.created_at), updated_at=_utc(t.updated_at))


# -- documents -------------------------------------------------------------------------------------
@route("GET", "/openapi.json", summary="This API's OpenAPI 3.1 document", tag="meta", response=None, scope=None)
def openapi_document():  # type: ignore[no-untyped-def]
    """Generated from the schemas that validate requests and answers."""
    from .openapi import document
    return jsonify(document())


@route("GET", "/docs", summary="The API reference (HTML)", tag="meta", response=None, scope=None)
def reference():  # type: ignore[no-untyped-def]
    """The OpenAPI document rendered as a page, served by the app itself (no CDN)."""
    from .openapi import render_reference
    return render_reference()


# -- issues ----------------------------------------------------------------------------------------
@route("GET", "/challenges", summary="List issues", tag="challenges", response=s.ChallengeList,
       query=s.ChallengeQuery, errors=(400,))
def list_challenges():  # type: ignore[no-untyped-def]
    """The issues the caller may see, newest first, filtered as on the issue list."""
    args = _query(s.ChallengeQuery)
    filters = {k: str(v) for k, v in args.model_dump(exclude={"cursor", "limit"}, exclude_none=True).items()}
    session = get_session()
    page = keyset(session, reads.challenges_filtered(session, _reader(), filters), Challenge.id,
                  _decode_cursor(args.cursor), args.limit)
    return _answer(s.ChallengeList(items=[present_challenge(c) for c in page.items],
                                   next_cursor=encode_cursor(page.next_after) if page.next_after else None))


@route("POST", "/challenges", summary="Post an issue", tag="challenges", response=s.Challenge, status=201,
       body=s.ChallengeCreate, scope="write", errors=(400, 403, 413, 415), etag=True)
def create_challenge():  # type: ignore[no-untyped-def]
    """As the issue form: officers post for their own municipality, admins for any."""
    user = _writer()
    data = _body(s.ChallengeCreate)
    session = get_session()
    challenge = catalogue.create_challenge(session, catalogue.ChallengeInput(
        title=data.title, description=data.description, field_keys=data.field_keys, target=data.target,
        budget_range=data.budget_range.value, desired_start=data.desired_start, available_data=data.available_data,
        status=data.status, municipality_id=data.municipality_id), actor=user)
    session.commit()
    return _answer(present_challenge(challenge), 201, {
        "ETag": _etag("challenge", challenge), "Location": url_for("api.get_challenge", challenge_id=challenge.id)})


@route("GET", "/challenges/<int:challenge_id>", summary="Get an issue", tag="challenges", response=s.Challenge,
       errors=(404,), etag=True)
def get_challenge(challenge_id: int):  # type: ignore[no-untyped-def]
    challenge = catalogue.get_challenge(get_session(), challenge_id, actor=_reader())
    return _answer(present_challenge(challenge), headers={"ETag": _etag("challenge", challenge)})


@route("PATCH", "/challenges/<int:challenge_id>", summary="Update an issue", tag="challenges", response=s.Challenge,
       body=s.ChallengeUpdate, scope="write", errors=(400, 403, 404, 412, 413, 415, 428), etag=True, if_match=True)
def update_challenge(challenge_id: int):  # type: ignore[no-untyped-def]
    """As the issue's edit form, with the ETag from a GET in If-Match."""
    user = _writer()
    expected = _expected_version("challenge", challenge_id)
    data = _body(s.ChallengeUpdate)
    session = get_session()
    current = catalogue.get_challenge(session, challenge_id, actor=user)
    sent = data.model_fields_set
    value = lambda name, old: getattr(data, name) if name in sent else old
    changes = catalogue.ChallengeInput(
        title=value("title", current.title), description=value("description", current.description),
        field_keys=value("field_keys", [f.key for f in current.fields]), target=value("target", current.target),
        budget_range=value("budget_range", current.budget_range).value,
        desired_start=value("desired_start", current.desired_start),
        available_data=value("available_data", current.available_data), status=current.status.value)
    try:
        challenge = catalogue.update_challenge(session, challenge_id, changes, actor=user, expected_version=expected)
    except Conflict:
        raise _stale() from None
    session.commit()
    return _answer(present_challenge(challenge), headers={"ETag": _etag("challenge", challenge)})


@route("GET", "/challenges/<int:challenge_id>/rankings", summary="Technologies ranked for an issue",
       tag="rankings", response=s.TechnologyRanking, errors=(404,))
def challenge_rankings(challenge_id: int):  # type: ignore[no-untyped-def]
    """What the issue's page shows: the technologies the caller may see, best first, with reasons."""
    session = get_session()
    user = _reader()
    page = reads.challenge_page(session, catalogue.get_challenge(session, challenge_id, actor=user), user)
    best = max((r.score for r in page.ranked), default=0.0)
    return _answer(s.TechnologyRanking(challenge_id=challenge_id, ready=match_service().ready, items=[
        s.RankedTechnology(technology=present_technology(page.technologies[r.technology_id]), score=round(r.score, 6),
                           strength=strength(r.score, best), reasons=r.explanation.reasons())  # type: ignore[arg-type]
        for r in page.ranked]))


# -- technologies ----------------------------------------------------------------------------------
@route("GET", "/technologies", summary="List technologies", tag="technologies", response=s.TechnologyList,
       query=s.TechnologyQuery, errors=(400,))
def list_technologies():  # type: ignore[no-untyped-def]
    """The technologies the caller may see, newest first, filtered as on the technology list."""
    args = _query(s.TechnologyQuery)
    filters = {k: str(v) for k, v in args.model_dump(mode="json", exclude={"cursor", "limit", "retired"},
                                                     exclude_none=True).items()}
    if args.retired:
        filters["retired"] = "1"
    session = get_session()
    page = keyset(session, reads.technologies_filtered(session, _reader(), filters), Technology.id,
                  _decode_cursor(args.cursor), args.limit)
    return _answer(s.TechnologyList(items=[present_technology(t) for t in page.items],
                                    next_cursor=encode_cursor(page.next_after) if page.next_after else None))


@route("POST", "/technologies", summary="Register a technology", tag="technologies", response=s.Technology,
       status=201, body=s.TechnologyCreate, scope="write", errors=(400, 403, 413, 415), etag=True)
def create_technology():  # type: ignore[no-untyped-def]
    """As the technology form: members register for their own organization, admins for any."""
    user = _writer()
    data = _body(s.TechnologyCreate)
    session = get_session()
    technology = catalogue.create_technology(session, catalogue.TechnologyInput(
        title=data.title, description=data.description, field_keys=data.field_keys, maturity=data.maturity.value,
        price_band=data.price_band.value, deployed_municipality_ids=data.deployed_municipality_ids,
        organization_id=data.organization_id), actor=user)
    session.commit()
    return _answer(present_technology(technology), 201, {
        "ETag": _etag("technology", technology),
        "Location": url_for("api.get_technology", technology_id=technology.id)})


@route("GET", "/technologies/<int:technology_id>", summary="Get a technology", tag="technologies",
       response=s.Technology, errors=(404,), etag=True)
def get_technology(technology_id: int):  # type: ignore[no-untyped-def]
    technology = catalogue.get_technology(get_session(), technology_id, actor=_reader())
    return _answer(present_technology(technology), headers={"ETag": _etag("technology", technology)})


@route("PATCH", "/technologies/<int:technology_id>", summary="Update a technology", tag="technologies",
       response=s.Technology, body=s.TechnologyUpdate, scope="write", errors=(400, 403, 404, 412, 413, 415, 428),
       etag=True, if_match=True)
def update_technology(technology_id: int):  # type: ignore[no-untyped-def]
    """As the technology's edit form, with the ETag from a GET in If-Match."""
    user = _writer()
    expected = _expected_version("technology", technology_id)
    data = _body(s.TechnologyUpdate)
    session = get_session()
    current = catalogue.get_technology(session, technology_id, actor=user)
    sent = data.model_fields_set
    value = lambda name, old: getattr(data, name) if name in sent else old
    changes = catalogue.TechnologyInput(
        title=value("title", current.title), description=value("description", current.description),
        field_keys=value("field_keys", [f.key for f in current.fields]),
        maturity=value("maturity", current.maturity).value, price_band=value("price_band", current.price_band).value,
        deployed_municipality_ids=value("deployed_municipality_ids", [m.id for m in current.deployed_in]))
    try:
        technology = catalogue.update_technology(session, technology_id, changes, actor=user,
                                                 expected_version=expected)
    except Conflict:
        raise _stale() from None
    session.commit()
    return _answer(present_technology(technology), headers={"ETag": _etag("technology", technology)})


@route("GET", "/technologies/<int:technology_id>/rankings", summary="Issues ranked for a technology",
       tag="rankings", response=s.ChallengeRanking, errors=(404,))
def technology_rankings(technology_id: int):  # type: ignore[no-untyped-def]
    """What the technology's page shows: the open issues the caller may see, best first, with reasons."""
    session = get_session()
    user = _reader()
    page = reads.technology_page(session, catalogue.get_technology(session, technology_id, actor=user), user)
    best = max((r.score for r in page.ranked), default=0.0)
    return _answer(s.ChallengeRanking(technology_id=technology_id, ready=match_service().ready, items=[
        s.RankedChallenge(challenge=present_challenge(page.challenges[r.challenge_id]), score=round(r.score, 6),
                          strength=strength(r.score, best), reasons=r.explanation.reasons())  # type: ignore[arg-type]
        for r in page.ranked]))


# -- projects --------------------------------------------------------------------------------------
def _project_summary(p: Project) -> s.ProjectSummary:
    return s.ProjectSummary(id=p.id, title=p.title, stage=p.stage, stage_changed_at=_utc(p.stage_changed_at),
                            lead_organization=_organization(p.lead_organization),
                            municipalities=[_municipality(m) for m in p.municipalities])


@route("GET", "/projects", summary="List projects", tag="projects", response=s.ProjectList, query=s.ProjectQuery,
       errors=(400,))
def list_projects():  # type: ignore[no-untyped-def]
    """The projects the caller plays a part in (as on the project list), newest first."""
    args = _query(s.ProjectQuery)
    session = get_session()
    page = keyset(session, project_reads.projects_filtered(_reader(), args.stage.value if args.stage else ""),
                  Project.id, _decode_cursor(args.cursor), args.limit)
    return _answer(s.ProjectList(items=[_project_summary(p) for p in page.items],
                                 next_cursor=encode_cursor(page.next_after) if page.next_after else None))


@route("GET", "/projects/<int:project_id>", summary="Get a project with its stage history", tag="projects",
       response=s.Project, errors=(404,))
def get_project(project_id: int):  # type: ignore[no-untyped-def]
    """What the project's page shows: its parts, KPIs and every stage change."""
    page = project_reads.project_page(get_session(), project_id, _reader())
    p = page.project
    return _answer(s.Project(
        id=p.id, title=p.title, summary=p.summary, stage=p.stage, stage_changed_at=_utc(p.stage_changed_at),
        lead_organization=_organization(p.lead_organization), organizations=[_organization(o) for o in p.organizations],
        municipalities=[_municipality(m) for m in p.municipalities], challenge_ids=[c.id for c in p.challenges],
        technology_ids=[t.id for t in p.technologies], origin_project_id=page.origin.id if page.origin else None,
        kpis=[s.Kpi(name=k.name, unit=k.unit, baseline=k.baseline, target=k.target, result=k.result) for k in p.kpis],
        history=[s.StageChange(move=c.move, from_stage=c.from_stage, to_stage=c.to_stage, at=_utc(c.at),
                               actor=c.actor.display_name if c.actor else None, comment=c.comment)
                 for c in p.changes]))
