"""The browser console and store app at /console: the files `console/` builds (Vite), served as they are.
They ship inside the package (oms_graph/console) or come from OMS_CONSOLE_DIR; where none were built, the API
is served alone. Nothing is fetched from elsewhere at run time: the built files hold all they need."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from oms_graph.config import Settings

log = logging.getLogger(__name__)
SHIPPED = Path(__file__).resolve().parents[1] / "console"  # where the build puts its files in the package


def console_folder(settings: Settings) -> Path | None:
    """The built console's folder, when it is to be served and was built (it has an index.html)."""
    if not settings.console_enabled:
        return None
    folder = Path(settings.console_dir) if settings.console_dir else SHIPPED
    if not (folder / "index.html").is_file():
        log.info("no console built at %s: the API is served alone", folder)
        return None
    return folder


def console_routes(settings: Settings) -> list[BaseRoute]:
    """/console/ and its files (index.html for the folder itself), or nothing."""
    folder = console_folder(settings)
    if folder is None:
        return []
    return [Mount("/console", app=StaticFiles(directory=folder, html=True), name="console")]
