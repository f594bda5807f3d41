"""The one shape of a view that changes something: parse, call one action, commit, flash, redirect.

When the input does not parse or the action refuses it, the transaction is rolled back and the
same page comes back with everything the user typed and the errors beside their fields, with
the status the error maps to (matchmaker.errors). Without a page to come back to (a button on
another page), the error goes to the registered error handler instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from ..db import get_session
from ..domain.errors import Conflict, DomainError
from ..errors import status_of
from ..forms import apply_errors

T = TypeVar("T")


def submit(
    form: FlaskForm,
    act: Callable[[], T],
    *,
    done: Callable[[T], str] | None = None,
    answer: Callable[[T], ResponseReturnValue] | None = None,
    message: Callable[[T], Any] | Any = None,
    page: Callable[[], str] | None = None,
    on_conflict: Callable[[], None] | None = None,
    after_commit: Callable[[], None] | None = None,
) -> ResponseReturnValue:
    """Run `act` for a valid POST and redirect to `done(result)` (or give `answer(result)`, for a
    confirmation page); otherwise render `page()` again.

    `page` renders the form's page (GET, and after any error); without it a GET is not expected
    and errors go to the error handler. `on_conflict` runs after a stale-form Conflict, before the
    page is rendered again (e.g. to move the form onto the saved version).
    """
    if request.method != "POST":
        if page is None:
            raise RuntimeError("submit() without a page only answers POST")
        return page(), 200
    if not form.validate_on_submit():
        if page is None:
            abort(400)
        return page(), 400
    session = get_session()
    if page is None:
        result = act()  # errors go to the registered handler, which rolls back first
    else:
        try:
            result = act()
        except DomainError as error:
            session.rollback()
            apply_errors(form, error)
            if on_conflict is not None and isinstance(error, Conflict):
                on_conflict()
            return page(), status_of(error)
    session.commit()
    if after_commit is not None:
        after_commit()
    if message is not None:
        flash(message(result) if callable(message) else message, "success")
    if answer is not None:
        return answer(result)
    assert done is not None, "submit() needs done or answer"
    return redirect(done(result))
