"""What the issue and technology views share: the version check on the edit form."""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf import FlaskForm

from ..db import get_session


def onto_saved_version(form: FlaskForm, model: type, object_id: int) -> Callable[[], None]:
    """After a stale-form conflict: keep what the user typed, but aim the form at the version now
    saved, so saving again is a deliberate choice made after seeing the warning, never a silent
    overwrite. A row deleted meanwhile leaves the form as it was (saving then answers 404)."""

    def apply() -> None:
        saved = get_session().get(model, object_id)
        if saved is not None:
            form.version.data = saved.version

    return apply
