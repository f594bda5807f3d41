"""Projects: propose, move through the workflow, roll out; the inbox and the KPI dashboard."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from models import Notification, Project, Stage

from .. import dashboard as dashboard_figures
from .. import rollout
from ..actions import workflow
from ..actions.catalogue import get_challenge, get_technology
from ..db import get_session
from ..policies import Permission, can
from ..policies import projects as project_policy
from ..errors import DomainError, ValidationError, status_of
from ..forms import LenientDateField, MoveForm, ProposeForm, RolloutForm, apply_errors, lenient_number
from . import _helpers as h

bp = Blueprint("projects", __name__)


@bp.get("/projects")
@login_required
def index():  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    query = select(Project).options(selectinload(Project.municipalities), selectinload(Project.lead_organization),
                                    selectinload(Project.organizations)).order_by(Project.stage_changed_at.desc())
    stage = request.args.get("stage", "")
    if stage in {s.value for s in Stage}:
        query = query.where(Project.stage == Stage(stage))
    projects = list(session.scalars(query.where(project_policy.visible(user))))
    return render_template("projects/index.html", projects=projects, stage=stage)


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def propose():  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor_with(Permission.PROJECT_PROPOSE)
    challenge_ids = [int(v) for v in request.values.getlist("challenge") if v.isdigit()]
    technology_ids = [int(v) for v in request.values.getlist("technology") if v.isdigit()]
    challenges = [get_challenge(session, i, actor=user) for i in challenge_ids]
    technologies = [get_technology(session, i, actor=user) for i in technology_ids]
    form = ProposeForm()
    if request.method == "GET" and challenges and technologies:
        form.title.data = f"{technologies[0].title} × {challenges[0].municipality.name}"
    if not form.validate_on_submit():
        return render_template("projects/propose.html", form=form, challenges=challenges,
                               technologies=technologies), 400 if request.method == "POST" else 200
    try:
        project = workflow.propose(session, actor=user, challenge_ids=challenge_ids, technology_ids=technology_ids,
                                   title=form.title.data or "", summary=form.summary.data or "")
    except DomainError as error:
        session.rollback()
        apply_errors(form, error)
        return render_template("projects/propose.html", form=form, challenges=challenges,
                               technologies=technologies), status_of(error)
    session.commit()
    flash(_("提案を送りました。自治体の回答を待っています。"), "success")
    return redirect(url_for("projects.show", project_id=project.id))


@bp.get("/projects/<int:project_id>")
@login_required
def show(project_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    project = workflow.get_project(session, project_id, actor=user)
    return render_template("projects/show.html", project=project, form=MoveForm(obj=project), errors={},
                           moves=workflow.available_moves(project, user))


def _move_input(project: Project, form: MoveForm) -> tuple[workflow.MoveInput, dict[str, list[str]]]:
    values = request.form
    problems: dict[str, list[str]] = {}
    kpis = []
    for name, unit, baseline, target in zip(values.getlist("kpi_name"), values.getlist("kpi_unit"),
                                            values.getlist("kpi_baseline"), values.getlist("kpi_target")):
        kpis.append({"name": name, "unit": unit, "baseline": lenient_number(baseline), "target": lenient_number(target)})
    results = {k.id: lenient_number(values.get(f"kpi_result_{k.id}")) for k in project.kpis}
    date_field = LenientDateField().bind(form, "start_date")
    try:
        date_field.process_formdata([values.get("start_date", "")])
    except ValueError as error:
        problems["start_date"] = [str(error)]
    months, cost = values.get("months"), values.get("cost_yen")
    data = workflow.MoveInput(
        expected_version=form.version.data, comment=form.comment.data or "", scope=values.get("scope", ""),
        months=lenient_number(months, integer=True), data_handling=values.get("data_handling", ""),
        cost_yen=lenient_number(cost, integer=True), funding=values.get("funding", ""), kpis=kpis,
        checklist=values.getlist("checklist"), kpi_results=results, start_date=date_field.data,
        contract_type=values.get("contract_type", ""),
    )
    return data, problems


@bp.post("/projects/<int:project_id>/moves/<move>")
@login_required
def move(project_id: int, move: str):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    project = workflow.get_project(session, project_id, actor=user)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    data, problems = _move_input(project, form)
    try:
        if problems:
            raise ValidationError(field_errors=problems)
        workflow.make_move(session, project_id, move, data, actor=user)
    except DomainError as error:
        session.rollback()
        project = workflow.get_project(session, project_id, actor=user)
        return render_template(
            "projects/show.html", project=project, form=form, errors={"move": move, "error": error},
            moves=workflow.available_moves(project, user), submitted=request.form,
        ), status_of(error)
    session.commit()
    flash(_("「%(move)s」を記録しました。", move=workflow.MOVES[move].label), "success")
    return redirect(url_for("projects.show", project_id=project_id))


@bp.route("/projects/<int:project_id>/rollout", methods=["GET", "POST"])
@login_required
def rollout_view(project_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    project = workflow.get_project(session, project_id, actor=user)
    form = RolloutForm()
    form.pattern.choices = [SelectChoice(p.value, label) for p, label in workflow.PATTERN_LABELS.items()]
    recommendations = rollout.recommend(session, project)
    may_start = project.stage is Stage.IMPLEMENTED and can(user, Permission.PROJECT_ROLLOUT, project)
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        targets = [int(v) for v in request.form.getlist("municipality_ids") if v.isdigit()]
        try:
            created = workflow.start_rollout(session, project_id, actor=user, municipality_ids=targets,
                                             pattern=form.pattern.data or "", comment=form.comment.data or "")
        except DomainError as error:
            session.rollback()
            apply_errors(form, error)
            status = status_of(error)
        else:
            session.commit()
            flash(_("横展開のプロジェクトを作成しました。"), "success")
            return redirect(url_for("projects.show", project_id=created.id))
    return render_template("projects/rollout.html", project=project, recommendations=recommendations, form=form,
                           may_start=may_start), status


@bp.get("/inbox")
@login_required
def inbox():  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor_with(Permission.INBOX_VIEW)
    notifications = list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                         .order_by(Notification.id.desc()).limit(50)))
    return render_template("projects/inbox.html", waiting=workflow.inbox(session, actor=user),
                           notifications=notifications, form=MoveForm())


@bp.post("/inbox/read")
@login_required
def mark_read():  # type: ignore[no-untyped-def]
    session = get_session()
    if not MoveForm().validate_on_submit():
        abort(400)
    workflow.mark_notifications_read(session, actor=h.actor())
    session.commit()
    return redirect(url_for("projects.inbox"))


@bp.get("/dashboard")
@login_required
def dashboard():  # type: ignore[no-untyped-def]
    tables = dashboard_figures.build(get_session(), actor=h.actor_with(Permission.DASHBOARD_VIEW))
    return render_template("projects/dashboard.html", tables=tables)


@bp.get("/dashboard/<key>.csv")
@login_required
def dashboard_csv(key: str):  # type: ignore[no-untyped-def]
    tables = dashboard_figures.build(get_session(), actor=h.actor_with(Permission.DASHBOARD_VIEW))
    if key not in tables:
        abort(404)
    return Response(dashboard_figures.to_csv(tables[key]), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=ospf-{key}.csv"})
