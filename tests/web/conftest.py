"""The web page's fixtures: the real coach servers, with holds at their real length (so a spoken
"ouch" lands inside one), and a gateway per test module (see web_harness.py)."""

from __future__ import annotations

import pytest

from lab.harness.servers import MODEL, Servers, free_ports
from web_harness import TIME_SCALE, running_gateway


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
    with running_gateway(web_servers, tmp_path_factory.mktemp("gateway"), request, 8.0) as g:
        yield g
