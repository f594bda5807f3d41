"""What the issue and technology views share: the version check on the edit form, and what a
stale form shows about the edit that got there first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, SelectMultipleField

from ..db import get_session


@dataclass(frozen=True)
class Difference:
    """One field where the saved version differs from what the user typed."""

    label: str
    yours: str
    theirs: str


def shown(form_field: Field) -> str:
    """A field's value as the form shows it: the chosen labels for choices, the text otherwise."""
    if isinstance(form_field, SelectMultipleField):
        chosen = {str(value) for value in form_field.data or []}
        return _("、").join(str(label) for value, label, *_rest in form_field.iter_choices() if str(value) in chosen)
    if isinstance(form_field, SelectField):
        return next((str(label) for value, label, *_rest in form_field.iter_choices()
                     if str(value) == str(form_field.data)), str(form_field.data or ""))
    return str(form_field._value() or "").strip()


def differences(typed: FlaskForm, saved: FlaskForm, names: Sequence[str]) -> list[Difference]:
    """The named fields whose saved value differs from the typed one, in form order."""
    return [Difference(str(typed[name].label.text), shown(typed[name]), shown(saved[name]))
            for name in names if shown(typed[name]) != shown(saved[name])]


@dataclass
class SavedVersion:
    """After a stale-form conflict: keep what the user typed, aim the form at the version now
    saved, and list field by field what the other edit changed (its saved value beside the
    user's). Saving again is then a deliberate choice made after seeing them, never a silent
    overwrite; a third edit meanwhile is refused again. A row deleted meanwhile leaves the form
    as it was (saving then answers 404)."""

    form: FlaskForm
    model: type
    object_id: int
    saved_form: Callable[[Any], FlaskForm] | None = None  # the edit form filled from a saved row, as a GET shows it
    compared: Sequence[str] = ()
    changes: list[Difference] = field(default_factory=list)
    happened: bool = False

    def __call__(self) -> None:
        saved = get_session().get(self.model, self.object_id)
        if saved is None:
            return
        self.happened = True
        self.form.version.data = saved.version
        if self.saved_form is not None:
            self.changes = differences(self.form, self.saved_form(saved), self.compared)


def onto_saved_version(form: FlaskForm, model: type, object_id: int,
                       saved_form: Callable[[Any], FlaskForm] | None = None, compared: Sequence[str] = ()) -> SavedVersion:
    return SavedVersion(form, model, object_id, saved_form, compared)
