"""The anonymised public pipeline (no login): an index page and each dataset as CSV or JSON."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template

from .. import tabular
from ..db import get_session
from ..queries import opendata

bp = Blueprint("opendata", __name__, url_prefix="/open-data")


@bp.get("")
def index():  # type: ignore[no-untyped-def]
    datasets = [opendata.dataset(get_session(), key) for key in opendata.BUILDERS]
    return render_template("opendata/index.html", datasets=datasets, suppress_below=opendata.SUPPRESS_BELOW,
                           license=opendata.LICENSE)


@bp.get("/<key>.<fmt>")
def download(key: str, fmt: str):  # type: ignore[no-untyped-def]
    data = opendata.dataset(get_session(), key)
    if data is None or fmt not in ("csv", "json"):
        abort(404)
    if fmt == "json":
        body = json.dumps(data.as_dict(), ensure_ascii=False, indent=1).encode("utf-8")
        return Response(body, content_type="application/json; charset=utf-8",
                        headers={"Access-Control-Allow-Origin": "*"})
    rows = [[_csv_value(row[c]) for c in data.columns] for row in data.rows]
    return Response(tabular.to_csv(data.columns, rows), content_type=tabular.CSV_TYPE,
                    headers={"Content-Disposition": f"attachment; filename=ospf-opendata-{key}.csv",
                             "Access-Control-Allow-Origin": "*"})


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
