"""components/action_calls.py against Rasa's own RemoteAction: the cached validator accepts and
refuses exactly what Rasa's ``jsonschema.validate`` does, and with the patches on
(components/rasa_patches.py) calls keep their connection to the action server (a real HTTP server
here) across a restart."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from components import action_calls, rasa_patches

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "coach", "value": {"phase": "idle"}},
                {"event": "action_execution_rejected", "name": "x"}],
     "responses": [{"response": "utter_greet"}]},
    {},
]
BAD = [
    {"events": {"event": "slot"}},
    {"events": [{"name": "no event type"}]},
    {"events": [{"event": "slot", "name": "coach", "timestamp": "soon"}]},
    {"responses": ["not an object"]},
    [],
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def remote():
    return RemoteAction("action_next_step", None)


@pytest.fixture
def patched():
    """Our patches on Rasa for one test, Rasa as shipped after it."""
    rasa_patches.apply()
    yield
    rasa_patches.restore()


def test_rasa_validate_is_rasas_own():
    assert action_calls.RASA_VALIDATE.__module__ == "rasa.core.actions.action"
    assert action_calls.RASA_REMOTE_INIT.__module__ == "rasa.core.actions.action"


@pytest.mark.parametrize("result", GOOD)
def test_valid_responses_pass_both(remote, result):
    assert action_calls.RASA_VALIDATE(remote, result) is True
    assert action_calls.validate_action_result(remote, result) is True


@pytest.mark.parametrize("result", BAD)
def test_invalid_responses_are_refused_with_rasa_message(remote, result):
    with pytest.raises(ValidationError) as rasa_error:
        action_calls.RASA_VALIDATE(remote, result)
    with pytest.raises(ValidationError) as ours:
        action_calls.validate_action_result(remote, result)
    assert ours.value.message == rasa_error.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_without_the_patch_each_action_keeps_rasas_endpoint():
    rasa_patches.restore()
    endpoint = EndpointConfig("http://x")
    assert RemoteAction("a", endpoint).action_endpoint is endpoint


async def _webhook_server(port: int, seen: list) -> web.AppRunner:
    async def webhook(request: web.Request) -> web.Response:
        seen.append(request.transport.get_extra_info("peername")[1])  # the caller's port
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def test_action_calls_share_a_connection_and_survive_a_restarted_server(patched):
    port = free_port()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")

    async def scenario() -> None:
        seen: list = []
        runner = await _webhook_server(port, seen)
        a, b = RemoteAction("action_a", endpoint), RemoteAction("action_b", endpoint)
        assert a.action_endpoint is b.action_endpoint  # one pool for the endpoint
        for action in (a, b, a):
            assert await action.action_endpoint.request(json={}, method="post") == \
                {"events": [], "responses": []}
        for _ in range(2):  # Rasa's own endpoint: a connection per call
            await endpoint.request(json={}, method="post")
        assert len(set(seen[:3])) == 1, "kept-alive calls came on one connection"
        assert len(set(seen[3:])) == 2 and not set(seen[3:]) & set(seen[:3])

        await runner.cleanup()  # the action server restarts
        with pytest.raises(aiohttp.ClientConnectionError):  # down: Rasa's error, as before
            await a.action_endpoint.request(json={}, method="post")
        runner = await _webhook_server(port, seen)
        assert await b.action_endpoint.request(json={}, method="post") == \
            {"events": [], "responses": []}, "back up: the next call is answered"
        await action_calls.close_pool()
        await runner.cleanup()

    asyncio.run(scenario())
