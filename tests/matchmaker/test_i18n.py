"""The per-request translation memo (i18n.translations): fast, and never the wrong language."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale, gettext, lazy_gettext, refresh

from matchmaker.i18n import current_language, translations


def test_force_locale_inside_a_request_switches_and_comes_back(app) -> None:
    # Mail is rendered in the recipient's language inside someone else's request.
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert current_language() == "ja"
        assert gettext("編集する") == "編集する"
        assert render_template_string("{{ _('編集する') }}") == "編集する"
        with force_locale("en"):
            assert current_language() == "en"
            assert gettext("編集する") == "Edit"
            assert str(lazy_gettext("編集する")) == "Edit"
            assert render_template_string("{{ _('編集する') }}") == "Edit"
        assert current_language() == "ja"
        assert gettext("編集する") == "編集する"
        assert render_template_string("{{ _('編集する') }}") == "編集する"


def test_refresh_after_a_language_change_takes_the_new_language(app) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert translations().ugettext("編集する") == "編集する"
        from flask import session

        session["lang"] = "en"
        refresh()
        assert translations().ugettext("編集する") == "Edit"
        assert current_language() == "en"
        assert render_template_string("{{ _('編集する') }}") == "Edit"


def test_outside_a_request_the_default_language(app) -> None:
    with app.app_context():
        assert current_language() == "ja"
        assert translations().ugettext("編集する") == "編集する"


def test_a_request_looks_its_translations_up_once_however_many_strings_it_translates(app, monkeypatch) -> None:
    """The memo is the point of i18n.translations: without it every string walks flask-babel's
    lookup again (this fails with the memo removed)."""
    import flask_babel

    calls: list[int] = []
    original = flask_babel.Domain.get_translations

    def counted(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(flask_babel.Domain, "get_translations", counted)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        for _ in range(50):
            assert gettext("編集する") == "Edit"
            assert str(lazy_gettext("編集する")) == "Edit"
        assert render_template_string("{% for _i in range(50) %}{{ _('編集する') }}{% endfor %}") == "Edit" * 50
    assert 1 <= len(calls) <= 3
