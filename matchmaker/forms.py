"""Form parsing (Flask-WTF). Forms parse and carry CSRF; domain actions validate."""

from __future__ import annotations

from typing import Any, Literal, overload

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError as WTFValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from models import BudgetRange, ChallengeStatus, InvitationStatus, Maturity, MemberCategory, PriceBand, Role

from .domain.errors import DomainError
from .japanese_input import parse_date, parse_quantity, parse_start
from .parsing import NotANumber, has_control_characters, parse_int


class Form(FlaskForm):
    """Every form: a control character in any field is that field's error, so the page comes
    back with everything else the user typed instead of the value reaching the database
    (PostgreSQL refuses NUL) or the page failing. Line breaks only where a field is multi-line."""

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid = super().validate(extra_validators)
        for field in self:
            multiline = isinstance(field, TextAreaField)
            if any(isinstance(value, str) and has_control_characters(value, multiline=multiline)
                   for value in field.raw_data or ()):
                field.errors = [*field.errors, _l("使用できない制御文字が含まれています。")]
                valid = False
        return valid


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # type: ignore[no-untyped-def]
        # Unknown choices are reported by the action with a clear message instead.
        pass


class LenientDateField(StringField):
    """Accepts 2027-04-01, 2027/4/1, 2027年4月1日, 2027年4月 (its first day), 令和9年4月, in 全角
    digits too (japanese_input.parse_date); blank means no date. With `periods`, also a fiscal
    year (2027年度: 1 April) and the month as the pages show it, 2027年4月（令和9年度）
    (japanese_input.parse_start): for a "when", not for a deadline."""

    def __init__(self, *args: Any, periods: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.periods = periods

    def process_formdata(self, valuelist: list[str]) -> None:
        # Kept as typed (only stripped), so a refused value is shown back unchanged.
        self.raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not self.raw:
            return
        try:
            self.data = (parse_start if self.periods else parse_date)(self.raw)
        except ValueError:
            message = (_l("時期は 2027年4月、2027年度、令和9年4月、2027-04-01 のように入力してください。") if self.periods
                       else _l("日付は 2027-04-01、2027年4月、令和9年4月 のように入力してください。"))
            raise WTFValidationError(message) from None

    def _value(self) -> str:
        if self.data:
            return self.data.isoformat()
        return getattr(self, "raw", "") or ""


# No saved row has version 0 (versions start at 1): a form that does not say which version it
# was based on is compared as version 0, so the action answers Conflict and the view shows the
# form again with what was typed, instead of the check being skipped.
UNKNOWN_VERSION = 0


class VersionField(HiddenField):
    """The version the form was based on, so a stale form is refused rather than saved.
    Missing or unreadable counts as stale, never as "do not check"."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            self.data = parse_int(valuelist[0] if valuelist else "", minimum=1)
        except NotANumber:
            self.data = UNKNOWN_VERSION


def _choices(enum_cls, labels) -> list[SelectChoice]:  # type: ignore[no-untyped-def]
    return [SelectChoice(member.value, labels[member]) for member in enum_cls]


BUDGET_LABELS = {
    BudgetRange.UNDECIDED: _l("未定"), BudgetRange.UNDER_1M: _l("100万円未満"),
    BudgetRange.FROM_1M_TO_5M: _l("100万〜500万円"), BudgetRange.FROM_5M_TO_20M: _l("500万〜2,000万円"),
    BudgetRange.OVER_20M: _l("2,000万円以上"),
}
PRICE_LABELS = {
    PriceBand.FREE: _l("無償"), PriceBand.UNDER_1M: _l("100万円未満"), PriceBand.FROM_1M_TO_5M: _l("100万〜500万円"),
    PriceBand.FROM_5M_TO_20M: _l("500万〜2,000万円"), PriceBand.OVER_20M: _l("2,000万円以上"),
    PriceBand.ON_REQUEST: _l("要相談"),
}
MATURITY_LABELS = {Maturity.CONCEPT: _l("構想段階"), Maturity.PILOTED: _l("実証済み"), Maturity.IN_SERVICE: _l("導入実績あり")}
INVITATION_STATUS_LABELS = {InvitationStatus.PENDING: _l("回答待ち"), InvitationStatus.ACCEPTED: _l("提案あり"),
                            InvitationStatus.DECLINED: _l("辞退")}
STATUS_LABELS = {ChallengeStatus.DRAFT: _l("下書き"), ChallengeStatus.OPEN: _l("受付中"), ChallengeStatus.CLOSED: _l("終了")}
ROLE_LABELS = {
    Role.MUNICIPAL_OFFICER: _l("自治体職員"), Role.COMPANY_MEMBER: _l("企業会員"), Role.COORDINATOR: _l("コーディネーター"),
    Role.ADMIN: _l("管理者"),
}
CATEGORY_LABELS = {
    MemberCategory.CORPORATE: _l("法人会員"), MemberCategory.INDIVIDUAL: _l("個人会員"),
    MemberCategory.SPECIAL_SUPPORTING: _l("特別賛助会員"), MemberCategory.SUPPORTING: _l("賛助会員"),
}


def _no_longer_than(limit: int):  # type: ignore[no-untyped-def]
    """A value past any valid length is dropped, so a failed form never echoes it back."""
    return lambda value: value if value is None or len(value) <= limit else ""


class LoginForm(Form):
    email = EmailField(_l("メールアドレス"), filters=[_no_longer_than(254)], render_kw={"maxlength": 254})
    password = PasswordField(_l("パスワード"))


class PasswordChangeForm(Form):
    current_password = PasswordField(_l("現在のパスワード"))
    new_password = PasswordField(_l("新しいパスワード"), description=_l("10文字以上"))
    confirm_password = PasswordField(_l("新しいパスワード（確認）"))


class ChallengeForm(Form):
    title = StringField(_l("課題名"), description=_l("120文字以内。解決策ではなく課題を書いてください。"))
    description = TextAreaField(_l("課題の内容"), description=_l("誰が、どこで、何に困っているか。4,000文字以内。"))
    field_keys = MultiCheckboxField(_l("分野"), choices=[])
    target = StringField(_l("対象（地域・住民など）"))
    budget_range = SelectField(_l("予算規模"), validate_choice=False, choices=_choices(BudgetRange, BUDGET_LABELS))
    desired_start = LenientDateField(_l("開始希望時期"), description=_l("例：2027年4月、2027年度、令和9年4月"),
                                     periods=True)
    available_data = TextAreaField(_l("提供できるデータ"))
    status = SelectField(_l("公開状態"), validate_choice=False, choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in
                                              (ChallengeStatus.OPEN, ChallengeStatus.DRAFT)])
    municipality_id = SelectField(_l("自治体"), choices=[], validate_choice=False)
    version = VersionField()


class TechnologyForm(Form):
    title = StringField(_l("技術・ソリューション名"))
    description = TextAreaField(_l("概要"), description=_l("何を、誰の、どんな課題に役立てるか。4,000文字以内。"))
    field_keys = MultiCheckboxField(_l("分野"), choices=[])
    maturity = SelectField(_l("成熟度"), validate_choice=False, choices=_choices(Maturity, MATURITY_LABELS))
    # No default: a preselected 無償 was saved by people who never looked at the field.
    price_band = SelectField(_l("価格帯"), validate_choice=False,
                             choices=[SelectChoice("", _l("選択してください")), *_choices(PriceBand, PRICE_LABELS)])
    deployed_municipality_ids = MultiCheckboxField(_l("導入済みの府内自治体"), choices=[], coerce=str)
    organization_id = SelectField(_l("団体"), choices=[], validate_choice=False)
    version = VersionField()


class StatusForm(Form):
    status = HiddenField()
    reason = StringField(_l("理由（任意）"))
    version = VersionField()


class RetireForm(Form):
    version = VersionField()


class ShortlistForm(Form):
    technology_id = IntegerField()
    note = StringField(_l("メモ（任意）"))


class InviteForm(Form):
    technology_id = IntegerField()
    message = TextAreaField(_l("招待のメッセージ（任意）"), description=_l("企業に伝えたいこと。2,000文字以内。"))


class DeclineInvitationForm(Form):
    reason = TextAreaField(_l("辞退の理由（任意）"))


class MessageForm(Form):
    body = TextAreaField(_l("メッセージ"), description=_l(
        "送信後は編集も削除もできません。プロジェクトの記録として残ります。4,000文字以内。"))
    attachments = MultipleFileField(_l("添付ファイル（任意）"), description=_l(
        "3個まで、1ファイル5MBまで。PDF、PNG・JPEG、docx・xlsx・pptx、CSV、テキスト。"),
        render_kw={"accept": ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.pptx,.csv,.txt"})


class QuestionForm(Form):
    body = TextAreaField(_l("質問"), description=_l(
        "回答は、原則として全ての会員に公開されます。2,000文字以内。"))


class AnswerForm(Form):
    answer = TextAreaField(_l("回答"))
    private = BooleanField(_l("この質問と回答を非公開にする"), description=_l(
        "非公開にすると、質問した団体、自治体、コーディネーターだけが読めます。"))
    reason = StringField(_l("非公開にする理由（非公開の場合は必須）"))
    version = VersionField()


class QaDeadlineForm(Form):
    qa_deadline = LenientDateField(_l("質問の受付期限（日本時間）"), description=_l("例：2027-04-01。空欄なら期限なし。"))
    version = VersionField()


class MembershipForm(Form):
    organization_name = StringField(_l("団体名"))
    organization_name_kana = StringField(_l("団体名（ふりがな）"))
    member_category = SelectField(_l("会員種別"), validate_choice=False, choices=_choices(MemberCategory, CATEGORY_LABELS))
    website = StringField(_l("ウェブサイト"), description=_l("https:// から始まるURL"))
    description = TextAreaField(_l("団体の紹介"))
    contact_email = EmailField(_l("連絡先メールアドレス"))
    contact_phone = StringField(_l("連絡先電話番号"))
    member_name = StringField(_l("担当者のお名前"))
    member_email = EmailField(_l("担当者のメールアドレス（ログインに使います）"))
    password = PasswordField(_l("パスワード"), description=_l("10文字以上"))


class ReviewForm(Form):
    decision = HiddenField()
    reason = StringField(_l("理由（却下する場合は必須）"))


class StaffUserForm(Form):
    email = EmailField(_l("メールアドレス"))
    display_name = StringField(_l("表示名"))
    role = SelectField(_l("役割"), validate_choice=False, choices=[SelectChoice("municipal_officer", _l("自治体職員")),
                                           SelectChoice("coordinator", _l("コーディネーター"))])
    municipality_id = SelectField(_l("所属自治体（自治体職員）"), choices=[], validate_choice=False)
    field_keys = MultiCheckboxField(_l("担当分野（コーディネーター）"), choices=[])
    password = PasswordField(_l("初期パスワード"), description=_l("10文字以上。本人に安全な方法で伝えてください。"))


def apply_errors(form: FlaskForm, error: DomainError) -> None:
    """Put an action's field errors on the form's fields (or on the form as a whole)."""
    if error.field_errors:
        for name, messages in error.field_errors.items():
            target = getattr(form, name, None)
            if target is not None and hasattr(target, "errors"):
                target.errors = [*list(target.errors or []), *messages]
            else:
                form.form_errors.extend(messages)
    else:
        form.form_errors.append(error.message)


class ProposeForm(Form):
    title = StringField(_l("プロジェクト名"))
    summary = TextAreaField(_l("提案の概要"), description=_l("課題にどう応えるか、体制、想定スケジュールなど。"))


class ButtonForm(Form):
    """A button that sends nothing but its CSRF token (the move forms are in workflow_forms)."""


class ImportForm(Form):
    file = FileField(_l("ファイル（CSV または Excel .xlsx）"), validators=[FileRequired(_l("ファイルを選んでください。"))])


class RolloutForm(Form):
    pattern = SelectField(_l("横展開のパターン"), validate_choice=False, choices=[])
    summary = TextAreaField(_l("展開先での概要"), description=_l(
        "展開先の課題、対象、体制、スケジュールを書いてください。元の自治体の地区名や世帯数などは書き換えてください。4,000文字以内。"))
    comment = TextAreaField(_l("コメント（任意）"))


@overload
def lenient_number(raw: str | None, *, integer: Literal[True], unit: str = "") -> int | None: ...
@overload
def lenient_number(raw: str | None, *, integer: Literal[False] = False, unit: str = "") -> float | None: ...
@overload
def lenient_number(raw: str | None, *, integer: bool = False, unit: str = "") -> float | int | None: ...
def lenient_number(raw: str | None, *, integer: bool = False, unit: str = "") -> float | int | None:
    """Parse 1,200 / １２００ / 12.5 / 1.2万 / 30分 (japanese_input.parse_quantity); None for blank
    or not a number."""
    try:
        value = parse_quantity(raw, unit=unit)
    except ValueError:
        return None
    if integer:
        return int(value) if value.is_integer() else None
    return value


class VocabularyForm(Form):
    term = StringField(_l("語"), description=_l("例: 見守り。60文字以内。"))
    variant = StringField(_l("同じ意味の語"), description=_l("例: 安否確認。60文字以内。"))
    reason = TextAreaField(_l("理由"), description=_l("なぜこの組み合わせが必要か（必須、500文字以内）。"))
    version = VersionField()


class ApiTokenForm(Form):
    name = StringField(_l("用途"), description=_l("例: 府のオープンデータ連携。80文字以内。"))
    scope = SelectField(_l("権限"), validate_choice=False, choices=[
        SelectChoice("read", _l("読み取りのみ")), SelectChoice("write", _l("読み取りと書き込み"))])


class VocabularyRemoveForm(Form):
    reason = StringField(_l("削除する理由"))
    version = VersionField()
