"""The workflow of a project: one table of legal moves, one function that makes any move.

Each move names the stages it leaves from, the stage it leads to, and who may make it:
  officer      an officer of a participating municipality
  lead         a member of the lead organization
  coordinator  a coordinator covering one of the project's fields
Admins may make every move. Who plays which part, and who may see a project, is decided in
`policies.projects`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    TERMINAL_STAGES,
    Challenge,
    ChallengeStatus,
    ContractType,
    Municipality,
    Notification,
    Project,
    ProjectKpi,
    ProjectStageChange,
    RolloutPattern,
    Stage,
    User,
    utcnow,
)

from .. import digests, jptime
from ..domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..policies import Permission, can, require
from ..policies import catalogue as catalogue_policy
from ..policies import projects as project_policy
from ..policies.projects import COORDINATOR, LEAD, OFFICER, is_related, municipalities_with_officers, project_fields
from . import invitations
from .audit import record_change
from .catalogue import get_challenge, get_technology
from .validation import clean_text, collect_errors

OPEN_STAGES = frozenset(Stage) - TERMINAL_STAGES
# What the actions stamp on history, audit rows and notifications: the real clock, or the dated
# demo histories that seeding replays through the same actions.
Clock = Callable[[], dt.datetime]

APPROVAL_CHECKLIST = {
    "kpis_measurable": _l("KPIは測定可能で、基準値と目標値がある"),
    "data_handling_reviewed": _l("データの取扱い（個人情報・セキュリティ）を確認した"),
    "funding_confirmed": _l("費用と財源の見込みを確認した"),
    "municipality_consent": _l("参加自治体の担当課が実施に合意している"),
}


@dataclass(frozen=True)
class Move:
    name: str
    sources: frozenset[Stage]
    target: Stage
    actors: frozenset[str]
    label: Any
    needs_comment: bool = False


MOVES: dict[str, Move] = {move.name: move for move in (
    Move("accept", frozenset({Stage.PROPOSED}), Stage.ACCEPTED, frozenset({OFFICER}), _l("提案を受け入れる")),
    Move("decline", frozenset({Stage.PROPOSED}), Stage.DECLINED, frozenset({OFFICER}), _l("提案を辞退する"), True),
    Move("request_pilot", frozenset({Stage.ACCEPTED}), Stage.PILOT_REQUESTED, frozenset({LEAD, OFFICER}),
         _l("実証の承認を申請する")),
    Move("approve_pilot", frozenset({Stage.PILOT_REQUESTED}), Stage.PILOT_APPROVED, frozenset({COORDINATOR}),
         _l("実証を承認する")),
    Move("return_pilot", frozenset({Stage.PILOT_REQUESTED}), Stage.ACCEPTED, frozenset({COORDINATOR}),
         _l("コメントを付けて差し戻す"), True),
    Move("reject_pilot", frozenset({Stage.PILOT_REQUESTED}), Stage.PILOT_REJECTED, frozenset({COORDINATOR}),
         _l("実証を却下する"), True),
    Move("start_pilot", frozenset({Stage.PILOT_APPROVED}), Stage.IN_PILOT, frozenset({OFFICER, LEAD}),
         _l("実証を開始する")),
    Move("evaluate", frozenset({Stage.IN_PILOT}), Stage.EVALUATED, frozenset({OFFICER}), _l("評価を記録する")),
    Move("implement", frozenset({Stage.EVALUATED}), Stage.IMPLEMENTED, frozenset({OFFICER}), _l("社会実装を記録する")),
    Move("withdraw", OPEN_STAGES, Stage.WITHDRAWN, frozenset({LEAD}), _l("提案を取り下げる"), True),
    Move("cancel", OPEN_STAGES, Stage.CANCELLED, frozenset({OFFICER, COORDINATOR}), _l("プロジェクトを中止する"), True),
)}


@dataclass
class MoveInput:
    expected_version: int | None
    comment: str = ""
    # request_pilot
    scope: str = ""
    months: int | None = None
    data_handling: str = ""
    cost_yen: int | None = None
    funding: str = ""
    kpis: Sequence[dict[str, Any]] = field(default_factory=list)  # name, unit, baseline, target
    # approve_pilot
    checklist: Sequence[str] = field(default_factory=list)
    # evaluate
    kpi_results: dict[int, float | None] = field(default_factory=dict)
    # start_pilot / implement
    start_date: dt.date | None = None
    contract_type: str = ""


# -- who is who (the rules live in policies.projects) -------------------------------------
def get_project(session: Session, project_id: int, *, actor: User) -> Project:
    """Raises NotFound when the project does not exist or is not the actor's to see."""
    project = session.get(Project, project_id)
    if project is None or not can(actor, Permission.PROJECT_VIEW, project):
        raise NotFound()
    return project


def available_moves(project: Project, user: User) -> list[Move]:
    return [m for m in MOVES.values() if project.stage in m.sources and can(user, Permission.PROJECT_MOVE, (project, m))]


# -- proposing ----------------------------------------------------------------------------
def propose(session: Session, *, actor: User, challenge_ids: Sequence[int], technology_ids: Sequence[int],
            title: str, summary: str, now: Clock = utcnow) -> Project:
    """A company proposes its technologies for open issues (from a match, an invitation or directly
    from an issue's page: the engine's ranking is not required).

    Raises PermissionDenied, NotFound or ValidationError.
    """
    require(actor, Permission.PROJECT_PROPOSE)
    title, summary = collect_errors(
        lambda: clean_text(title, field="title", max_length=160),
        lambda: clean_text(summary, field="summary", max_length=4000, required=False, multiline=True),
    )
    challenges = [get_challenge(session, i, actor=actor) for i in dict.fromkeys(challenge_ids)]
    technologies = [get_technology(session, i, actor=actor) for i in dict.fromkeys(technology_ids)]
    if not challenges or not technologies:
        raise ValidationError(_l("地域課題と技術をそれぞれ1つ以上選んでください。"))
    if any(c.status is not ChallengeStatus.OPEN for c in challenges):
        raise Conflict(_l("受付中でない地域課題には提案できません。"))
    if not all(catalogue_policy.owns_technology(actor, t) for t in technologies):
        raise PermissionDenied(_l("提案できるのは自社の技術だけです。"))
    # The rest of the policy's rule (a retired technology is not offered) for every pair, so the
    # action refuses exactly what the pages hide with can('project:propose', pair).
    for pair in ((c, t) for c in challenges for t in technologies):
        require(actor, Permission.PROJECT_PROPOSE, pair)
    project = Project(
        title=title, summary=summary, stage=Stage.PROPOSED, lead_organization_id=technologies[0].organization_id,
        created_by=actor, created_at=now(), stage_changed_at=now(), challenges=challenges, technologies=technologies,
        municipalities=list({c.municipality_id: c.municipality for c in challenges}.values()),
        organizations=list({t.organization_id: t.organization for t in technologies}.values()),
    )
    session.add(project)
    session.flush()
    # Proposing is how an invited company accepts: the invitation joins the normal workflow here.
    accepted = invitations.accept_by_proposal(session, project, actor=actor)
    _record(session, project, actor=actor, move="propose", source=None, comment="", now=now,
            details={"invitation_ids": [i.id for i in accepted]} if accepted else None)
    _notify(session, project, actor=actor, kind="proposal", now=now)
    return project


def rollout_title(origin_title: str, places: Sequence[str]) -> str:
    """A rollout's title: stored data that everyone reads, so in the forum's language whoever
    starts it (not translated into the language of the person who clicked), as seeding writes it."""
    return f"{origin_title}（{'、'.join(places)}への横展開）"[:160]


def rollout_summary_template(origin: Project) -> str:
    """A neutral start for a rollout's summary: it names the technology and the company, and
    leaves the target's situation to the person starting it (the origin's summary describes
    another place: its district names and household counts must not be copied)."""
    technologies = "、".join(f"「{t.title}」" for t in origin.technologies)
    return str(_l("%(technologies)s（%(company)s）を展開先の自治体に導入する提案です。\n"
                  "展開先の課題、対象地域、体制とスケジュール:\n",
                  technologies=technologies, company=origin.lead_organization.name))


def start_rollout(session: Session, origin_id: int, *, actor: User, municipality_ids: Sequence[int],
                  pattern: str, summary: str, comment: str = "", similarity: Mapping[int, float] | None = None,
                  now: Clock = utcnow) -> Project:
    """Start a rollout (横展開) of an implemented project to other municipalities.

    `similarity` is the engine's text similarity of open issues to the origin's technologies
    (rollout.issue_similarity): an issue in a target is attached only when it shares a field
    with the origin and is at least that alike. Targets need an active officer account, or
    nobody could ever accept. Raises NotFound, PermissionDenied, Conflict (origin not
    implemented) or ValidationError.
    """
    origin = get_project(session, origin_id, actor=actor)
    require(actor, Permission.PROJECT_ROLLOUT, origin)
    if origin.stage is not Stage.IMPLEMENTED:
        raise Conflict(_l("横展開できるのは社会実装済みのプロジェクトだけです。"))

    def parse_pattern() -> RolloutPattern:
        try:
            return RolloutPattern(pattern)
        except ValueError:
            raise ValidationError(field_errors={"pattern": [_l("選択肢から選んでください。")]}) from None

    def parse_targets() -> list[Municipality]:
        existing = {m.id for m in origin.municipalities}
        found = [m for m in session.scalars(select(Municipality).where(Municipality.id.in_(list(municipality_ids)))
                                            .order_by(Municipality.code)) if m.id not in existing]
        if not found:
            raise ValidationError(field_errors={"municipality_ids": [_l("展開先の自治体を選んでください。")]})
        staffed = municipalities_with_officers(session, [m.id for m in found])
        unstaffed = [m.name for m in found if m.id not in staffed]
        if unstaffed:
            raise ValidationError(field_errors={"municipality_ids": [_l(
                "自治体職員のアカウントがない自治体は、提案を受け入れる人がいないため展開先にできません: %(names)s",
                names="、".join(unstaffed))]})
        return found

    rollout_pattern, targets, summary, comment = collect_errors(
        parse_pattern, parse_targets,
        lambda: clean_text(summary, field="summary", max_length=4000, multiline=True),
        lambda: clean_text(comment, field="comment", max_length=2000, required=False, multiline=True),
    )
    if summary.strip() == origin.summary.strip() and origin.summary.strip():
        raise ValidationError(field_errors={"summary": [_l("元のプロジェクトの概要のままです。展開先に合わせて書いてください。")]})
    fields, scores = project_fields(origin), similarity or {}
    attached = [c for c in session.scalars(select(Challenge).where(
        Challenge.municipality_id.in_([m.id for m in targets]), Challenge.status == ChallengeStatus.OPEN))
        if is_related(c, fields, scores.get(c.id, 0.0))]
    project = Project(
        title=rollout_title(origin.title, [m.name for m in targets]),
        summary=summary, stage=Stage.PROPOSED, lead_organization_id=origin.lead_organization_id,
        created_by=actor, created_at=now(), stage_changed_at=now(), origin=origin, rollout_pattern=rollout_pattern,
        technologies=list(origin.technologies), municipalities=targets, organizations=list(origin.organizations),
        challenges=attached,
    )
    session.add(project)
    session.flush()
    _record(session, project, actor=actor, move="rollout", source=None, comment=comment,
            details={"origin_project_id": origin.id, "pattern": rollout_pattern.value,
                     "attached_challenge_ids": [c.id for c in attached]}, now=now)
    _notify(session, project, actor=actor, kind="rollout", now=now)
    return project


# -- moving -------------------------------------------------------------------------------
def make_move(session: Session, project_id: int, move_name: str, data: MoveInput, *, actor: User,
              now: Clock = utcnow) -> Project:
    """Make one move. Raises NotFound, PermissionDenied (not the legal actor), Conflict (illegal
    from this stage, or the form is stale) or ValidationError (the move's inputs)."""
    project = get_project(session, project_id, actor=actor)
    move = MOVES.get(move_name)
    if move is None:
        raise NotFound()
    if not can(actor, Permission.PROJECT_MOVE, (project, move)):
        raise PermissionDenied(_l("この操作を行えるのは、このプロジェクトの担当者だけです。"))
    if project.stage not in move.sources:
        raise Conflict(_l("現在の段階（%(stage)s）ではこの操作はできません。", stage=STAGE_LABELS[project.stage]))
    if data.expected_version is not None and data.expected_version != project.version:
        raise Conflict()
    comment = clean_text(data.comment, field="comment", max_length=2000, required=move.needs_comment, multiline=True)
    details = _APPLY[move.name](session, project, data)
    source = project.stage
    project.stage = move.target
    project.stage_changed_at = now()
    session.flush()
    _record(session, project, actor=actor, move=move.name, source=source, comment=comment, details=details, now=now)
    _notify(session, project, actor=actor, kind="move", now=now, **{"from": source.value, "to": move.target.value})
    return project


def _nothing(_session: Session, _project: Project, _data: MoveInput) -> None:
    return None


def _request_pilot(_session: Session, project: Project, data: MoveInput) -> dict[str, Any]:
    errors: dict[str, list[Any]] = {}
    try:
        scope, handling, funding = collect_errors(
            lambda: clean_text(data.scope, field="scope", max_length=4000, multiline=True),
            lambda: clean_text(data.data_handling, field="data_handling", max_length=4000, multiline=True),
            lambda: clean_text(data.funding, field="funding", max_length=200),
        )
    except ValidationError as error:
        errors.update(error.field_errors)  # reported together with the checks below
    if data.months is None or not 1 <= data.months <= 36:
        errors["months"] = [_l("期間は1〜36か月で入力してください。")]
    if data.cost_yen is None or not 0 <= data.cost_yen <= 10_000_000_000:
        errors["cost_yen"] = [_l("費用は0以上の整数（円）で入力してください。")]
    kpis = []
    for position, kpi in enumerate(data.kpis):
        name = (kpi.get("name") or "").strip()
        if not name:
            continue
        if kpi.get("baseline") is None or kpi.get("target") is None:
            errors.setdefault("kpis", []).append(_l("KPI「%(name)s」の基準値と目標値を数値で入力してください。", name=name[:40]))
            continue
        kpis.append(ProjectKpi(position=position, name=clean_text(name, field="kpis", max_length=120),
                               unit=clean_text(kpi.get("unit"), field="kpis", max_length=30, required=False),
                               baseline=float(kpi["baseline"]), target=float(kpi["target"])))
    if not kpis and "kpis" not in errors:
        errors["kpis"] = [_l("KPIを1つ以上、基準値と目標値とともに入力してください。")]
    if errors:
        raise ValidationError(field_errors=errors)
    project.pilot_scope, project.pilot_data_handling, project.pilot_funding = scope, handling, funding
    project.pilot_months, project.pilot_cost_yen = data.months, data.cost_yen
    project.kpis = kpis
    return {"months": data.months, "cost_yen": data.cost_yen, "kpis": [k.name for k in kpis]}


def _approve_pilot(_session: Session, _project: Project, data: MoveInput) -> dict[str, Any]:
    missing = [key for key in APPROVAL_CHECKLIST if key not in set(data.checklist)]
    if missing:
        raise ValidationError(field_errors={"checklist": [_l("承認の前に、チェックリストのすべての項目を確認してください。")]})
    return {"checklist": sorted(APPROVAL_CHECKLIST)}


def _start_pilot(_session: Session, project: Project, data: MoveInput) -> dict[str, Any]:
    project.pilot_started_on = data.start_date or jptime.today()
    return {"started_on": project.pilot_started_on.isoformat()}


def _evaluate(_session: Session, project: Project, data: MoveInput) -> dict[str, Any]:
    missing = [k.name for k in project.kpis if data.kpi_results.get(k.id) is None]
    if missing:
        raise ValidationError(field_errors={"kpi_results": [_l("すべてのKPIの結果を数値で入力してください。")]})
    summary = clean_text(data.comment, field="comment", max_length=2000, required=True, multiline=True)
    for kpi in project.kpis:
        kpi.result = float(data.kpi_results[kpi.id])  # type: ignore[arg-type]
    project.evaluation_summary = summary
    return {"results": {k.name: k.result for k in project.kpis}}


def _implement(_session: Session, project: Project, data: MoveInput) -> dict[str, Any]:
    errors: dict[str, list[Any]] = {}
    try:
        contract = ContractType(data.contract_type)
    except ValueError:
        errors["contract_type"] = [_l("契約方式を選んでください。")]
    if data.start_date is None:
        errors["start_date"] = [_l("開始日を入力してください。")]
    if errors:
        raise ValidationError(field_errors=errors)
    project.contract_type, project.implementation_start = contract, data.start_date
    return {"contract_type": contract.value, "start": data.start_date.isoformat()}  # type: ignore[union-attr]


_APPLY = {name: _nothing for name in MOVES} | {
    "request_pilot": _request_pilot, "approve_pilot": _approve_pilot, "start_pilot": _start_pilot,
    "evaluate": _evaluate, "implement": _implement,
}


# -- history and notifications --------------------------------------------------------------
def _record(session: Session, project: Project, *, actor: User, move: str, source: Stage | None, comment: str,
            details: dict[str, Any] | None = None, now: Clock = utcnow) -> None:
    at = now()
    session.add(ProjectStageChange(project_id=project.id, actor_id=actor.id, move=move, from_stage=source,
                                   to_stage=project.stage, comment=comment, details=details, at=at))
    record_change(session, actor=actor, entity_type="project", entity_id=project.id, action=f"project:{move}",
                  before={"stage": source.value} if source else None, after={"stage": project.stage.value},
                  reason=comment).at = at


def _notify(session: Session, project: Project, *, actor: User, kind: str, now: Clock = utcnow, **params: Any) -> None:
    """Tell everyone else in the project. The notification keeps the kind and parameters, so
    the inbox renders it in its reader's language, and the delivery job renders the mail in its
    recipient's (no text is rendered in this transaction); each reader's preference for the kind
    decides whether the mail goes now, in a digest or not at all (matchmaker/digests.py)."""
    params = {"title": project.title, **params}
    others = [person for person in project_policy.participants(session, project) if person.id != actor.id]
    digests.notify(session, others, kind, params, project_id=project.id, now=now)


STAGE_LABELS = {
    Stage.PROPOSED: _l("提案"), Stage.ACCEPTED: _l("協議中"), Stage.DECLINED: _l("辞退"),
    Stage.PILOT_REQUESTED: _l("実証申請中"), Stage.PILOT_APPROVED: _l("実証承認済み"), Stage.PILOT_REJECTED: _l("実証却下"),
    Stage.IN_PILOT: _l("実証中"), Stage.EVALUATED: _l("評価済み"), Stage.IMPLEMENTED: _l("社会実装"),
    Stage.WITHDRAWN: _l("取り下げ"), Stage.CANCELLED: _l("中止"),
}
CONTRACT_LABELS = {ContractType.PROPOSAL: _l("プロポーザル方式"), ContractType.NEGOTIATED: _l("随意契約"),
                   ContractType.JOINT: _l("共同調達")}
PATTERN_LABELS = {
    RolloutPattern.AS_IS: _l("A そのまま横展開"), RolloutPattern.ADAPTED: _l("B カスタマイズ進化"),
    RolloutPattern.JOINT_ORDER: _l("C 共同発注"), RolloutPattern.PREFECTURE_WIDE: _l("D 広域化・最適化"),
}


def mark_notifications_read(session: Session, *, actor: User) -> int:
    unread = list(session.scalars(select(Notification).where(Notification.user_id == actor.id,
                                                             Notification.read_at.is_(None))))
    for notification in unread:
        notification.read_at = utcnow()
    return len(unread)


def open_notification(session: Session, notification_id: int, *, actor: User) -> Notification:
    """One of the actor's own notifications, marked read: they followed its link from the inbox.
    Anyone else's is NotFound (whether it exists is not revealed)."""
    require(actor, Permission.INBOX_VIEW)
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != actor.id:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification
