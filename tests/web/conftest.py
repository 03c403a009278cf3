"""The web page's fixtures: the real coach servers, with holds at their real length (so a spoken
"ouch" lands inside one), and a gateway per test module (see web_harness.py)."""

from __future__ import annotations

import pytest

from lab.harness.servers import MODEL, Gateway, Servers, free_port, free_ports
from web_harness import TIME_SCALE

@pytest.fixture(scope="session")
def web_servers(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run scripts/setup.sh (make install) first")
    s = Servers(tmp_path_factory.mktemp("web-servers"), *free_ports(2), TIME_SCALE)
    try:
        s.start()
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def gateway(web_servers, tmp_path_factory, request):
    port = free_port()
    g = Gateway(web_servers.url, tmp_path_factory.mktemp("gateway"), port, linger=8.0)
    try:
        yield g
    finally:
        g.stop()
        if request.session.testsfailed:
            print(f"gateway log: {g.log}\n{g.log.read_text()[-2000:]}")
