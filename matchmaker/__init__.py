"""The matchmaker Flask application: factory, views, domain actions and permissions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import config as _config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Nothing else happens at import time."""
    instance_path = Path(os.environ.get("MATCHMAKER_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(_config.default_config(instance_path))
    if test_config is None:
        app.config.from_mapping(_config.from_environment())
    else:
        app.config.from_mapping(test_config)
    _config.finalize(app.config, instance_path)

    from . import alerts, api, auth, cli, db, errors, i18n, jobs, mail, matching, security, templating, views

    security.init_url_converters(app)

    db.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    jobs.init_app(app)
    mail.init_app(app)
    alerts.init_app(app)
    matching.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    views.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    return app
