"""The engine's vocabulary: coordinators add, edit and remove synonym pairs.

Each change commits, then asks the job worker for a refit: the new vocabulary reaches rankings
when that job has run, never inside the request.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from models import User, VocabularyEntry

from .. import jobs
from ..actions import vocabulary as actions
from ..db import get_session
from ..forms import VocabularyForm, VocabularyRemoveForm
from ..policies import Permission
from . import _helpers as h
from ._catalogue import onto_saved_version
from ._forms import submit

bp = Blueprint("vocabulary", __name__, url_prefix="/vocabulary")


def _refit() -> None:
    jobs.enqueue(current_app._get_current_object(), "refit")  # type: ignore[attr-defined]


def _updates_shortly(message: str) -> str:
    return message + " " + _("ランキングにはまもなく反映されます（バックグラウンドで再計算します）。")


def _input(form: VocabularyForm) -> actions.VocabularyInput:
    return actions.VocabularyInput(term=form.term.data or "", variant=form.variant.data or "",
                                   reason=form.reason.data or "")


def _index_page(user: User, form: VocabularyForm | None = None) -> str:
    return render_template("vocabulary/index.html", entries=actions.list_entries(get_session(), actor=user),
                           form=form or VocabularyForm())


def _edit_page(user: User, entry_id: int, form: VocabularyForm | None = None,
               remove_form: VocabularyRemoveForm | None = None) -> str:
    entry = actions.get_entry(get_session(), entry_id, actor=user)
    if form is None:
        form = VocabularyForm(data={"term": entry.term, "variant": entry.variant, "version": entry.version})
    if remove_form is None:
        remove_form = VocabularyRemoveForm(data={"version": entry.version})
    return render_template("vocabulary/edit.html", entry=entry, form=form, remove_form=remove_form)


@bp.route("", methods=["GET", "POST"])
@login_required
def index():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.VOCABULARY_EDIT)
    form = VocabularyForm()
    return submit(
        form, lambda: actions.add_entry(get_session(), _input(form), actor=user),
        page=lambda: _index_page(user, form), after_commit=_refit,
        message=lambda e: _updates_shortly(_("「%(term)s」と「%(variant)s」を同じ意味の語として登録しました。",
                                             term=e.term, variant=e.variant)),
        done=lambda _e: url_for("vocabulary.index"))


@bp.route("/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit(entry_id: int):  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.VOCABULARY_EDIT)
    form = VocabularyForm()
    return submit(
        form, lambda: actions.update_entry(get_session(), entry_id, _input(form), actor=user,
                                           expected_version=form.version.data),
        page=lambda: _edit_page(user, entry_id, form if request.method == "POST" else None), after_commit=_refit,
        on_conflict=onto_saved_version(form, VocabularyEntry, entry_id),
        message=lambda e: _updates_shortly(_("「%(term)s」と「%(variant)s」の組み合わせを保存しました。",
                                             term=e.term, variant=e.variant)),
        done=lambda _e: url_for("vocabulary.index"))


@bp.post("/<int:entry_id>/delete")
@login_required
def delete(entry_id: int):  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.VOCABULARY_EDIT)
    form = VocabularyRemoveForm()
    return submit(
        # The message is written after the commit, when the deleted row can no longer be read.
        form, lambda: actions.entry_snapshot(actions.remove_entry(
            get_session(), entry_id, actor=user, expected_version=form.version.data, reason=form.reason.data or "")),
        page=lambda: _edit_page(user, entry_id, remove_form=form), after_commit=_refit,
        on_conflict=onto_saved_version(form, VocabularyEntry, entry_id),
        message=lambda e: _updates_shortly(_("「%(term)s」と「%(variant)s」の組み合わせを削除しました。",
                                             term=e["term"], variant=e["variant"])),
        done=lambda _e: url_for("vocabulary.index"))
