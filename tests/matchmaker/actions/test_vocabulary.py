"""Synonym pairs: validation, audit with who and why, stale forms refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matchmaker.actions import vocabulary
from matchmaker.domain.errors import Conflict, ValidationError
from models import AuditEvent, Role, VocabularyEntry
from tests import factories


@pytest.fixture
def coordinator(db_session):
    return factories.make_user(db_session, Role.COORDINATOR, field_keys=("elderly",))


def _add(session, actor, term="デマンド交通", variant="乗合タクシー", reason="住民説明会で同じ意味で使われた"):
    return vocabulary.add_entry(session, vocabulary.VocabularyInput(term, variant, reason), actor=actor)


def _field_errors(error: pytest.ExceptionInfo) -> dict:
    return {key: [str(m) for m in messages] for key, messages in error.value.field_errors.items()}


def test_adding_normalises_and_records_who_and_why(db_session, coordinator) -> None:
    entry = _add(db_session, coordinator, term="  ＡＩ　カメラ ", variant="画像認識")

    event = db_session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "vocabulary"))
    assert (entry.term, entry.variant, entry.version, entry.created_by_id) == ("AI カメラ", "画像認識", 1, coordinator.id)
    assert (event.action, event.actor_id, event.entity_id, event.reason) == (
        "vocabulary:create", coordinator.id, entry.id, "住民説明会で同じ意味で使われた")
    assert event.after == {"term": "AI カメラ", "variant": "画像認識", "version": 1}


@pytest.mark.parametrize(("term", "variant", "reason", "field"), [
    ("", "乗合タクシー", "理由", "term"),
    ("デマンド交通", "   ", "理由", "variant"),
    ("デマンド交通", "乗合タクシー", "", "reason"),
    ("デマンド交通", "デマンド交通", "理由", "variant"),
    ("Drone", "ｄｒｏｎｅ", "理由", "variant"),  # identical once NFKC-folded and case-folded
    ("デマンド交通", "乗合,タクシー", "理由", "variant"),
    ("#デマンド交通", "乗合タクシー", "理由", "term"),
    ("あ" * 61, "乗合タクシー", "理由", "term"),
    ("デマンド交通", "乗合タクシー", "あ" * 501, "reason"),
])
def test_bad_input_is_refused_naming_the_field(db_session, coordinator, term, variant, reason, field) -> None:
    with pytest.raises(ValidationError) as error:
        _add(db_session, coordinator, term, variant, reason)

    assert field in error.value.field_errors
    assert db_session.scalar(select(VocabularyEntry)) is None


def test_a_pair_already_registered_in_either_order_is_refused_with_its_words(db_session, coordinator) -> None:
    _add(db_session, coordinator)

    with pytest.raises(ValidationError) as error:
        _add(db_session, coordinator, term="乗合タクシー", variant="デマンド交通")

    assert "既に登録されています" in _field_errors(error)["variant"][0]
    assert "デマンド交通 ⇔ 乗合タクシー" in _field_errors(error)["variant"][0]


def test_editing_needs_the_current_version_and_records_before_and_after(db_session, coordinator) -> None:
    entry = _add(db_session, coordinator)
    data = vocabulary.VocabularyInput("デマンド交通", "オンデマンド交通", "正式名称に合わせた")

    with pytest.raises(Conflict):
        vocabulary.update_entry(db_session, entry.id, data, actor=coordinator, expected_version=entry.version + 1)
    vocabulary.update_entry(db_session, entry.id, data, actor=coordinator, expected_version=1)

    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "vocabulary:update"))
    assert (entry.variant, entry.version) == ("オンデマンド交通", 2)
    assert (event.before["variant"], event.after["variant"], event.reason) == (
        "乗合タクシー", "オンデマンド交通", "正式名称に合わせた")


def test_removing_needs_a_reason_and_the_current_version(db_session, coordinator) -> None:
    entry = _add(db_session, coordinator)

    with pytest.raises(ValidationError):
        vocabulary.remove_entry(db_session, entry.id, actor=coordinator, expected_version=1, reason=" ")
    with pytest.raises(Conflict):
        vocabulary.remove_entry(db_session, entry.id, actor=coordinator, expected_version=2, reason="誤り")
    vocabulary.remove_entry(db_session, entry.id, actor=coordinator, expected_version=1, reason="誤り")

    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "vocabulary:delete"))
    assert db_session.get(VocabularyEntry, entry.id) is None
    assert (event.actor_id, event.before["term"], event.reason) == (coordinator.id, "デマンド交通", "誤り")
