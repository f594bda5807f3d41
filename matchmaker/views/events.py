"""Forum events: the list, one event, create and edit, register and cancel, the .ics, proposals."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from models import Event

from ..actions import events as actions
from ..db import get_session
from ..domain.errors import NotFound
from ..event_forms import EventForm, EventProposeForm
from ..forms import ButtonForm
from ..i18n import current_language, localized
from ..ics import event_calendar
from ..jpinput import format_moment, input_text
from ..policies import Permission
from ..queries import events as reads
from ..queries.catalogue import own_technologies
from ..security import arg_int, value_ids
from . import _helpers as h
from ._catalogue import onto_saved_version
from ._forms import submit
from .presenters import group_by_organization

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.app_template_global()
def event_when(event: Event) -> str:
    """When an event takes place, in the reader's language (always Japan time)."""
    return format_moment(event.starts_at, current_language(), end=event.ends_at)


@bp.get("")
@login_required
def index():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.EVENT_VIEW)
    listing = reads.event_list(get_session(), user, h.page_number())
    return render_template("events/index.html", listing=listing, KIND_LABELS=actions.KIND_LABELS,
                           REGISTRATION_LABELS=actions.REGISTRATION_LABELS)


def _form(event: Event | None = None) -> EventForm:
    form = EventForm(obj=None)
    chosen = {c.id for c in event.challenges} if event is not None else set()
    options = reads.attachable_challenges(get_session(), h.actor())
    # An issue closed since it was attached stays on the list, so that saving keeps it.
    options += [c for c in (event.challenges if event is not None else []) if c.id not in {o.id for o in options}]
    left, right = ("（", "）") if current_language() == "ja" else (" (", ")")
    form.challenge_ids.choices = [SelectChoice(str(c.id), f"{c.title}{left}{localized(c.municipality)}{right}")
                                  for c in options]
    if event is not None and request.method == "GET":
        form.title.data, form.kind.data, form.place.data = event.title, event.kind.value, event.place
        form.starts.data, form.ends.data = input_text(event.starts_at), input_text(event.ends_at, clock_only=True)
        form.online_url.data, form.capacity.data = event.online_url, str(event.capacity)
        form.description.data, form.challenge_ids.data = event.description, [str(i) for i in sorted(chosen)]
        form.version.data = event.version
    return form


def _input(form: EventForm) -> actions.EventInput:
    return actions.EventInput(
        title=form.title.data or "", kind=form.kind.data or "", starts=form.starts.data or "",
        ends=form.ends.data or "", place=form.place.data or "", online_url=form.online_url.data or "",
        capacity=form.capacity.data or "", description=form.description.data or "",
        challenge_ids=value_ids("challenge_ids", form.challenge_ids.data or []))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.EVENT_CREATE)
    form = _form()
    return submit(
        form, lambda: actions.create_event(get_session(), _input(form), actor=user),
        page=lambda: render_template("events/form.html", form=form, event=None),
        message=_("イベントを登録しました。"), done=lambda e: url_for("events.show", event_id=e.id))


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.EVENT_EDIT)
    event = actions.get_event(get_session(), event_id, actor=user)
    form = _form(event)
    return submit(
        form, lambda: actions.update_event(get_session(), event_id, _input(form), actor=user,
                                           expected_version=form.version.data),
        page=lambda: render_template("events/form.html", form=form, event=event),
        on_conflict=onto_saved_version(form, Event, event_id),
        message=_("イベントを更新しました。"), done=lambda e: url_for("events.show", event_id=e.id))


@bp.get("/<int:event_id>")
@login_required
def show(event_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    page = reads.event_page(session, actions.get_event(session, event_id, actor=user), user)
    companies = {issue.challenge.id: group_by_organization(issue.ranked, page.technologies)[:reads.TOP_COMPANIES]
                 for issue in page.issues}
    return render_template("events/show.html", page=page, event=page.event, companies=companies,
                           KIND_LABELS=actions.KIND_LABELS, REGISTRATION_LABELS=actions.REGISTRATION_LABELS,
                           has_started=actions.has_started(page.event))


@bp.post("/<int:event_id>/register")
@login_required
def register(event_id: int):  # type: ignore[no-untyped-def]
    def message(registration) -> str:  # type: ignore[no-untyped-def]
        if registration.status.value == "waitlisted":
            return _("定員に達しているため、キャンセル待ちに登録しました。空きが出たらお知らせします。")
        return _("参加登録しました。カレンダーに追加できます。")

    return submit(ButtonForm(), lambda: actions.register(get_session(), event_id, actor=h.actor()),
                  message=message, done=lambda _r: url_for("events.show", event_id=event_id))


@bp.post("/<int:event_id>/cancel")
@login_required
def cancel(event_id: int):  # type: ignore[no-untyped-def]
    return submit(ButtonForm(), lambda: actions.cancel_registration(get_session(), event_id, actor=h.actor()),
                  message=_("参加登録を取り消しました。"), done=lambda _r: url_for("events.show", event_id=event_id))


@bp.get("/<int:event_id>/calendar.ics")
@login_required
def calendar(event_id: int):  # type: ignore[no-untyped-def]
    event = actions.calendar_event(get_session(), event_id, actor=h.actor())
    site = str(current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    page_url = site + url_for("events.show", event_id=event.id)
    body = event_calendar(event, site=site, page_url=page_url, description=f"{event.description}\n\n{page_url}".strip())
    return Response(body, content_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=ospf-event-{event.id}.ics"})


@bp.route("/<int:event_id>/propose", methods=["GET", "POST"])
@login_required
def propose(event_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor_with(Permission.EVENT_PROPOSE)
    event = actions.get_event(session, event_id, actor=user)
    challenge = next((c for c in event.challenges if c.id == arg_int("challenge")), None)
    if challenge is None:
        raise NotFound()
    offered = [t for t in own_technologies(session, user) if not t.is_retired]
    form = EventProposeForm()
    form.technology_ids.choices = [SelectChoice(str(t.id), t.title) for t in offered]
    if request.method == "GET" and offered:
        form.title.data = f"{offered[0].title} × {challenge.municipality.name}"
        form.technology_ids.data = [str(offered[0].id)]
    return submit(
        form, lambda: actions.propose_from_event(
            get_session(), event_id, actor=user, challenge_id=challenge.id,
            technology_ids=value_ids("technology_ids", form.technology_ids.data or []),
            title=form.title.data or "", summary=form.summary.data or ""),
        page=lambda: render_template("events/propose.html", form=form, event=event, challenge=challenge),
        message=_("提案を送りました。自治体の回答を待っています。"),
        done=lambda project: url_for("projects.show", project_id=project.id))
