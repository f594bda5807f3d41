"""Municipal issues: browse, post, edit, close and reopen, rankings, shortlist."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from models import Challenge, ChallengeStatus

from ..actions import catalogue, invitations, questions
from ..actions.questions import qa_closed
from ..db import get_session
from ..forms import (
    AnswerForm,
    ChallengeForm,
    DeclineInvitationForm,
    InviteForm,
    QaDeadlineForm,
    QuestionForm,
    ShortlistForm,
    StatusForm,
)
from ..i18n import localized
from ..policies import Permission, require
from ..queries import catalogue as reads
from ..queries.paging import BadCursor
from ..queries.reference import REGIONS, all_fields, all_municipalities, municipality_options
from ..security import value_id
from . import _helpers as h
from ._catalogue import onto_saved_version
from ._forms import submit
from .presenters import group_by_organization

bp = Blueprint("challenges", __name__, url_prefix="/challenges")


@bp.get("")
@login_required
def index():  # type: ignore[no-untyped-def]
    session = get_session()
    try:
        page = reads.challenge_list(session, h.actor(), request.args, h.page_number())
    except BadCursor:
        abort(400)  # a page link this list never wrote
    return render_template("challenges/index.html", page=page, fields=all_fields(session),
                           municipalities=municipality_options(session), regions=REGIONS, args=request.args)


# The fields of the edit form, compared with the saved version after a conflict.
EDITED = ("title", "description", "field_keys", "target", "budget_range", "desired_start", "available_data")


def _form(obj: Challenge | None = None, *, saved: bool = False) -> ChallengeForm:
    """The form; filled from `obj` on a GET, or (saved=True) from the saved row whatever the request."""
    session = get_session()
    fill = obj is not None and (saved or request.method == "GET")
    form = ChallengeForm(formdata=None, obj=obj) if saved else ChallengeForm(obj=obj if fill else None)
    form.field_keys.choices = [SelectChoice(f.key, localized(f)) for f in all_fields(session)]
    form.municipality_id.choices = [SelectChoice(str(m.id), localized(m)) for m in all_municipalities(session)]
    if obj is not None and fill:
        form.field_keys.data = [f.key for f in obj.fields]
        form.budget_range.data = obj.budget_range.value
        form.municipality_id.data = str(obj.municipality_id)
    return form


def _input(form: ChallengeForm) -> catalogue.ChallengeInput:
    municipality = form.municipality_id.data
    return catalogue.ChallengeInput(
        title=form.title.data or "", description=form.description.data or "", field_keys=form.field_keys.data or [],
        target=form.target.data or "", budget_range=form.budget_range.data or "",
        desired_start=form.desired_start.data, available_data=form.available_data.data or "",
        status=form.status.data or "", municipality_id=value_id("municipality_id", municipality),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.CHALLENGE_CREATE)
    form = _form()
    return submit(
        form, lambda: catalogue.create_challenge(get_session(), _input(form), actor=user),
        page=lambda: render_template("challenges/form.html", form=form, challenge=None),
        message=_("地域課題を登録しました。"), done=lambda c: url_for("challenges.show", challenge_id=c.id))


@bp.route("/<int:challenge_id>/edit", methods=["GET", "POST"])
@login_required
def edit(challenge_id: int):  # type: ignore[no-untyped-def]
    user = h.actor()
    challenge = catalogue.get_challenge(get_session(), challenge_id, actor=user)
    require(user, Permission.CHALLENGE_EDIT, challenge)  # refuse before showing the form
    form = _form(challenge)
    conflict = onto_saved_version(form, Challenge, challenge_id, lambda saved: _form(saved, saved=True), EDITED)
    return submit(
        form, lambda: catalogue.update_challenge(get_session(), challenge_id, _input(form), actor=user,
                                                 expected_version=form.version.data),
        page=lambda: render_template("challenges/form.html", form=form, challenge=challenge, conflict=conflict),
        on_conflict=conflict,
        message=_("地域課題を更新しました。"), done=lambda c: url_for("challenges.show", challenge_id=c.id))


@bp.get("/<int:challenge_id>/close")
@login_required
def confirm_close(challenge_id: int):  # type: ignore[no-untyped-def]
    """The confirmation step before closing an issue (it posts to change_status)."""
    user = h.actor()
    challenge = catalogue.get_challenge(get_session(), challenge_id, actor=user)
    require(user, Permission.CHALLENGE_CHANGE_STATUS, challenge)
    if challenge.status is not ChallengeStatus.OPEN:
        return redirect(url_for("challenges.show", challenge_id=challenge_id))
    return render_template(
        "confirm.html", danger=True, heading=_("この地域課題の受付を終了しますか？"), subject=challenge.title,
        consequences=[_("企業はこの課題に新しく提案できなくなり、マッチングの候補にも表示されなくなります。"),
                      _("後から「受付を再開する」で元に戻せます。")],
        details=[], action=url_for("challenges.change_status", challenge_id=challenge_id),
        hidden={"status": ChallengeStatus.CLOSED.value, "version": challenge.version},
        reason_field=_("理由（任意）"), confirm_label=_("受付を終了する"),
        cancel=url_for("challenges.show", challenge_id=challenge_id))


@bp.post("/<int:challenge_id>/status")
@login_required
def change_status(challenge_id: int):  # type: ignore[no-untyped-def]
    form = StatusForm()
    return submit(
        form, lambda: catalogue.change_challenge_status(get_session(), challenge_id, form.status.data or "",
                                                        actor=h.actor(), expected_version=form.version.data,
                                                        reason=form.reason.data or ""),
        message=_("公開状態を変更しました。"), done=lambda c: url_for("challenges.show", challenge_id=c.id))


def _show(challenge_id: int, *, question_form: QuestionForm | None = None, answer_form: AnswerForm | None = None,
          answering: int | None = None, deadline_form: QaDeadlineForm | None = None) -> str:
    """The issue's page; a form that failed comes back with what was typed and its errors."""
    session = get_session()
    user = h.actor()
    page = reads.challenge_page(session, catalogue.get_challenge(session, challenge_id, actor=user), user)
    if deadline_form is None:
        deadline_form = QaDeadlineForm(formdata=None)
        deadline_form.qa_deadline.data = page.challenge.qa_deadline
    deadline_form.version.data = page.challenge.version
    return render_template(
        "challenges/show.html", challenge=page.challenge, ranked=page.ranked, technologies=page.technologies,
        companies=group_by_organization(page.ranked, page.technologies), shortlisted=page.shortlisted,
        history=page.history, invitations=page.invitations, proposable=page.proposable,
        invite_form=InviteForm(formdata=None), decline_form=DeclineInvitationForm(formdata=None),
        questions=page.questions, qa_closed=qa_closed(page.challenge),
        question_form=question_form or QuestionForm(formdata=None), answer_form=answer_form, answering=answering,
        blank_answer_form=AnswerForm(formdata=None), deadline_form=deadline_form)


@bp.get("/<int:challenge_id>")
@login_required
def show(challenge_id: int):  # type: ignore[no-untyped-def]
    return _show(challenge_id)


@bp.post("/<int:challenge_id>/questions")
@login_required
def ask(challenge_id: int):  # type: ignore[no-untyped-def]
    form = QuestionForm()
    return submit(
        form, lambda: questions.ask(get_session(), challenge_id, actor=h.actor(), body=form.body.data or ""),
        page=lambda: _show(challenge_id, question_form=form),
        message=_("質問を送りました。回答があればお知らせします。"),
        done=lambda question: url_for("challenges.show", challenge_id=challenge_id) + f"#question-{question.id}")


@bp.post("/questions/<int:question_id>/answer")
@login_required
def answer(question_id: int):  # type: ignore[no-untyped-def]
    form = AnswerForm()
    question = questions.get_question(get_session(), question_id, actor=h.actor())
    challenge_id = question.challenge_id
    return submit(
        form, lambda: questions.answer(get_session(), question_id, actor=h.actor(), text=form.answer.data or "",
                                       private=bool(form.private.data), reason=form.reason.data or "",
                                       expected_version=form.version.data),
        page=lambda: _show(challenge_id, answer_form=form, answering=question_id),
        message=_("回答を登録しました。質問した方にお知らせします。"),
        done=lambda _question: url_for("challenges.show", challenge_id=challenge_id) + f"#question-{question_id}")


@bp.post("/<int:challenge_id>/qa-deadline")
@login_required
def set_qa_deadline(challenge_id: int):  # type: ignore[no-untyped-def]
    form = QaDeadlineForm()
    return submit(
        form, lambda: questions.set_qa_deadline(get_session(), challenge_id, form.qa_deadline.data, actor=h.actor(),
                                                expected_version=form.version.data),
        page=lambda: _show(challenge_id, deadline_form=form),
        message=_("質問の受付期限を保存しました。"),
        done=lambda _none: url_for("challenges.show", challenge_id=challenge_id) + "#questions")


@bp.post("/<int:challenge_id>/invitations")
@login_required
def invite(challenge_id: int):  # type: ignore[no-untyped-def]
    form = InviteForm()
    if form.technology_id.data is None:
        abort(400)
    return submit(
        form, lambda: invitations.invite(get_session(), challenge_id, form.technology_id.data or 0, actor=h.actor(),
                                         message=form.message.data or ""),
        message=_("招待を送りました。企業に通知しています。"),
        done=lambda _invitation: url_for("challenges.show", challenge_id=challenge_id) + "#invitations")


@bp.post("/invitations/<int:invitation_id>/decline")
@login_required
def decline_invitation(invitation_id: int):  # type: ignore[no-untyped-def]
    form = DeclineInvitationForm()
    return submit(
        form, lambda: invitations.decline(get_session(), invitation_id, actor=h.actor(), reason=form.reason.data or ""),
        message=_("招待を辞退しました。"),
        done=lambda invitation: url_for("challenges.show", challenge_id=invitation.challenge_id))


@bp.post("/<int:challenge_id>/shortlist")
@login_required
def add_to_shortlist(challenge_id: int):  # type: ignore[no-untyped-def]
    form = ShortlistForm()
    if form.technology_id.data is None:
        abort(400)
    return submit(
        form, lambda: catalogue.shortlist(get_session(), challenge_id, form.technology_id.data or 0, actor=h.actor(),
                                          note=form.note.data or ""),
        message=_("候補リストに追加しました。"),
        # Land on the message (above the shortlist), not past it.
        done=lambda _entry: url_for("challenges.show", challenge_id=challenge_id) + "#messages")


@bp.post("/<int:challenge_id>/shortlist/<int:technology_id>/remove")
@login_required
def remove_from_shortlist(challenge_id: int, technology_id: int):  # type: ignore[no-untyped-def]
    return submit(
        ShortlistForm(), lambda: catalogue.remove_from_shortlist(get_session(), challenge_id, technology_id,
                                                                  actor=h.actor()),
        message=_("候補リストから外しました。"),
        done=lambda _none: url_for("challenges.show", challenge_id=challenge_id) + "#messages")
