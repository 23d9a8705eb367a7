"""The widget's script and style, and the demo shop page that embeds them like a customer would.

``/widget/widget.js`` may be loaded from any site (a ``<script>`` needs no CORS); the page that
embeds it points it at this server with ``data-relaydesk``. ``/demo`` is a small shop, Stride
Running Co., with no external assets; ``/`` leads there.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from relaydesk import __version__

HERE = Path(__file__).parent
STATIC = HERE / "static"
CACHE = {"Cache-Control": "public, max-age=300"}
templates = Jinja2Templates(directory=HERE / "templates")

router = APIRouter(include_in_schema=False)


@router.get("/widget/widget.js")
def widget_script() -> FileResponse:
    return FileResponse(STATIC / "widget.js", media_type="text/javascript", headers=CACHE)


@router.get("/widget/widget.css")
def widget_style() -> FileResponse:
    return FileResponse(STATIC / "widget.css", media_type="text/css", headers=CACHE)


@router.get("/demo", response_class=HTMLResponse)
def demo_page(request: Request) -> HTMLResponse:
    """The demo shop, with the widget embedded the way a customer's site would embed it."""
    server = str(request.base_url).rstrip("/")
    context = {"server": server, "version": __version__}
    return templates.TemplateResponse(request, "demo.html", context)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/demo", status_code=302)
