"""Forms of the notification settings, unsubscribe, password reset and account pages."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from models import Delivery

from .forms import Form, MultiCheckboxField, VersionField

DELIVERY_LABELS = {
    Delivery.IMMEDIATELY: _l("すぐに受け取る"),
    Delivery.DAILY: _l("日次ダイジェスト"),
    Delivery.WEEKLY: _l("週次ダイジェスト"),
    Delivery.NEVER: _l("メールで受け取らない"),
}


class PreferencesForm(Form):
    """One select per notification kind (`kind_<kind>`, added per request), and the follows."""

    field_ids = MultiCheckboxField(_l("フォローする分野"), choices=[], coerce=str)
    municipality_ids = SelectMultipleField(_l("フォローする自治体"), choices=[], coerce=str, validate_choice=False,
                                           description=_l("Ctrl（Mac は ⌘）キーを押しながら複数選べます。"),
                                           render_kw={"size": 12})


def preferences_form(kinds: Iterable[tuple[str, str]], current: dict[str, Delivery]) -> PreferencesForm:
    """kinds: (kind, label). A choice outside the four is a field error, never a 500."""

    class Bound(PreferencesForm):
        pass

    for kind, label in kinds:
        setattr(Bound, f"kind_{kind}", SelectField(
            label, choices=[SelectChoice(d.value, DELIVERY_LABELS[d]) for d in Delivery],
            default=current[kind].value))
    return Bound()


class UnsubscribeForm(Form):
    pass


class FollowForm(Form):
    field_id = HiddenField()
    municipality_id = HiddenField()
    on = HiddenField()


class ForgotPasswordForm(Form):
    # An empty address is a typing slip, not an account question: saying so reveals nothing.
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(_l("メールアドレスを入力してください。"))],
                       render_kw={"maxlength": 254, "autocomplete": "email"})


class ResetPasswordForm(Form):
    new_password = PasswordField(_l("新しいパスワード"), description=_l("10文字以上"),
                                 render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(_l("新しいパスワード（確認）"), render_kw={"autocomplete": "new-password"})


class ActiveForm(Form):
    active = HiddenField()


class InviteForm(Form):
    email = EmailField(_l("メールアドレス"), render_kw={"maxlength": 254})
    display_name = StringField(_l("氏名"), render_kw={"maxlength": 80})


class OrganizationProfileForm(Form):
    website = StringField(_l("ウェブサイト"), description=_l("https:// から始まるURL"))
    description = TextAreaField(_l("団体の紹介"))
    contact_email = EmailField(_l("連絡先メールアドレス"))
    contact_phone = StringField(_l("連絡先電話番号"))
    version = VersionField()


class ReconfirmForm(Form):
    pass


class OfferedForm(Form):
    offered = HiddenField()
    version = VersionField()
