"""The JSON API: one NinjaAPI, every operation behind a per-user token, read with the same
visibility functions as the pages and written through the same services.

Why django-ninja rather than Django REST framework + drf-spectacular: the OpenAPI 3 document
is generated from the type hints of the function views themselves (Pydantic schemas), so the
description cannot drift from the code; the views stay plain functions in the style of the
pages (authorise, validate, call one service, respond) instead of viewsets and serializers;
it is one package (plus Pydantic) instead of two with their own plugin layers; and it ships
the Swagger UI files inside the package, so the docs page needs no CDN and no inline script."""

from ninja import NinjaAPI

from .auth import read_auth
from .endpoints import core, lke, meetings, monitoring, program, reports
from .errors import install_handlers

api = NinjaAPI(
    title="Monev Desa Cantik API",
    version="1",
    description=(
        "Read the data you may see on the pages, and record work-plan realisations and LKE "
        "self-assessment answers. Authenticate with a personal token from your profile page: "
        "`Authorization: Bearer <token>`. Errors: `{detail, code, errors}`."
    ),
    auth=read_auth,
    urls_namespace="api",
    docs_url="/",
    openapi_url="/openapi.json",
)
install_handlers(api)

api.add_router("/v1/", core.router)
for module in (program, reports, meetings, lke, monitoring):
    api.add_router("/v1/", module.router)
