"""A company manages its own people, within what an admin decided."""

from __future__ import annotations

import pytest

from matchmaker.actions import people
from matchmaker.domain.errors import PermissionDenied
from models import Role
from tests import factories


@pytest.mark.parametrize(("deactivated_by", "member_may_reactivate"), [("admin", False), ("member", True)])
def test_who_may_undo_a_deactivation(db_session, deactivated_by: str, member_may_reactivate: bool) -> None:
    company = factories.make_organization(db_session)
    member = factories.make_user(db_session, Role.COMPANY_MEMBER, organization=company)
    colleague = factories.make_user(db_session, Role.COMPANY_MEMBER, organization=company)
    admin = factories.make_user(db_session, Role.ADMIN)
    if deactivated_by == "admin":
        people.set_user_active(db_session, colleague.id, False, actor=admin)
    else:
        people.set_colleague_active(db_session, company.id, colleague.id, False, actor=member)
    db_session.flush()

    if member_may_reactivate:
        people.set_colleague_active(db_session, company.id, colleague.id, True, actor=member)
        assert colleague.is_active
    else:
        with pytest.raises(PermissionDenied):
            people.set_colleague_active(db_session, company.id, colleague.id, True, actor=member)
        assert not colleague.is_active
        people.set_user_active(db_session, colleague.id, True, actor=admin)  # the admin still may
        assert colleague.is_active
