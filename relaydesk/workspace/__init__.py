"""The agent workspace in the browser: server-rendered pages, kept live with htmx 2.

``router`` serves ``/workspace``; ``static_files()`` serves ``/workspace/static`` (htmx, the
stylesheet, a small script). Both are added to the app in ``relaydesk.app.create_app``.
"""

from starlette.staticfiles import StaticFiles

from relaydesk.workspace.render import STATIC_DIR
from relaydesk.workspace.routes import router

STATIC_PATH = "/workspace/static"


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


__all__ = ["STATIC_PATH", "router", "static_files"]
