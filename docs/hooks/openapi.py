"""A MkDocs hook: the API reference page, rendered from the OpenAPI document the API itself makes
(`app.get_openapi_json_schema()`), at every build. The page can then never describe a route, a
parameter or a field the code does not have; the document itself is published beside it.

The rendering is a few tables of Markdown rather than a Swagger page: it builds offline, reads
without JavaScript, and the site's search finds every route and field.
"""

from __future__ import annotations

import json
from typing import Any

PAGE = "api-reference.md"
DOCUMENT = "openapi.json"
METHODS = ("get", "post", "put", "delete", "patch")


def openapi_document() -> dict[str, Any]:
    """The document `/openapi.json` serves, made from the app as the API function would make it."""
    from jobdeck.api.app import openapi

    body = openapi().body
    assert body is not None  # Response's body may be None in general; this one is the document
    document: dict[str, Any] = json.loads(body)
    return document


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    document = openapi_document()
    files.append(File.generated(config, PAGE, content=render(document)))
    files.append(File.generated(config, DOCUMENT, content=json.dumps(document, indent=2)))
    return files


# ------------------------------------------------------------------ rendering


def render(document: dict[str, Any]) -> str:
    schemas = document.get("components", {}).get("schemas", {})
    info = document["info"]
    out = [
        "# API reference",
        "",
        f"{info['title']}, version {info['version']} (OpenAPI {document['openapi']}). This page is made",
        "at every build of the docs from the OpenAPI document the API serves at `/openapi.json`",
        f"([the same document]({DOCUMENT})). Every route below takes a bearer token (`Authorization: Bearer <JWT>`);",
        "[the API page](api.md) has examples and who may call what.",
        "",
    ]
    for tag, operations in _by_tag(document).items():
        out += [f"## {tag.capitalize()}", ""]
        for method, path, operation in operations:
            out += _operation(method, path, operation)
    out += ["## Schemas", ""]
    for name in sorted(schemas, key=str.lower):
        out += _schema(name, schemas[name])
    return "\n".join(out) + "\n"


def _by_tag(document: dict[str, Any]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    grouped: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path in sorted(document["paths"]):
        for method in METHODS:
            operation = document["paths"][path].get(method)
            if operation is not None:
                tag = (operation.get("tags") or ["other"])[0]
                grouped.setdefault(tag, []).append((method, path, operation))
    return grouped


def _operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    out = [f"### `{method.upper()} {path}`", "", _text(operation.get("summary", "")) + ".", ""]
    if operation.get("description"):
        out += [_text(operation["description"]), ""]
    parameters = operation.get("parameters", [])
    if parameters:
        out += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in parameters:
            schema = p.get("schema", {})
            required = "yes" if p.get("required") else "no"
            described = _describe(schema, p.get("description"))
            out.append(f"| `{p['name']}` | {p['in']} | {_type(schema)} | {required} | {described} |")
        out.append("")
    body = operation.get("requestBody")
    if body:
        out += [f"Body: {_type(_media(body).get('schema', {}))}.", ""]
    out += ["| status | meaning | body |", "|---|---|---|"]
    for status in sorted(operation.get("responses", {})):
        response = operation["responses"][status]
        media = _media(response)
        shown = _type(media["schema"]) if media.get("schema") else "-"
        out.append(f"| {status} | {_text(response.get('description', ''))} | {shown} |")
    return [*out, ""]


def _media(part: dict[str, Any]) -> dict[str, Any]:
    """The first media type of a request body or a response (the API speaks JSON only)."""
    content: dict[str, dict[str, Any]] = part.get("content", {})
    return next(iter(content.values()), {})


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    out = [f"### {name} {{#{_anchor(name)}}}", ""]
    if schema.get("description"):
        out += [_text(schema["description"]), ""]
    if "enum" in schema:
        return [*out, "One of " + ", ".join(f"`{v}`" for v in schema["enum"]) + ".", ""]
    properties = schema.get("properties", {})
    if not properties:
        return [*out, f"Type: {_type(schema)}.", ""]
    required = set(schema.get("required", []))
    out += ["| field | type | required | description |", "|---|---|---|---|"]
    for field, spec in properties.items():
        out.append(f"| `{field}` | {_type(spec)} | {'yes' if field in required else 'no'} | {_describe(spec, None)} |")
    return [*out, ""]


def _anchor(name: str) -> str:
    return f"schema-{name.lower()}"


def _type(schema: dict[str, Any]) -> str:
    """A schema in a few words: `string`, [JobIn](#...), array of [ActionIn](#...), ... or null."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    for combiner in ("anyOf", "oneOf", "allOf"):
        if combiner in schema:
            return " or ".join(_type(option) for option in schema[combiner])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(f"`{k}`" for k in kind)
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {_type(schema['additionalProperties'])}"
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if kind is None:
        return "any"
    return f"`{kind}`"


def _describe(schema: dict[str, Any], description: str | None) -> str:
    """The description, then the constraints and the default the schema states."""
    for option in schema.get("anyOf", []):  # an optional field keeps its constraints in its non-null branch
        if option.get("type") != "null":
            schema = {**option, **{k: v for k, v in schema.items() if k != "anyOf"}}
    parts = [_text(description or schema.get("description", ""))]
    limits = {
        "minimum": "at least {}",
        "maximum": "at most {}",
        "minLength": "at least {} characters",
        "maxLength": "at most {} characters",
        "minItems": "at least {} items",
        "maxItems": "at most {} items",
        "pattern": "matches `{}`",
    }
    for key, template in limits.items():
        if key in schema:
            value = schema[key]
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            parts.append(template.format(_text(shown)))
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    if "default" in schema:
        parts.append(f"default `{json.dumps(schema['default'])}`")
    return "; ".join(p for p in parts if p)


def _text(text: str) -> str:
    """Text that stays inside one table cell, and shows `<token>` rather than taking it for HTML."""
    spans = " ".join(str(text).split()).replace("|", "\\|").split("`")
    for i in range(0, len(spans), 2):  # outside code spans only: inside one, `&lt;` would show as is
        spans[i] = spans[i].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(spans)
