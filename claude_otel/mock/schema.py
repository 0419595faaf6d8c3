"""Tool inputs generated from a tool's ``input_schema``: required properties, types, enums, consts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MAX_DEPTH = 6


def example(schema: Any, name: str = "value", depth: int = 0) -> Any:
    """A value satisfying the (simple) JSON schema: const, enum, default, type, anyOf/oneOf first branch."""
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return "example"
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return example(schema[key][0], name, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        return example_object(schema, depth + 1)
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1) or 1))
        return [example(schema.get("items", {}), name, depth + 1) for _ in range(count)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = f"example {name}"
    min_length = int(schema.get("minLength", 0) or 0)
    return text + "x" * max(0, min_length - len(text))


def example_object(schema: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    required = schema.get("required")
    names = [n for n in required if isinstance(n, str)] if isinstance(required, list) else []
    return {n: example(properties.get(n, {}), n, depth) for n in names}
