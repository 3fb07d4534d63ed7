"""The OpenAPI document and the docs page at /api/: no login needed (they hold no data), the
Swagger UI files come from the installed package through our static files (no CDN) and the
page runs no inline script, so the strict CSP holds."""

import re

from django.contrib.staticfiles import finders
from django.test import Client


def test_openapi_document_describes_bearer_tokens_and_the_error_shape(db):
    response = Client().get("/api/openapi.json")
    schema = response.json()
    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "detail",
        "code",
        "errors",
    }
    realise = schema["paths"]["/api/v1/work-plan-activities/{activity_id}/realisation"]["put"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(realise["responses"])


def test_docs_page_uses_local_files_and_no_inline_script(db):
    response = Client().get("/api/")
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/static/ninja/swagger-ui.css" in html
    assert "cdn" not in html.lower()
    # Every script is a file, except the settings block, which is JSON data and never runs.
    assert all('src="' in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert finders.find("ninja/swagger-ui-bundle.js") is not None
    assert finders.find("ninja/swagger-ui-init.js") is not None


def test_no_two_schemas_or_enums_share_a_name():
    """The OpenAPI document names components after their classes: a second `Status` would
    silently replace the first (schemathesis found exactly that)."""
    import enum
    import inspect

    from ninja import Schema

    from api.endpoints import core, lke, meetings, monitoring, program, reports

    seen = {}
    for module in (core, program, reports, meetings, lke, monitoring):
        for value in vars(module).values():
            if inspect.isclass(value) and (
                issubclass(value, Schema) or issubclass(value, enum.Enum)
            ):
                seen.setdefault(value.__name__, set()).add(value)
    assert {name: classes for name, classes in seen.items() if len(classes) > 1} == {}
