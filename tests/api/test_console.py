"""/console: the built browser console is served where it was built and wanted; without it the API goes on
alone."""

from __future__ import annotations

from pathlib import Path

import httpx

from oms_graph.app import create_app
from oms_graph.config import Settings
from tests.conftest import serving


def built(folder: Path) -> Path:
    """What a Vite build leaves: index.html and hashed assets."""
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text(
        '<!doctype html><div id="app"></div><script src="./assets/app-1a2b.js"></script>'
    )
    (folder / "assets" / "app-1a2b.js").write_text("document.getElementById('app').textContent = 'oms-graph';")
    return folder


def settings_for(database, **extra) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(database_url=database.engine.url.render_as_string(hide_password=False), background=False, **extra)


async def test_the_built_console_is_served_with_its_assets(database, tmp_path: Path):
    folder = built(tmp_path / "console")
    async with serving(create_app(settings_for(database, console=True, console_dir=str(folder)), db=database)) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            page = await client.get("/console/")
            script = await client.get("/console/assets/app-1a2b.js")
            bare = await client.get("/console", follow_redirects=True)
            api = await client.get("/healthz")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<div id="app">' in page.text and bare.text == page.text
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert api.status_code == 200


async def test_no_console_when_it_is_switched_off_or_was_never_built(database, tmp_path: Path):
    folder = built(tmp_path / "console")
    off = settings_for(database, console=False, console_dir=str(folder))
    missing = settings_for(database, console=True, console_dir=str(tmp_path / "nothing-here"))
    for settings in (off, missing):
        async with serving(create_app(settings, db=database)) as url, httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/console/")).status_code == 404
            assert (await client.get("/healthz")).status_code == 200  # the API alone
