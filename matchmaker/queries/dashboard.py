"""The forum's progress in figures: projects per stage, conversion, time between stages, rollouts.

Every figure counts only the projects the viewer may open, and is aggregated by the database
(GROUP BY), so the page costs the same few queries with 12 projects or 12,000.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, Subquery, func, select, union
from sqlalchemy.orm import Session

from models import (
    Field,
    Municipality,
    Project,
    ProjectStageChange,
    Stage,
    User,
    challenge_fields,
    technology_fields,
)
from models.workflow import project_challenges, project_municipalities, project_technologies
from scoring.spreadsheet import safe_cell

from .. import jptime
from ..actions.workflow import STAGE_LABELS
from ..i18n import localized
from ..policies import projects as project_policy
from ..reference_labels import join_names

SPANS = [(Stage.PROPOSED, Stage.ACCEPTED), (Stage.ACCEPTED, Stage.PILOT_REQUESTED),
         (Stage.PILOT_REQUESTED, Stage.PILOT_APPROVED), (Stage.PILOT_APPROVED, Stage.IN_PILOT),
         (Stage.IN_PILOT, Stage.EVALUATED), (Stage.EVALUATED, Stage.IMPLEMENTED),
         (Stage.PROPOSED, Stage.IN_PILOT), (Stage.PROPOSED, Stage.IMPLEMENTED)]
KEYS = ("stages", "by_field", "by_municipality", "conversion", "durations", "rollouts")


@dataclass(frozen=True)
class Table:
    key: str
    title: Any
    header: list[Any]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Period:
    """Which projects the figures count: those proposed from `start` (inclusive) to `end`
    (exclusive), days in Japan time; None on either side leaves it open. A fiscal year is
    1 April to the next 1 April."""

    start: dt.date | None = None
    end: dt.date | None = None

    @classmethod
    def fiscal_year(cls, year: int) -> Period:
        return cls(dt.date(year, 4, 1), dt.date(year + 1, 4, 1))

    def where(self, column: Any) -> list[Any]:
        """SQL conditions on a UTC timestamp column for this period's Japan-time days."""
        conditions = []
        if self.start is not None:
            conditions.append(column >= _utc_midnight(self.start))
        if self.end is not None:
            conditions.append(column < _utc_midnight(self.end))
        return conditions


ALL_TIME = Period()


def _utc_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=jptime.JST).astimezone(dt.UTC)


def fiscal_years(session: Session, actor: User) -> list[int]:
    """The fiscal years from the first visible project's to this one, newest first (the filter's choices)."""
    first = session.scalar(select(func.min(Project.created_at)).where(project_policy.visible(actor)))
    current = jptime.fiscal_year(jptime.today())
    start = min(jptime.fiscal_year(first), current) if first is not None else current
    return list(range(current, start - 1, -1))


def _visible_ids(actor: User, period: Period) -> Select[Any]:
    """The projects the actor may open that were proposed in the period: what every figure counts."""
    return select(Project.id).where(project_policy.visible(actor), *period.where(Project.created_at))


@dataclass(frozen=True)
class _Scope:
    ids: Select[Any]  # the visible projects proposed in the period: what the figures count
    any_time: Select[Any]  # every visible project (a rollout in the period may come from an older origin)


def _stage_header() -> list[str]:
    return [str(STAGE_LABELS[s]) for s in Stage]


def _cross_tab(rows: Any) -> dict[Any, dict[Stage, int]]:
    table: dict[Any, dict[Stage, int]] = defaultdict(dict)
    for key, stage, count in rows:
        table[key][stage] = count
    return table


def _stages(session: Session, scope: _Scope) -> Table:
    counts = dict(session.execute(select(Project.stage, func.count()).where(Project.id.in_(scope.ids))
                                  .group_by(Project.stage)).all())
    return Table("stages", _l("段階別のプロジェクト数"), [str(_l("段階")), str(_l("件数"))],
                 [[str(STAGE_LABELS[s]), counts.get(s, 0)] for s in Stage])


def project_field_pairs() -> Subquery:
    """(project_id, field_id): a project's fields are those of its issues and of its
    technologies, each pair once."""
    return union(
        select(project_challenges.c.project_id, challenge_fields.c.field_id)
        .join(challenge_fields, challenge_fields.c.challenge_id == project_challenges.c.challenge_id),
        select(project_technologies.c.project_id, technology_fields.c.field_id)
        .join(technology_fields, technology_fields.c.technology_id == project_technologies.c.technology_id),
    ).subquery()


def _by_field(session: Session, scope: _Scope) -> Table:
    project_field = project_field_pairs()
    rows = session.execute(
        select(project_field.c.field_id, Project.stage, func.count())
        .join(Project, Project.id == project_field.c.project_id)
        .where(Project.id.in_(scope.ids)).group_by(project_field.c.field_id, Project.stage)).all()
    table = _cross_tab(rows)
    fields = session.scalars(select(Field).where(Field.id.in_(list(table))).order_by(Field.position))
    return Table("by_field", _l("分野別・段階別のプロジェクト数"), [str(_l("分野")), *_stage_header(), str(_l("合計"))],
                 [[localized(f), *(table[f.id].get(s, 0) for s in Stage), sum(table[f.id].values())] for f in fields])


def _by_municipality(session: Session, scope: _Scope) -> Table:
    rows = session.execute(
        select(project_municipalities.c.municipality_id, Project.stage, func.count())
        .join(Project, Project.id == project_municipalities.c.project_id)
        .where(Project.id.in_(scope.ids)).group_by(project_municipalities.c.municipality_id, Project.stage)).all()
    table = _cross_tab(rows)
    # The official order of the local government codes (大阪市 271004 first, 千早赤阪村 last), as
    # every prefectural list has it: never the character-code order of the names.
    municipalities = session.scalars(select(Municipality).where(Municipality.id.in_(list(table)))
                                     .order_by(Municipality.code))
    return Table("by_municipality", _l("自治体別・段階別のプロジェクト数"),
                 [str(_l("自治体")), *_stage_header(), str(_l("合計"))],
                 [[localized(m), *(table[m.id].get(s, 0) for s in Stage), sum(table[m.id].values())]
                  for m in municipalities])


def _first_reached(session: Session, visible: Select[Any]) -> list[tuple[int, Stage, Any]]:
    """(project, stage, when it first reached that stage) for the visible projects."""
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(ProjectStageChange.project_id, ProjectStageChange.to_stage, func.min(ProjectStageChange.at))
        .where(ProjectStageChange.project_id.in_(visible))
        .group_by(ProjectStageChange.project_id, ProjectStageChange.to_stage)).all()]


def _conversion(session: Session, scope: _Scope) -> Table:
    proposed = session.scalar(select(func.count()).select_from(scope.ids.subquery())) or 0
    reached = dict(session.execute(
        select(ProjectStageChange.to_stage, func.count(func.distinct(ProjectStageChange.project_id)))
        .where(ProjectStageChange.project_id.in_(scope.ids),
               ProjectStageChange.to_stage.in_([Stage.IN_PILOT, Stage.IMPLEMENTED]))
        .group_by(ProjectStageChange.to_stage)).all())
    piloted, implemented = reached.get(Stage.IN_PILOT, 0), reached.get(Stage.IMPLEMENTED, 0)

    def rate(part: int, whole: int) -> str:
        return f"{part / whole * 100:.0f}%" if whole else "—"

    return Table("conversion", _l("転換率（提案 → 実証 → 社会実装）"), [str(_l("段階")), str(_l("件数")), str(_l("割合"))], [
        [str(_l("提案")), proposed, "100%" if proposed else "—"],
        [str(_l("実証に到達")), piloted, rate(piloted, proposed)],
        [str(_l("社会実装に到達")), implemented, rate(implemented, proposed)],
        [str(_l("実証から社会実装へ")), implemented, rate(implemented, piloted)],
    ])


def _durations(session: Session, scope: _Scope) -> Table:
    reached: dict[int, dict[Stage, Any]] = defaultdict(dict)
    for project_id, stage, at in _first_reached(session, scope.ids):
        reached[project_id][stage] = at
    rows = []
    for start, end in SPANS:
        days = [(r[end] - r[start]).total_seconds() / 86400 for r in reached.values() if start in r and end in r]
        rows.append([f"{STAGE_LABELS[start]} → {STAGE_LABELS[end]}", len(days),
                     f"{statistics.median(days):.0f}" if days else "—"])
    return Table("durations", _l("段階間の日数（中央値）"), [str(_l("区間")), str(_l("件数")), str(_l("日数の中央値"))], rows)


def _rollouts(session: Session, scope: _Scope) -> Table:
    origins: list[tuple[int, int]] = [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(Project.origin_project_id, Project.id).where(Project.origin_project_id.in_(scope.any_time),
                                                            Project.id.in_(scope.ids))
        .order_by(Project.origin_project_id, Project.id))]
    rollout_ids = [rollout_id for _, rollout_id in origins]
    places: dict[int, list[Municipality]] = defaultdict(list)
    for project_id, municipality in session.execute(
            select(project_municipalities.c.project_id, Municipality)
            .join(Municipality, Municipality.id == project_municipalities.c.municipality_id)
            .where(project_municipalities.c.project_id.in_(rollout_ids)).order_by(Municipality.code)):
        places[project_id].append(municipality)
    by_origin: dict[int, list[int]] = defaultdict(list)
    for origin_id, rollout_id in origins:
        by_origin[origin_id].append(rollout_id)
    titles = dict(session.execute(select(Project.id, Project.title).where(Project.id.in_(list(by_origin)))).all())
    return Table("rollouts", _l("横展開の実績"), [str(_l("元のプロジェクト")), str(_l("横展開の数")), str(_l("展開先"))],
                 [[titles[origin_id], len(rollouts), join_names(m for r in rollouts for m in places[r])]
                  for origin_id, rollouts in sorted(by_origin.items())])


_BUILDERS: dict[str, Callable[[Session, _Scope], Table]] = {
    "stages": _stages, "by_field": _by_field, "by_municipality": _by_municipality, "conversion": _conversion,
    "durations": _durations, "rollouts": _rollouts,
}


def build(session: Session, *, actor: User, only: str | None = None, period: Period = ALL_TIME) -> dict[str, Table]:
    """The figures over the projects the actor may see (nobody counts what they cannot open),
    proposed within `period`; `only` builds just that table, for one CSV. An unknown key gives
    an empty dict."""
    keys = KEYS if only is None else [k for k in KEYS if k == only]
    scope = _Scope(_visible_ids(actor, period), _visible_ids(actor, ALL_TIME))
    return {key: _BUILDERS[key](session, scope) for key in keys}


def to_csv(table: Table) -> bytes:
    """UTF-8 with a BOM and CRLF, so Excel opens it cleanly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(str(h)) for h in table.header])
    # Titles and names are typed by users: safe_cell keeps a formula among them as text.
    writer.writerows([[safe_cell(cell if isinstance(cell, (int, float)) else str(cell)) for cell in row]
                      for row in table.rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
