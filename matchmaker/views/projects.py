"""Projects: propose, move through the workflow, roll out; the inbox and the KPI dashboard."""

from __future__ import annotations

import datetime as dt
import unicodedata
from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from models import Notification, Stage

from .. import dashboard_charts, notifications, rollout, tabular
from ..actions import messages, workflow
from ..actions.catalogue import get_challenge, get_technology
from ..db import get_session
from ..forms import ButtonForm, MessageForm, ProposeForm, RolloutForm
from ..japanese_input import parse_date
from ..parsing import NotANumber, is_safe_next, parse_int
from ..policies import Permission, can
from ..queries import dashboard as dashboard_figures
from ..queries import dashboard_lists
from ..queries import events as event_figures
from ..queries import projects as reads
from ..queries import questions as question_reads
from ..queries.catalogue import own_technologies, pending_invitations
from ..security import accepts_uploads, value_ids
from ..workflow_forms import KPI_ROWS, MoveForm, blank_forms, form_for, move_tone, offered_order
from . import _helpers as h
from ._forms import submit

bp = Blueprint("projects", __name__)


@bp.get("/projects")
@login_required
def index():  # type: ignore[no-untyped-def]
    stage = request.args.get("stage", "")
    page = reads.project_list(get_session(), h.actor(), stage, h.page_number())
    return render_template("projects/index.html", page=page, stage=stage)


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def propose():  # type: ignore[no-untyped-def]
    """Propose from a match, an invitation or an issue's page: the issue is given, and the
    member ticks which of the organisation's technologies to propose (any open issue will do,
    ranked or not)."""
    session = get_session()
    user = h.actor_with(Permission.PROJECT_PROPOSE)
    # What was ticked on the form, not the link that opened it (the form posts to the same URL).
    values = request.form if request.method == "POST" else request.args
    challenge_ids = value_ids("challenge", values.getlist("challenge"))
    technology_ids = value_ids("technology", values.getlist("technology"))
    challenges = [get_challenge(session, i, actor=user) for i in challenge_ids]
    technologies = [get_technology(session, i, actor=user) for i in technology_ids]
    choices = [t for t in own_technologies(session, user)
               if challenges and all(can(user, Permission.PROJECT_PROPOSE, (c, t)) for c in challenges)]
    # Admins propose for any company: they keep the technologies the link named.
    choices += [t for t in technologies if t not in choices]
    form = ProposeForm()
    if request.method == "GET" and challenges and technologies:
        form.title.data = f"{technologies[0].title} × {challenges[0].municipality.name}"
    return submit(
        form, lambda: workflow.propose(get_session(), actor=user, challenge_ids=challenge_ids,
                                       technology_ids=technology_ids, title=form.title.data or "",
                                       summary=form.summary.data or ""),
        page=lambda: render_template("projects/propose.html", form=form, challenges=challenges,
                                     technologies=technologies, choices=choices),
        message=_("提案を送りました。自治体の回答を待っています。"),
        done=lambda project: url_for("projects.show", project_id=project.id))


def _project_page(project_id: int, failed: MoveForm | None = None, message_form: MessageForm | None = None) -> str:
    """The project with a form for each move the viewer may make; a failed move's form keeps
    what was typed and its errors."""
    page = reads.project_page(get_session(), project_id, h.actor())
    forms = blank_forms(page.moves, page.project)
    if failed is not None:
        # Shown again with what was typed, aimed at the version now saved: after seeing why it
        # failed (possibly someone else's move), sending it again is a deliberate choice.
        failed.version.data = page.project.version
        forms[failed.move.name] = failed
    return render_template("projects/show.html", project=page.project, origin=page.origin, rollouts=page.rollouts,
                           origin_outcome=page.origin_outcome,
                           moves=offered_order(page.moves), move_tone=move_tone, forms=forms, failed=failed.move.name if failed else None, failed_form=failed,
                           KPI_ROWS=KPI_ROWS, messages=page.messages,
                           message_form=message_form or MessageForm(formdata=None))


# The message form's whole request: its files at their limit, and the text around them.
accepts_uploads("projects.post_message", messages.ATTACHMENTS_MAX * (messages.ATTACHMENT_MAX_BYTES + 4096) + 64 * 1024)


@bp.post("/projects/<int:project_id>/messages")
@login_required
def post_message(project_id: int):  # type: ignore[no-untyped-def]
    form = MessageForm()
    # One byte past the limit is enough to know a file is too large, without holding more.
    uploads = [messages.Upload(f.filename or "", f.stream.read(messages.ATTACHMENT_MAX_BYTES + 1))
               for f in request.files.getlist("attachments")]
    return submit(
        form, lambda: messages.post_message(get_session(), project_id, actor=h.actor(), body=form.body.data or "",
                                            uploads=uploads),
        page=lambda: _project_page(project_id, message_form=form),
        message=_("メッセージを送りました。"),
        done=lambda message: url_for("projects.show", project_id=project_id) + f"#message-{message.id}")


@bp.get("/projects/<int:project_id>/attachments/<int:attachment_id>")
@login_required
def attachment(project_id: int, attachment_id: int):  # type: ignore[no-untyped-def]
    found = messages.get_attachment(get_session(), project_id, attachment_id, actor=h.actor())
    # Always a download (never shown inline on our origin), under the type the allow-list names,
    # with an ASCII fallback name and the RFC 6266 filename* for Japanese names.
    fallback = "".join(c for c in unicodedata.normalize("NFKD", found.filename)
                       if c.isascii() and c.isprintable() and c not in '"\\') or "attachment"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(found.filename, safe='')}"
    return Response(found.data, content_type=found.content_type, headers={
        "Content-Disposition": disposition, "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@bp.get("/projects/<int:project_id>")
@login_required
def show(project_id: int):  # type: ignore[no-untyped-def]
    return _project_page(project_id)


@bp.post("/projects/<int:project_id>/moves/<move>")
@login_required
def move(project_id: int, move: str):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    project = workflow.get_project(session, project_id, actor=user)
    if move not in workflow.MOVES:
        abort(404)
    form = form_for(workflow.MOVES[move], project)
    return submit(
        form, lambda: workflow.make_move(get_session(), project_id, move, form.to_input(project), actor=user),
        page=lambda: _project_page(project_id, failed=form),
        message=_("「%(move)s」を記録しました。", move=workflow.MOVES[move].label),
        done=lambda _project: url_for("projects.show", project_id=project_id))


@bp.route("/projects/<int:project_id>/rollout", methods=["GET", "POST"])
@login_required
def rollout_view(project_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    project = workflow.get_project(session, project_id, actor=user)
    form = RolloutForm()
    form.pattern.choices = [SelectChoice(p.value, label) for p, label in workflow.PATTERN_LABELS.items()]
    if request.method == "GET":
        form.summary.data = workflow.rollout_summary_template(project)
    chosen = set(value_ids("municipality_ids", request.form.getlist("municipality_ids")))

    def page() -> str:
        return render_template(
            "projects/rollout.html", project=project, recommendations=rollout.recommend(session, project), form=form,
            chosen=chosen,
            may_start=project.stage is Stage.IMPLEMENTED and can(user, Permission.PROJECT_ROLLOUT, project))

    return submit(
        form, lambda: workflow.start_rollout(get_session(), project_id, actor=user, municipality_ids=sorted(chosen),
                                             pattern=form.pattern.data or "", summary=form.summary.data or "",
                                             comment=form.comment.data or "",
                                             similarity=rollout.issue_similarity(get_session(), project)),
        page=page, message=_("横展開のプロジェクトを作成しました。"),
        done=lambda created: url_for("projects.show", project_id=created.id))


@bp.get("/inbox")
@login_required
def inbox():  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor_with(Permission.INBOX_VIEW)
    return render_template("projects/inbox.html", waiting=reads.waiting(session, user),
                           invitations=pending_invitations(session, user),
                           questions=question_reads.unanswered(session, user),
                           notifications=reads.notifications(session, user))


@bp.post("/inbox/read")
@login_required
def mark_read():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.INBOX_VIEW)
    return submit(ButtonForm(), lambda: workflow.mark_notifications_read(get_session(), actor=user),
                  done=lambda _count: url_for("projects.inbox"))


@bp.post("/inbox/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):  # type: ignore[no-untyped-def]
    """Follow a notification's link and mark it read (a POST: reading it changes it)."""
    user = h.actor_with(Permission.INBOX_VIEW)
    return submit(ButtonForm(), lambda: workflow.open_notification(get_session(), notification_id, actor=user),
                  done=_notification_target)


def _notification_target(opened: Notification) -> str:
    path = notifications.link_path(opened.kind, opened.params or {}, opened.project_id)
    return path if is_safe_next(path) else url_for("projects.inbox")


def _dashboard_period() -> tuple[dashboard_figures.Period, dict[str, str], list[str]]:
    """The period the dashboard's figures cover, from `fy` (a fiscal year, 2026 = 令和8年度) or
    `from`/`to` (days, both inclusive, any way people write a date); with the query arguments to
    carry into the CSV links and the errors to show. A filter that does not parse is reported and
    left out, never guessed."""
    args = {k: request.args.get(k, "").strip() for k in ("fy", "from", "to") if request.args.get(k, "").strip()}
    errors: list[str] = []
    # Every filter is parsed, also the days beside a fiscal year (which wins): a bad one is reported.
    days: dict[str, dt.date] = {}
    for key in ("from", "to"):
        if key in args:
            try:
                days[key] = parse_date(args[key])
            except ValueError:
                errors.append(_("期間の日付は 2026-04-01 や 2026年4月1日 のように入力してください。"))
                args.pop(key)
    if "fy" in args:
        try:
            year = parse_int(args["fy"], minimum=2000, maximum=2100)
        except NotANumber:
            errors.insert(0, _("年度は一覧から選んでください。"))
            args.pop("fy")
        else:
            return dashboard_figures.Period.fiscal_year(year), {"fy": str(year)}, errors
    if "from" in days and "to" in days and days["from"] > days["to"]:
        errors.append(_("期間の開始日が終了日より後になっています。"))
        return dashboard_figures.ALL_TIME, {}, errors
    period = dashboard_figures.Period(days.get("from"), days["to"] + dt.timedelta(days=1) if "to" in days else None)
    return period, {k: days[k].isoformat() for k in days}, errors


@bp.get("/dashboard")
@login_required
def dashboard():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.DASHBOARD_VIEW)
    session = get_session()
    period, args, errors = _dashboard_period()
    tables = dashboard_figures.build(session, actor=user, period=period)
    return render_template("projects/dashboard.html", tables=tables, args=args, errors=errors,
                           fiscal_years=dashboard_figures.fiscal_years(session, user),
                           charts=dashboard_charts.charts(tables), list_keys=dashboard_lists.LIST_KEYS,
                           event_proposals=event_figures.proposals_per_event(session, user, period=period)), \
        400 if errors else 200


def _dashboard_table(key: str):  # type: ignore[no-untyped-def]
    """One dashboard table or list for a download, over the chosen period, and a file-name suffix."""
    user = h.actor_with(Permission.DASHBOARD_VIEW)
    session = get_session()
    period, args, errors = _dashboard_period()
    if errors:
        abort(400, description=" ".join(errors))
    if key in dashboard_lists.LISTS:
        table = dashboard_lists.LISTS[key](session, user, period)
    else:
        tables = dashboard_figures.build(session, actor=user, only=key, period=period)
        if key not in tables:
            abort(404)
        table = tables[key]
    return table, "".join(f"-{args[k]}" for k in ("fy", "from", "to") if k in args)


@bp.get("/dashboard/<key>.csv")
@login_required
def dashboard_csv(key: str):  # type: ignore[no-untyped-def]
    table, suffix = _dashboard_table(key)
    return Response(dashboard_figures.to_csv(table), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=ospf-{key}{suffix}.csv"})


@bp.get("/dashboard/<key>.xlsx")
@login_required
def dashboard_xlsx(key: str):  # type: ignore[no-untyped-def]
    table, suffix = _dashboard_table(key)
    return Response(tabular.to_xlsx([(str(table.title), table.header, table.rows)]), content_type=tabular.XLSX_TYPE,
                    headers={"Content-Disposition": f"attachment; filename=ospf-{key}{suffix}.xlsx"})
