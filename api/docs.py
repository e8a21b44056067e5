"""/redoc from the ReDoc bundle on disk (`fastapi-offline`'s), with its one network request taken out.

`fastapi-offline` serves Swagger UI (/docs) and ReDoc without a CDN; ReDoc's sidebar still fetches its maker's
logo from cdn.redoc.ly. The bundle is served here with that address pointed at the local favicon, so an offline
browser makes no request outside the server.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, Response

STATIC = Path(fastapi_offline.__file__).parent / "static"
STATIC_URL = "/static-offline-docs"  # where fastapi-offline mounts its assets
CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def redoc_bundle() -> bytes:
    return (STATIC / "redoc.standalone.js").read_text(encoding="utf-8").replace(CDN_LOGO, f"{STATIC_URL}/favicon.png").encode()


def install_redoc(app: FastAPI, path: str = "/redoc") -> None:
    @app.get(f"{path}/redoc.standalone.js", include_in_schema=False)
    def bundle() -> Response:
        return Response(redoc_bundle(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    @app.get(path, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{root}{path}/redoc.standalone.js", with_google_fonts=False,
                              redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png")
