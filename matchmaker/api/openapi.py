"""The OpenAPI 3.1 document, built from the endpoint declarations (views.OPERATIONS) and the pydantic
models that validate requests and answers (JSON Schema 2020-12, which OpenAPI 3.1 uses as is),
and the reference page rendered from it on the server (no script, no CDN)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import render_template
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..parsing import MAX_ID
from . import schemas as s
from .views import OPERATIONS, Operation

TITLE = "matchmaker API"
VERSION = "1.0.0"
REF = "#/components/schemas/{model}"
_RULE_PARAMETER = re.compile(r"<(?:int:)?([a-z_]+)>")

ERROR_DESCRIPTIONS = {
    400: "Bad input: a malformed body or query, or values the pages would refuse (`fields` names them).",
    401: "No token, or an unknown or revoked one (`WWW-Authenticate: Bearer`).",
    403: "The caller may not do this (`forbidden`), or the token is read-only (`insufficient_scope`).",
    404: "No such record, or not one the caller may see.",
    412: "`If-Match` names a version that is no longer current: fetch the record again.",
    413: "The body is larger than the limit (1 MiB by default).",
    415: "The body is not `application/json`.",
    428: "An update without `If-Match`.",
    429: "Past the token's requests per minute; `Retry-After` says when to try again.",
}
TAG_DESCRIPTIONS = {
    "challenges": "Municipal issues (地域課題).",
    "technologies": "Technologies and solutions (技術・ソリューション).",
    "rankings": "Matches with their reasons, as the pages show them.",
    "projects": "Projects with their stage history, for those who play a part in them.",
    "meta": "This document and its reference page.",
}


def _models() -> tuple[list[type[BaseModel]], list[type[BaseModel]]]:
    inputs = {op.body for op in OPERATIONS if op.body} | {op.query for op in OPERATIONS if op.query}
    outputs = {op.response for op in OPERATIONS if op.response} | {s.Error}
    return (sorted(inputs, key=lambda m: m.__name__),
            sorted(outputs, key=lambda m: m.__name__))


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the null branch of `X | None`."""
    options = schema.get("anyOf")
    if options and any(o == {"type": "null"} for o in options):
        rest = [o for o in options if o != {"type": "null"}]
        schema = {k: v for k, v in schema.items() if k not in ("anyOf", "default")} | (
            rest[0] if len(rest) == 1 else {"anyOf": rest})
    return schema


def _query_parameters(model: type[BaseModel], components: dict[str, Any]) -> list[dict[str, Any]]:
    schema = components[model.__name__]
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _without_null(dict(prop))
        description = prop.pop("description", None)
        prop.pop("title", None)
        parameters.append({"name": name, "in": "query", "required": False, "schema": prop,
                           **({"description": description} if description else {})})
    return parameters


def _error(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {"description": ERROR_DESCRIPTIONS.get(status, "Error."),
                                "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def _operation(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
        for name in _RULE_PARAMETER.findall(op.rule)]
    if op.query is not None:
        parameters += _query_parameters(op.query, components)
    if op.if_match:
        parameters.append({"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                           "description": "The ETag of the version the change is based on (required: 428 without)."})
    operation: dict[str, Any] = {"operationId": op.endpoint.split(".")[-1], "summary": op.summary, "tags": [op.tag]}
    if op.description:
        operation["description"] = op.description
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": {"$ref": REF.format(model=op.body.__name__)}}}}
    success: dict[str, Any] = {"description": "OK" if op.status == 200 else "Created"}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": {"$ref": REF.format(model=op.response.__name__)}}}
    else:
        success["content"] = {"application/json" if op.rule.endswith(".json") else "text/html": {"schema": {}}}
    headers: dict[str, Any] = {}
    if op.etag:
        headers["ETag"] = {"description": "Send it back in If-Match to update.", "schema": {"type": "string"}}
    if op.status == 201:
        headers["Location"] = {"schema": {"type": "string"}}
    if headers:
        success["headers"] = headers
    statuses = set(op.errors) | {400}  # the input guard answers 400 on any route (control characters)
    if op.scope is not None:
        statuses |= {401, 429}
        operation["security"] = [{"bearer": []}]
    if op.scope == "write":
        statuses.add(403)
        operation["description"] = (operation.get("description", "") + "\n\nNeeds a token with the `write` scope.").strip()
    operation["responses"] = {str(op.status): success} | {str(code): _error(code) for code in sorted(statuses)}
    return operation


@cache
def document() -> dict[str, Any]:
    """The whole document (built once per process: it depends on code only)."""
    inputs, outputs = _models()
    _, definitions = models_json_schema(
        [(m, "validation") for m in inputs] + [(m, "serialization") for m in outputs], ref_template=REF)
    components = dict(definitions.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path = "/api/v1" + _RULE_PARAMETER.sub(r"{\1}", op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, components)
    for model in {op.query for op in OPERATIONS if op.query}:
        components.pop(model.__name__, None)  # described as parameters instead
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": (
            "The partner-matching service of the Osaka Smart City Partners Forum. Authenticate with a "
            "personal API token (`Authorization: Bearer …`), created on the API tokens page; every call "
            "has the same permissions as the pages. Errors: `{\"error\": {\"code\", \"message\"}}`.")},
        "tags": [{"name": name, "description": text} for name, text in TAG_DESCRIPTIONS.items()],
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items())),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "A personal API token (mm_…)."}}},
    }


# -- the reference page ------------------------------------------------------------------------------
def _type_of(schema: dict[str, Any]) -> str:
    """A short human reading of a JSON Schema: `string`, `array of Technology`, `Maturity | null`."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema or "oneOf" in schema:
        return " | ".join(_type_of(o) for o in schema.get("anyOf", schema.get("oneOf", [])))
    if "const" in schema:
        return repr(schema["const"])
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        return f"object of {_type_of(schema['additionalProperties'])}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def render_reference() -> str:
    doc = document()
    operations = [(path, method.upper(), op) for path, item in doc["paths"].items() for method, op in item.items()]
    schemas = doc["components"]["schemas"]
    return render_template("api/reference.html", doc=doc, operations=operations, schemas=schemas, type_of=_type_of)
