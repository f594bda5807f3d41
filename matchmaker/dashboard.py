"""The forum's progress in figures: projects per stage, conversion, time between stages, rollouts."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Field, Project, Stage, User
from scoring.spreadsheet import safe_cell

from .actions.workflow import STAGE_LABELS
from .policies import projects as project_policy
from .policies.projects import project_fields
from .i18n import localized

PIPELINE = (Stage.PROPOSED, Stage.ACCEPTED, Stage.PILOT_REQUESTED, Stage.PILOT_APPROVED, Stage.IN_PILOT,
            Stage.EVALUATED, Stage.IMPLEMENTED)
SPANS = [(Stage.PROPOSED, Stage.ACCEPTED), (Stage.ACCEPTED, Stage.PILOT_REQUESTED),
         (Stage.PILOT_REQUESTED, Stage.PILOT_APPROVED), (Stage.PILOT_APPROVED, Stage.IN_PILOT),
         (Stage.IN_PILOT, Stage.EVALUATED), (Stage.EVALUATED, Stage.IMPLEMENTED),
         (Stage.PROPOSED, Stage.IN_PILOT), (Stage.PROPOSED, Stage.IMPLEMENTED)]


@dataclass(frozen=True)
class Table:
    key: str
    title: Any
    header: list[Any]
    rows: list[list[Any]]


def _projects(session: Session, actor: User) -> list[Project]:
    return list(session.scalars(select(Project).where(project_policy.visible(actor)).options(
        selectinload(Project.challenges), selectinload(Project.technologies), selectinload(Project.municipalities),
        selectinload(Project.changes), selectinload(Project.rollouts).selectinload(Project.municipalities))))


def _first_reached(project: Project) -> dict[Stage, Any]:
    reached: dict[Stage, Any] = {}
    for change in project.changes:
        reached.setdefault(change.to_stage, change.at)
    return reached


def build(session: Session, *, actor: User) -> dict[str, Table]:
    """The figures over the projects the actor may see: nobody counts what they cannot open."""
    from flask_babel import lazy_gettext as _l

    projects = _projects(session, actor)
    stages = list(Stage)
    stage_header = [str(STAGE_LABELS[s]) for s in stages]
    fields = {f.key: f for f in session.scalars(select(Field).order_by(Field.position))}

    by_field: dict[str, Counter[Stage]] = defaultdict(Counter)
    by_municipality: dict[str, Counter[Stage]] = defaultdict(Counter)
    for project in projects:
        for key in project_fields(project):
            by_field[key][project.stage] += 1
        for municipality in project.municipalities:
            by_municipality[municipality.name][project.stage] += 1
    field_rows = [[localized(fields[k])] + [by_field[k][s] for s in stages] + [sum(by_field[k].values())]
                  for k in fields if by_field[k]]
    municipality_rows = [[name] + [counts[s] for s in stages] + [sum(counts.values())]
                         for name, counts in sorted(by_municipality.items())]

    reached = [_first_reached(p) for p in projects]
    proposed = len(projects)
    piloted = sum(Stage.IN_PILOT in r for r in reached)
    implemented = sum(Stage.IMPLEMENTED in r for r in reached)
    rate = lambda part, whole: f"{part / whole * 100:.0f}%" if whole else "—"  # noqa: E731
    conversion_rows = [
        [str(_l("提案")), proposed, "100%" if proposed else "—"],
        [str(_l("実証に到達")), piloted, rate(piloted, proposed)],
        [str(_l("社会実装に到達")), implemented, rate(implemented, proposed)],
        [str(_l("実証から社会実装へ")), implemented, rate(implemented, piloted)],
    ]

    span_rows = []
    for start, end in SPANS:
        days = [(r[end] - r[start]).total_seconds() / 86400 for r in reached if start in r and end in r]
        span_rows.append([f"{STAGE_LABELS[start]} → {STAGE_LABELS[end]}", len(days),
                          f"{statistics.median(days):.0f}" if days else "—"])

    visible_ids = {p.id for p in projects}
    rollout_rows = [[p.title, len(rollouts), "、".join(m.name for r in rollouts for m in r.municipalities)]
                    for p in projects if (rollouts := [r for r in p.rollouts if r.id in visible_ids])]

    return {
        "stages": Table("stages", _l("段階別のプロジェクト数"), [str(_l("段階")), str(_l("件数"))],
                        [[str(STAGE_LABELS[s]), sum(p.stage is s for p in projects)] for s in stages]),
        "by_field": Table("by_field", _l("分野別・段階別のプロジェクト数"),
                          [str(_l("分野"))] + stage_header + [str(_l("合計"))], field_rows),
        "by_municipality": Table("by_municipality", _l("自治体別・段階別のプロジェクト数"),
                                 [str(_l("自治体"))] + stage_header + [str(_l("合計"))], municipality_rows),
        "conversion": Table("conversion", _l("転換率（提案 → 実証 → 社会実装）"),
                            [str(_l("段階")), str(_l("件数")), str(_l("割合"))], conversion_rows),
        "durations": Table("durations", _l("段階間の日数（中央値）"),
                           [str(_l("区間")), str(_l("件数")), str(_l("日数の中央値"))], span_rows),
        "rollouts": Table("rollouts", _l("横展開の実績"),
                          [str(_l("元のプロジェクト")), str(_l("横展開の数")), str(_l("展開先"))], rollout_rows),
    }


def to_csv(table: Table) -> bytes:
    """UTF-8 with a BOM and CRLF, so Excel opens it cleanly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(str(h)) for h in table.header])
    # Titles and names are typed by users: safe_cell keeps a formula among them as text.
    writer.writerows([[safe_cell(cell if isinstance(cell, (int, float)) else str(cell)) for cell in row]
                      for row in table.rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
