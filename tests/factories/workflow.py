from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from models import Challenge, Project, ProjectKpi, ProjectStageChange, Stage, Technology

# The path a project takes to reach each stage, for a history that looks like real use.
_PATH = [Stage.PROPOSED, Stage.ACCEPTED, Stage.PILOT_REQUESTED, Stage.PILOT_APPROVED, Stage.IN_PILOT,
         Stage.EVALUATED, Stage.IMPLEMENTED]
_MOVE_TO = {Stage.ACCEPTED: "accept", Stage.DECLINED: "decline", Stage.PILOT_REQUESTED: "request_pilot",
            Stage.PILOT_APPROVED: "approve_pilot", Stage.PILOT_REJECTED: "reject_pilot", Stage.IN_PILOT: "start_pilot",
            Stage.EVALUATED: "evaluate", Stage.IMPLEMENTED: "implement", Stage.WITHDRAWN: "withdraw",
            Stage.CANCELLED: "cancel"}


def make_project(session: Session, challenge: Challenge, technology: Technology, *, stage: Stage = Stage.PROPOSED,
                 title: str | None = None, start: dt.datetime | None = None, origin: Project | None = None,
                 **values: Any) -> Project:
    """A project between one challenge and one technology, with one history row per stage it passed
    (a day apart from `start`), as if it had been moved there through the workflow."""
    start = start or dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)
    path = _PATH[:_PATH.index(stage) + 1] if stage in _PATH else [Stage.PROPOSED, stage]
    project = Project(
        title=title or f"{technology.title} × {challenge.municipality.name}", stage=stage,
        lead_organization=technology.organization, challenges=[challenge], technologies=[technology],
        municipalities=[challenge.municipality], organizations=[technology.organization], origin=origin,
        stage_changed_at=start + dt.timedelta(days=len(path) - 1), **values,
    )
    if stage not in (Stage.PROPOSED, Stage.ACCEPTED, Stage.DECLINED):
        project.kpis = [ProjectKpi(name="利用者数", unit="人", baseline=0, target=100)]
        project.pilot_scope, project.pilot_months = "範囲", 6
    session.add(project)
    session.flush()
    previous = None
    for day, reached in enumerate(path):
        session.add(ProjectStageChange(project_id=project.id, move="propose" if previous is None else _MOVE_TO[reached],
                                       from_stage=previous, to_stage=reached, at=start + dt.timedelta(days=day)))
        previous = reached
    session.flush()
    return project
