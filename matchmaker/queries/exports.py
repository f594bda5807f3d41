"""What each spreadsheet export holds: only what the viewer could open on the pages.

Each function returns a Table (title, header, rows) built from the policies' SQL clauses, so an
export never holds a row its viewer could not open: issues and technologies as their lists show
them, rankings as the issue or technology page shows them (only what the viewer may see), and
projects with their stage history as the project pages do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Challenge, ChallengeStatus, Field, Project, ProjectStageChange, Question, Technology, User

from .. import sheets
from ..actions.workflow import STAGE_LABELS
from ..i18n import current_language, localized
from ..jptime import export_text
from ..matching import match_service
from ..parsing import NotANumber, optional_id
from ..policies import catalogue as catalogue_policy
from ..policies import projects as project_policy
from ..policies import questions as question_policy
from .catalogue import challenges_by_id, technologies_by_id
from .dashboard import Table


def _when(moment: dt.datetime | None) -> str:
    return export_text(moment)


def _id_filter(args: Mapping[str, str], name: str) -> int | None:
    # A bad value was already answered 400 by the input guard (security.py); others get no filter.
    try:
        return optional_id(args.get(name))
    except NotANumber:
        return None


def challenges(session: Session, actor: User, args: Mapping[str, str]) -> Table:
    """Every issue the actor may see (drafts of their own included), in the import's columns;
    `status` and `field` narrow it as on the list page."""
    query = (select(Challenge).where(catalogue_policy.challenges_visible(actor))
             .options(selectinload(Challenge.fields), selectinload(Challenge.municipality))
             .order_by(Challenge.municipality_id, Challenge.id))
    if args.get("status") in {s.value for s in ChallengeStatus}:
        query = query.where(Challenge.status == ChallengeStatus(args["status"]))
    if args.get("field"):
        query = query.where(Challenge.fields.any(Field.key == args["field"]))
    municipality = _id_filter(args, "municipality")
    if municipality is not None:
        query = query.where(Challenge.municipality_id == municipality)
    rows = [sheets.challenge_cells(c, localized=localized) for c in session.scalars(query)]
    return Table("challenges", _l("地域課題"), sheets.header(sheets.CHALLENGES, current_language()), rows)


def technologies(session: Session, actor: User, args: Mapping[str, str]) -> Table:
    """Every technology the actor may see, retired ones of their own (or all, for stewards) included."""
    query = (select(Technology).where(catalogue_policy.technologies_visible(actor))
             .options(selectinload(Technology.fields), selectinload(Technology.organization),
                      selectinload(Technology.deployed_in))
             .order_by(Technology.organization_id, Technology.id))
    if args.get("field"):
        query = query.where(Technology.fields.any(Field.key == args["field"]))
    organization = _id_filter(args, "organization_id")
    if organization is not None:
        query = query.where(Technology.organization_id == organization)
    yes_no = (str(_l("はい")), str(_l("いいえ")))
    rows = [sheets.technology_cells(t, localized=localized, yes_no=yes_no) for t in session.scalars(query)]
    return Table("technologies", _l("技術・ソリューション"), sheets.header(sheets.TECHNOLOGIES, current_language()), rows)


def _reason_text(reasons: list[dict[str, Any]]) -> str:
    parts = []
    for reason in reasons:
        share = f"{reason['share'] * 100:.0f}%"
        if reason["kind"] == "term":
            words = reason["challenge_word"] if reason["challenge_word"] == reason["technology_word"] else \
                f"{reason['challenge_word']}/{reason['technology_word']}"
            parts.append(f"{words} {share}")
        elif reason["kind"] == "wording":
            parts.append(f"{_l('その他の似た表現')} {share}")
        elif reason["kind"] == "fields":
            parts.append(f"{_l('分野')}: {'/'.join(reason['fields'])} {share}")
        elif reason["kind"] == "track_record":
            places = "/".join(reason["deployed_in"]) or (reason["maturity"] or "")
            parts.append(f"{_l('導入実績')}: {places} {share}")
    return "; ".join(parts)


def ranking_for_challenge(session: Session, actor: User, challenge: Challenge) -> Table:
    """The technologies ranked for an issue that the actor may see, with score and reasons."""
    ranked = match_service().technologies_for(session, challenge.id)
    shown = technologies_by_id(session, actor, [r.technology_id for r in ranked])
    rows = []
    for rank, item in enumerate((r for r in ranked if r.technology_id in shown), start=1):
        technology = shown[item.technology_id]
        rows.append([rank, technology.id, technology.title, technology.organization.name, round(item.score, 4),
                     _reason_text(item.explanation.reasons())])
    header = [str(_l("順位")), "ID", str(_l("技術")), str(_l("団体")), str(_l("スコア")), str(_l("理由"))]
    return Table(f"ranking-challenge-{challenge.id}", challenge.title, header, rows)


def ranking_for_technology(session: Session, actor: User, technology: Technology) -> Table:
    """The issues ranked for a technology that the actor may see, with score and reasons."""
    ranked = match_service().challenges_for(session, technology.id)
    shown = challenges_by_id(session, actor, [r.challenge_id for r in ranked])
    rows = []
    for rank, item in enumerate((r for r in ranked if r.challenge_id in shown), start=1):
        challenge = shown[item.challenge_id]
        rows.append([rank, challenge.id, challenge.title, localized(challenge.municipality), round(item.score, 4),
                     _reason_text(item.explanation.reasons())])
    header = [str(_l("順位")), "ID", str(_l("地域課題")), str(_l("自治体")), str(_l("スコア")), str(_l("理由"))]
    return Table(f"ranking-technology-{technology.id}", technology.title, header, rows)


def _visible_projects(session: Session, actor: User) -> list[Project]:
    return list(session.scalars(
        select(Project).where(project_policy.visible(actor))
        .options(selectinload(Project.municipalities), selectinload(Project.organizations),
                 selectinload(Project.lead_organization),
                 selectinload(Project.changes).selectinload(ProjectStageChange.actor))
        .order_by(Project.id)))


def projects(session: Session, actor: User) -> Table:
    """The projects the actor may open, one row each."""
    header = ["ID", str(_l("プロジェクト")), str(_l("段階")), str(_l("主担当の団体")), str(_l("自治体")),
              str(_l("参加団体")), str(_l("元のプロジェクト")), str(_l("作成日時")), str(_l("段階の変更日時"))]
    rows = [[p.id, p.title, str(STAGE_LABELS[p.stage]), p.lead_organization.name,
             "; ".join(localized(m) for m in p.municipalities), "; ".join(o.name for o in p.organizations),
             p.origin_project_id or "", _when(p.created_at), _when(p.stage_changed_at)]
            for p in _visible_projects(session, actor)]
    return Table("projects", _l("プロジェクト"), header, rows)


def project_history(session: Session, actor: User) -> Table:
    """Every stage change of the projects the actor may open, oldest first per project."""
    header = [str(_l("プロジェクトID")), str(_l("プロジェクト")), str(_l("日時")), str(_l("変更前")),
              str(_l("変更後")), str(_l("操作した人")), str(_l("コメント"))]
    rows = []
    for project in _visible_projects(session, actor):
        for change in sorted(project.changes, key=lambda c: (c.at, c.id)):
            rows.append([project.id, project.title, _when(change.at),
                         str(STAGE_LABELS[change.from_stage]) if change.from_stage else "",
                         str(STAGE_LABELS[change.to_stage]), change.actor.display_name if change.actor else "",
                         change.comment])
    return Table("project_history", _l("段階の履歴"), header, rows)


def questions(session: Session, actor: User) -> Table:
    """Questions on issues and their answers, those the actor may read; the asking company is
    named only to insiders (policies/questions.py), as on the issue page."""
    header = [str(_l("地域課題ID")), str(_l("地域課題")), str(_l("自治体")), str(_l("質問日時")), str(_l("質問")),
              str(_l("質問した団体")), str(_l("回答")), str(_l("回答日時")), str(_l("非公開"))]
    rows = []
    for q in session.scalars(
            select(Question).where(question_policy.visible(actor))
            .options(selectinload(Question.challenge).selectinload(Challenge.municipality),
                     selectinload(Question.challenge).selectinload(Challenge.fields),
                     selectinload(Question.organization))
            .order_by(Question.challenge_id, Question.asked_at, Question.id)):
        insider = question_policy.is_insider(actor, q)
        rows.append([q.challenge_id, q.challenge.title, localized(q.challenge.municipality), _when(q.asked_at), q.body,
                     q.organization.name if insider else "", q.answer or "", _when(q.answered_at),
                     (str(_l("はい")) if q.is_private else str(_l("いいえ"))) if insider else ""])
    return Table("questions", _l("質問と回答"), header, rows)


__all__ = ["challenges", "project_history", "projects", "questions", "ranking_for_challenge", "ranking_for_technology",
           "technologies"]
