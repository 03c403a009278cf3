"""The page's own files (its "app shell"): served with their content types and cache headers, and
listed, with a hash of their contents, in the service worker (``/sw.js``) that caches them.

Only these files are ever cached by the browser's service worker; what the gateway answers on
``/ws``, ``/status`` or any other path (health data among it) is sent with ``no-store`` and is
not on the list. The hash changes with any file, so a changed page brings a new worker and cache.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict

from aiohttp import web

STATIC = Path(__file__).with_name("static")
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
         ".svg": "image/svg+xml", ".png": "image/png", ".webmanifest": "application/manifest+json"}
ROOT_FILES = {"/": "index.html", "/manifest.webmanifest": "manifest.webmanifest"}
"""Files served at the root: the page, and its manifest (whose scope is then the whole site)."""
VENDOR = Path(__file__).with_name("vendor") / "node_modules"
VENDOR_FILES = {"/static/vendor/uPlot.iife.min.js": "uplot/dist/uPlot.iife.min.js",
                "/static/vendor/uPlot.min.css": "uplot/dist/uPlot.min.css"}
"""The chart library (installed by scripts/setup.sh from stretch_web/vendor/package-lock.json),
served from this machine; missing when npm was not there (the history view then shows tables)."""
UNLISTED = {"sw.js", "index.html", "manifest.webmanifest"}
"""Files of the static folder not served under /static/: the worker's script, and the root's."""
FRESH = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
"""The page's files: the browser asks again each time (the service worker answers offline)."""
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
"""Everything else the gateway answers: kept by no cache."""


def shell_files(static: Path = STATIC, vendor: Path = VENDOR) -> Dict[str, Path]:
    """URL path -> file of every file the page needs, the worker's own script excepted."""
    files = {url: static / name for url, name in ROOT_FILES.items()}
    files.update({url: vendor / name for url, name in VENDOR_FILES.items()
                  if (vendor / name).is_file()})
    for path in sorted(static.rglob("*")):
        if path.is_file() and path.suffix in TYPES and path.name not in UNLISTED:
            files["/static/" + path.relative_to(static).as_posix()] = path
    return files


class Shell:
    """The page's files as the gateway serves them, and the service worker that caches them."""

    def __init__(self, static: Path = STATIC) -> None:
        self.files = shell_files(static)
        digest = hashlib.sha256()
        for url, path in self.files.items():
            digest.update(url.encode() + b"\0" + path.read_bytes() + b"\0")
        self.version = digest.hexdigest()[:16]
        self.worker = (f"const VERSION = {json.dumps(self.version)};\n"
                       f"const SHELL = {json.dumps(list(self.files))};\n"
                       + (static / "sw.js").read_text(encoding="utf-8"))

    def add_routes(self, app: web.Application) -> None:
        for url in self.files:
            app.router.add_get(url, self.file)
        app.router.add_get("/sw.js", self.service_worker)

    async def file(self, request: web.Request) -> web.FileResponse:
        path = self.files[request.path]
        return web.FileResponse(path, headers={**FRESH, "Content-Type": TYPES[path.suffix]})

    async def service_worker(self, _request: web.Request) -> web.Response:
        return web.Response(text=self.worker, content_type="text/javascript",
                            headers={**FRESH, "Service-Worker-Allowed": "/"})


@web.middleware
async def no_store(request: web.Request, handler) -> web.StreamResponse:
    """Every answer that is not one of the page's files is kept by no cache."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # 404 and the like
        exc.headers.update(NO_STORE)
        raise
    if "Cache-Control" not in response.headers and not response.prepared:
        response.headers.update(NO_STORE)
    return response
