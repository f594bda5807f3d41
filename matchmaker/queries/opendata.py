"""The anonymised public pipeline for the prefecture's open-data portal: counts only.

What is published, and why it is safe without a login:
- issues by municipality and field: published (open and closed) issues only, never drafts. A
  municipality's published issues are its own public statement, so their counts are exact.
- projects per stage, prefecture-wide and per field: projects are confidential to their
  participants (policies/projects.py), so no title, municipality, company or date is published,
  and a count from 1 to SUPPRESS_BELOW - 1 is withheld ("suppressed") in both tables: with few
  projects, "1 project rejected in agriculture" tells outsiders how one identifiable partnership
  ended. Suppressing the prefecture-wide totals too means they cannot be set against the field
  table to recover a withheld cell. Zero is published (it reveals no project).
- adoption: how many projects reached a pilot and implementation, and rollouts started:
  prefecture-wide cumulative figures, exact, since implementations are announced in public anyway.
No personal data (no names, no e-mail, no actors) and no free text typed by companies is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Challenge,
    ChallengeStatus,
    Field,
    Municipality,
    Project,
    ProjectStageChange,
    Stage,
    challenge_fields,
)

from .dashboard import project_field_pairs

SUPPRESS_BELOW = 3
LICENSE = "CC BY 4.0"


@dataclass(frozen=True)
class Dataset:
    key: str
    title_ja: str
    title_en: str
    columns: list[str]
    rows: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"dataset": self.key, "title": {"ja": self.title_ja, "en": self.title_en}, "license": LICENSE,
                "suppression": {"below": SUPPRESS_BELOW, "applies_to": "project counts per stage"},
                "columns": self.columns, "rows": self.rows}


def _issues(session: Session) -> Dataset:
    rows = session.execute(
        select(Municipality.code, Municipality.name, Municipality.name_en, Field.key, Field.name_ja, Field.name_en,
               Challenge.status, func.count(Challenge.id))
        .select_from(Challenge).join(Municipality, Municipality.id == Challenge.municipality_id)
        .join(challenge_fields, challenge_fields.c.challenge_id == Challenge.id)
        .join(Field, Field.id == challenge_fields.c.field_id)
        .where(Challenge.status != ChallengeStatus.DRAFT)
        .group_by(Municipality.code, Municipality.name, Municipality.name_en, Field.key, Field.name_ja, Field.name_en,
                  Field.position, Challenge.status)
        .order_by(Municipality.code, Field.position)).all()
    table: dict[tuple[Any, ...], dict[str, Any]] = {}
    for code, name, name_en, key, field_ja, field_en, status, count in rows:
        entry = table.setdefault((code, key), {
            "municipality_code": code, "municipality": name, "municipality_en": name_en, "field": key,
            "field_ja": field_ja, "field_en": field_en, "open": 0, "closed": 0})
        entry["open" if status is ChallengeStatus.OPEN else "closed"] += count
    return Dataset("issues", "自治体別・分野別の地域課題数", "Issues by municipality and field",
                   ["municipality_code", "municipality", "municipality_en", "field", "field_ja", "field_en", "open",
                    "closed"], list(table.values()))


def _projects_by_stage(session: Session) -> Dataset:
    counts = dict(session.execute(select(Project.stage, func.count(Project.id)).group_by(Project.stage)).all())
    return Dataset("projects_by_stage", "段階別のプロジェクト数（府内全体）", "Projects per stage (whole prefecture)",
                   ["stage", "projects", "suppressed"], [_count({"stage": s.value}, counts.get(s, 0)) for s in Stage])


def _count(row: dict[str, Any], count: int) -> dict[str, Any]:
    hidden = 0 < count < SUPPRESS_BELOW
    return {**row, "projects": None if hidden else count, "suppressed": hidden}


def _projects_by_field(session: Session) -> Dataset:
    project_field = project_field_pairs()
    counts = {(f, s): n for f, s, n in session.execute(
        select(project_field.c.field_id, Project.stage, func.count())
        .join(Project, Project.id == project_field.c.project_id)
        .group_by(project_field.c.field_id, Project.stage)).all()}
    rows = []
    for field in session.scalars(select(Field).order_by(Field.position)):
        for stage in Stage:
            rows.append(_count({"field": field.key, "field_ja": field.name_ja, "field_en": field.name_en,
                                "stage": stage.value}, counts.get((field.id, stage), 0)))
    return Dataset("projects_by_field", "分野別・段階別のプロジェクト数", "Projects per field and stage",
                   ["field", "field_ja", "field_en", "stage", "projects", "suppressed"], rows)


def _adoption(session: Session) -> Dataset:
    total = session.scalar(select(func.count(Project.id))) or 0
    reached = dict(session.execute(
        select(ProjectStageChange.to_stage, func.count(func.distinct(ProjectStageChange.project_id)))
        .where(ProjectStageChange.to_stage.in_([Stage.IN_PILOT, Stage.IMPLEMENTED])).group_by(ProjectStageChange.to_stage)
    ).all())
    rollouts = session.scalar(select(func.count(Project.id)).where(Project.origin_project_id.is_not(None))) or 0
    piloted, implemented = reached.get(Stage.IN_PILOT, 0), reached.get(Stage.IMPLEMENTED, 0)

    def rate(part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None

    figures = [("projects_proposed", total), ("reached_pilot", piloted), ("reached_implementation", implemented),
               ("rollouts_started", rollouts)]
    rows: list[dict[str, Any]] = [{"measure": name, "value": value} for name, value in figures]
    rows += [{"measure": "pilot_rate", "value": rate(piloted, total)},
             {"measure": "implementation_rate", "value": rate(implemented, total)},
             {"measure": "pilot_to_implementation_rate", "value": rate(implemented, piloted)}]
    return Dataset("adoption", "実証・社会実装・横展開の実績", "Adoption: pilots, implementations, rollouts",
                   ["measure", "value"], rows)


BUILDERS = {"issues": _issues, "projects_by_stage": _projects_by_stage, "projects_by_field": _projects_by_field,
            "adoption": _adoption}


def dataset(session: Session, key: str) -> Dataset | None:
    builder = BUILDERS.get(key)
    return builder(session) if builder is not None else None
