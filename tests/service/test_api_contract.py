"""Whole-API promises: every endpoint declares its permission, every schema shows examples."""

from typing import Any

import httpx
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from nexus.core.security import public, require
from nexus.gateway.app import all_services


def _declared(dependant: Dependant) -> set[str]:
    found = set()
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, require):
            found.add(str(dependency.call.permission))
        elif isinstance(dependency.call, public):
            found.add("public")
        found |= _declared(dependency)
    return found


def test_every_endpoint_declares_exactly_one_permission() -> None:
    routes = [
        (path, route)
        for spec in all_services()
        for path, router in spec.routers()
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    assert len(routes) >= 39
    undeclared = {
        f"{sorted(route.methods)} /api/v1/{name}{route.path}": _declared(route.dependant)
        for name, route in routes
    }
    assert {route: found for route, found in undeclared.items() if len(found) != 1} == {}


def _has_examples(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    if "examples" in schema or "example" in schema or "enum" in schema or "const" in schema:
        return True
    if "$ref" in schema:
        return True  # the referenced component is checked on its own
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return all(
                _has_examples(part, components)
                for part in schema[key]
                if part.get("type") != "null"
            )
    if schema.get("type") == "array":
        return _has_examples(schema.get("items", {}), components)
    return False


async def test_openapi_is_served_and_every_schema_field_has_an_example(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/api/v1/openapi.json")).json()
    assert (await client.get("/api/docs")).status_code == 200
    components = document["components"]["schemas"]
    missing = []
    for name, schema in components.items():
        if name in {"HTTPValidationError", "ValidationError"} or "examples" in schema:
            continue
        missing += [
            f"{name}.{field}"
            for field, spec in schema.get("properties", {}).items()
            if not _has_examples(spec, components)
        ]
    assert missing == []
