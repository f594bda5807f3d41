"""Every answer carries the browser's security headers; HSTS only over TLS."""

from __future__ import annotations

import pytest

from matchmaker import create_app

from .web import login

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
CSP_DIRECTIVES = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                  "form-action 'self'", "base-uri 'self'", "object-src 'none'"]


@pytest.mark.parametrize(("who", "path", "status"), [
    (None, "/", 200), (None, "/login", 200), (None, "/healthz", 200), (None, "/static/css/site.css", 200),
    (None, "/challenges", 302), (None, "/no-such-page", 404), ("officer", "/challenges", 200),
    ("coordinator", "/dashboard/rollouts.csv", 200), ("officer", "/challenges?page=²", 400),
])
def test_every_kind_of_answer_has_the_headers(demo_app, who, path: str, status: int) -> None:
    client = demo_app.test_client() if who is None else login(demo_app.test_client(), who)

    response = client.get(path)
    response.close()  # a static file answer holds the file open

    assert response.status_code == status
    for name, value in REQUIRED.items():
        assert response.headers[name] == value
    policy = response.headers["Content-Security-Policy"]
    assert [d for d in CSP_DIRECTIVES if d not in policy] == []
    assert "unsafe-inline" not in policy
    assert "Strict-Transport-Security" not in response.headers


def test_a_too_large_request_still_gets_the_headers(demo_app) -> None:
    response = demo_app.test_client().post("/login", data={"email": "x" * 2_000_000})

    assert response.status_code == 413
    assert "Content-Security-Policy" in response.headers


def test_hsts_over_tls(demo_app) -> None:
    response = demo_app.test_client().get("/", base_url="https://localhost")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_forwarded_proto_is_ignored_without_trusted_proxies(demo_app) -> None:
    response = demo_app.test_client().get("/", headers={"X-Forwarded-Proto": "https"})

    assert "Strict-Transport-Security" not in response.headers


def test_a_trusted_proxy_decides_the_scheme(demo_app) -> None:
    proxied = create_app({**demo_app.config, "TRUSTED_PROXIES": 1})

    response = proxied.test_client().get("/", headers={"X-Forwarded-Proto": "https"})

    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(("who", "path"), [("officer", "/challenges/1"), ("officer", "/municipality"),
                                           ("member", "/company"), ("coordinator", "/coordination")])
def test_pages_need_no_inline_style_or_script(demo_app, who: str, path: str) -> None:
    """The policy forbids inline styles and scripts, so the pages must not rely on any."""
    page = login(demo_app.test_client(), who).get(path).text

    assert "strength--" in page  # match strengths are drawn by classes
    assert " style=" not in page and "<script>" not in page and "<style" not in page
    assert " onclick=" not in page and " onsubmit=" not in page and " onchange=" not in page
