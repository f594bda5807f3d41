def test_healthz_reports_database_ok(client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_broken_database(app, tmp_path) -> None:
    app.extensions["sqlalchemy_engine"].dispose()
    from matchmaker.db import make_engine

    app.extensions["sqlalchemy_engine"] = make_engine(f"sqlite:///{tmp_path}/missing-dir/x.sqlite3")

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["database"] == "error"


def test_home_page_is_japanese_by_default(client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert '<html lang="ja">' in response.text
    assert "地域課題" in response.text


def test_unknown_page_renders_the_404_page(client) -> None:
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert "ページが見つかりません" in response.text


def test_language_switch_translates_the_page_and_refuses_open_redirects(client) -> None:
    switched = client.post("/language", data={"lang": "en", "next": "//evil.example/"})
    page = client.get("/")

    assert switched.status_code == 302 and switched.headers["Location"] == "/"
    assert '<html lang="en">' in page.text
    assert "Connecting local issues and technologies" in page.text


def test_pages_reference_no_external_assets(client) -> None:
    page = client.get("/").text

    assert "http://" not in page.replace("http://localhost", "")
    assert "https://" not in page


def test_pages_link_an_icon_that_exists(client) -> None:
    page = client.get("/").text
    href = page.split('rel="icon" href="', 1)[1].split('"', 1)[0]

    with client.get(href) as icon:  # a static file response holds the file open until closed
        status, mimetype = icon.status_code, icon.mimetype
    legacy = client.get("/favicon.ico")

    assert status == 200 and mimetype == "image/svg+xml"
    assert legacy.status_code == 301 and legacy.headers["Location"].endswith(href)
