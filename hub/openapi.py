"""The OpenAPI description of the hub's JSON API (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from contactpoint import regional_needs

_CELL: dict[str, Any] = {
    "oneOf": [{"type": "number"}, {"type": "null"}, {"type": "string", "enum": ["< 5"]}],
    "description": 'the figure, null when nothing to compute it from, or "< 5" for a cell under 5 visits',
}
_BUCKET: dict[str, Any] = {
    "oneOf": [
        {"type": "object", "properties": {"low_s": {"type": "integer"}, "high_s": {"type": ["integer", "null"]}}},
        {"type": "null"},
        {"type": "string", "enum": ["< 5"]},
    ],
    "description": "the histogram bucket holding the percentile: low_s <= value < high_s (high_s null: open)",
}
_PARAMS = [
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "first day (at most 400 days before `to`; a later `from` than `to` is a 400)"},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "last day"},
    {"name": "by", "in": "query", "schema": {"type": "string", "enum": ["need", "hour", "day", "week", "month"]}},
    {"name": "code", "in": "query", "schema": {"type": "string", "enum": list(regional_needs.load().codes())},
     "description": "one regional need code (contactpoint/regional_needs.toml)"},
]

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "contactpoint regional hub", "version": "1", "description": "docs/hub.md"},
    "paths": {
        "/api/v1/figures": {
            "get": {
                "summary": "Every site's figures side by side per regional need code (login required: a session)",
                "parameters": _PARAMS,
                "responses": {
                    "200": {
                        "description": "one row per (code, slot, site), then the code's total with site 'all'",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Figures"}}},
                    },
                    "400": {"description": "a bad parameter: {error, field, message}"},
                    "401": {"description": "not logged in"},
                },
            }
        },
        "/ingest/v1/{site_id}": {
            "post": {
                "summary": "A box's signed report (contactpoint/report_format.py; Standard Webhooks headers)",
                "parameters": [{"name": "site_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "stored: {ok, changed}"},
                    "400": {"description": "malformed: {error, message, field}"},
                    "401": {"description": "unsigned, bad signature or clock skew"},
                    "404": {"description": "unknown site"},
                    "409": {"description": "replayed webhook-id"},
                    "413": {"description": "body too large"},
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Figures": {
                "type": "object",
                "properties": {
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"},
                    "by": {"type": "string"},
                    "suppressed_below": {"type": "integer"},
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "slot": {"type": ["string", "integer", "null"]},
                                "site": {"type": "string"},
                                **{k: _CELL for k in ("visits", "issued", "served", "contacts", "service_level",
                                                      "no_show_rate", "first_line_resolution", "csat",
                                                      "happy_index", "response_rate")},  # fmt: skip
                                **{k: _BUCKET for k in ("wait_p50", "wait_p90", "service_p50", "service_p90")},
                                "referrals": {"oneOf": [{"type": "object"}, {"type": "string", "enum": ["< 5"]}]},
                            },
                        },
                    },
                },
            }
        }
    },
}
