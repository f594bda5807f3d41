"""Steps a person takes, and the accessibility check every journey runs on every page."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

_AXE = Axe()
BLOCKING = {"serious", "critical"}


def assert_accessible(page) -> None:
    """axe-core on the page as it is now: no serious or critical violations."""
    results = _AXE.run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}" for v in blocking
    )
    assert not blocking, f"{page.url}\n{details}"


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    assert_accessible(page)
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state("load")
