"""The dashboard's two lists themselves, for Excel: every issue and every project in the period.

Only what the viewer may open, in the viewer's language, times in Japan time with the zone in
each value; the cells go through the same formula-safe CSV writer as the dashboard's tables.
Loaded in a fixed number of queries (selectinload), whatever the number of rows.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import Challenge, Project, User
from models.workflow import project_challenges

from .. import jptime
from ..actions.workflow import STAGE_LABELS
from ..forms import BUDGET_LABELS, STATUS_LABELS
from ..i18n import localized
from ..policies import catalogue as catalogue_policy
from ..policies import projects as project_policy
from ..reference_labels import join_names, region_label
from .dashboard import ALL_TIME, Period, Table

LIST_KEYS = ("issues", "projects")


def _join(values: list[str]) -> str:
    return str(_l("、")).join(values)


def issues(session: Session, actor: User, period: Period = ALL_TIME) -> Table:
    """Every issue the actor may see that was posted in the period, in code order of its municipality."""
    found = list(session.scalars(
        select(Challenge).where(catalogue_policy.challenges_visible(actor), *period.where(Challenge.created_at))
        .options(selectinload(Challenge.municipality), selectinload(Challenge.fields))
        .order_by(Challenge.created_at, Challenge.id)))
    # Only the projects the actor may open count, as everywhere on the dashboard.
    projects: dict[int, int] = dict(session.execute(
        select(project_challenges.c.challenge_id, func.count())
        .where(project_challenges.c.challenge_id.in_([c.id for c in found]),
               project_challenges.c.project_id.in_(select(Project.id).where(project_policy.visible(actor))))
        .group_by(project_challenges.c.challenge_id)).all()) if found else {}
    header = [_l("ID"), _l("課題名"), _l("自治体"), _l("自治体コード"), _l("地域"), _l("分野"), _l("状態"),
              _l("予算規模"), _l("開始希望時期"), _l("登録日時（日本時間）"), _l("更新日時（日本時間）"), _l("プロジェクト数")]
    rows = [[c.id, c.title, localized(c.municipality), c.municipality.code, region_label(c.municipality.region),
             _join([localized(f) for f in c.fields]), str(STATUS_LABELS[c.status]), str(BUDGET_LABELS[c.budget_range]),
             jptime.export_text(c.desired_start), jptime.export_text(c.created_at), jptime.export_text(c.updated_at),
             projects.get(c.id, 0)] for c in found]
    return Table("issues", _l("地域課題の一覧"), [str(h) for h in header], rows)


def projects(session: Session, actor: User, period: Period = ALL_TIME) -> Table:
    """Every project the actor may open that was proposed in the period, oldest first."""
    found = list(session.scalars(
        select(Project).where(project_policy.visible(actor), *period.where(Project.created_at))
        .options(*project_policy.LOAD_PARTS, selectinload(Project.lead_organization))
        .order_by(Project.created_at, Project.id)))
    header = [_l("ID"), _l("プロジェクト名"), _l("段階"), _l("自治体"), _l("代表企業"), _l("参加企業・団体"),
              _l("地域課題"), _l("技術"), _l("横展開の元（ID）"), _l("提案日時（日本時間）"),
              _l("段階の更新日時（日本時間）"), _l("実証の開始日"), _l("社会実装の開始日")]
    rows = [[p.id, p.title, str(STAGE_LABELS[p.stage]), join_names(p.municipalities), p.lead_organization.name,
             _join([o.name for o in p.organizations]), _join([c.title for c in p.challenges]),
             _join([t.title for t in p.technologies]), p.origin_project_id or "", jptime.export_text(p.created_at),
             jptime.export_text(p.stage_changed_at), jptime.export_text(p.pilot_started_on),
             jptime.export_text(p.implementation_start)] for p in found]
    return Table("projects", _l("プロジェクトの一覧"), [str(h) for h in header], rows)


LISTS = {"issues": issues, "projects": projects}
