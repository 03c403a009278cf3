"""The page's own files as the gateway serves them (stretch_web/shell.py), without the coach: their
content types and cache headers (the chart library's included), the service worker's list and version, nothing else served from
the static folder's neighbourhood, the manifest's icons, and the icons being what
lab/web_icons.py draws."""

from __future__ import annotations

import asyncio
import json
import re
import shutil

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from PIL import Image, ImageChops

from lab import web_icons
from stretch_web.gateway import Gateway
from stretch_web.shell import STATIC, Shell, shell_files


def fetch_all(paths: list[str], app: web.Application) -> dict:
    """path -> (status, headers, body) from the app, served on a local port."""

    async def run() -> dict:
        server = TestServer(app)
        await server.start_server()
        try:
            async with ClientSession() as http:
                out = {}
                for path in paths:
                    async with http.get(server.make_url(path)) as r:
                        out[path] = (r.status, dict(r.headers), await r.read())
                return out
        finally:
            await server.close()

    return asyncio.run(run())


@pytest.fixture(scope="module")
def served():
    app = Gateway("http://127.0.0.1:9", recognizer=None).app()
    paths = [*shell_files(), "/sw.js", "/status", "/static/sw.js", "/static/../gateway.py",
             "/static/%2e%2e/gateway.py", "/static/nothing.js", "/index.html"]
    return fetch_all(paths, app)


def test_each_file_has_its_type_and_is_asked_for_again(served):
    types = {"/": "text/html", "/manifest.webmanifest": "application/manifest+json",
             "/static/app.js": "text/javascript", "/static/style.css": "text/css",
             "/static/icons/icon.svg": "image/svg+xml", "/static/icons/icon-192.png": "image/png",
             "/static/vendor/uPlot.iife.min.js": "text/javascript",  # npm ci at set-up
             "/static/vendor/uPlot.min.css": "text/css"}
    for path, kind in types.items():
        status, headers, body = served[path]
        assert status == 200 and headers["Content-Type"].startswith(kind), (path, headers)
        assert body
    for path in shell_files():
        status, headers, _ = served[path]
        assert status == 200 and headers["Cache-Control"] == "no-cache", path
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_worker_lists_exactly_the_pages_files(served):
    status, headers, body = served["/sw.js"]
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert headers["Service-Worker-Allowed"] == "/" and headers["Cache-Control"] == "no-cache"
    text = body.decode()
    listed = json.loads(re.search(r"^const SHELL = (.*);$", text, re.M).group(1))
    assert listed == list(shell_files()) and "/status" not in listed and "/ws" not in listed
    assert re.search(r'^const VERSION = "[0-9a-f]{16}";$', text, re.M)


def test_anything_else_is_not_stored_or_not_served(served):
    status, headers, _ = served["/status"]
    assert status == 200 and headers["Cache-Control"] == "no-store"
    for path in ("/static/sw.js", "/static/../gateway.py", "/static/%2e%2e/gateway.py",
                 "/static/nothing.js", "/index.html"):
        status, headers, _ = served[path]
        assert status == 404 and headers["Cache-Control"] == "no-store", path


def test_a_changed_file_changes_the_version(tmp_path):
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    before = Shell(copy).version
    assert Shell(copy).version == before, "the same files, the same version"
    (copy / "style.css").write_text((copy / "style.css").read_text() + "\n/* changed */\n")
    assert Shell(copy).version != before


def test_the_manifest_names_icons_that_exist_at_their_size():
    manifest = json.loads((STATIC / "manifest.webmanifest").read_text())
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    purposes = set()
    for icon in manifest["icons"]:
        path = STATIC / icon["src"].removeprefix("/static/")
        assert path.is_file(), icon
        purposes.add(icon["purpose"])
        if icon["type"] == "image/png":
            w, h = (int(n) for n in icon["sizes"].split("x"))
            assert Image.open(path).size == (w, h), icon
    assert {"any", "maskable"} <= purposes
    assert any(i["sizes"] == "512x512" and i["purpose"] == "any" for i in manifest["icons"])


def test_the_icons_are_what_the_script_draws(tmp_path):
    made = web_icons.write(tmp_path)
    for path in made:
        kept = STATIC / "icons" / path.name
        if path.suffix == ".svg":
            assert kept.read_text() == path.read_text()
            continue
        a, b = Image.open(kept).convert("RGBA"), Image.open(path).convert("RGBA")
        assert a.size == b.size and ImageChops.difference(a, b).getbbox() is None, path.name
