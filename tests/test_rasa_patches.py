"""components/rasa_patches.py: the Rasa our patches were written against is the Rasa installed (its
version, and the source of every Rasa function each patch replaces or relies on), importing a
components module patches nothing, starting the server as Rasa does puts them all on, and each can
be put on and taken off alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import rasa
from rasa.core import constants as rasa_constants
from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event

from components import action_calls, event_types, rasa_patches
from lab.bench import as_shipped

ROOT = Path(__file__).resolve().parents[1]


def patched() -> dict:
    """Which patches are on Rasa right now, read from Rasa's own modules and classes."""
    return {
        "bounded_wait":
            rasa_action.DEFAULT_REQUEST_TIMEOUT != rasa_constants.DEFAULT_REQUEST_TIMEOUT,
        "cached_validator":
            RemoteAction._validate_action_result is action_calls.validate_action_result,
        "kept_alive": RemoteAction.__init__ is action_calls.remote_action_init,
        "cached_event_types": Event.resolve_by_type is event_types.resolve_by_type,
    }


NONE = dict.fromkeys(rasa_patches.ALL, False)
EVERY = dict.fromkeys(rasa_patches.ALL, True)


@pytest.fixture(autouse=True)
def shipped():
    """Each test starts and ends with Rasa as shipped."""
    rasa_patches.restore()
    yield
    rasa_patches.restore()


def test_written_for_the_installed_rasa():
    assert rasa.__version__ == rasa_patches.RASA_VERSION == "3.6.21", \
        "Rasa was upgraded: read every patch in components/rasa_patches.py against the new Rasa"


@pytest.mark.parametrize("patch", rasa_patches.PATCHES, ids=rasa_patches.ALL)
def test_the_rasa_code_under_each_patch_is_as_recorded(patch):
    assert patch.changes and patch.why and patch.upstream and patch.rasa_code
    assert rasa_patches.changed([patch]) == {}, (
        "Rasa's code changed under this patch: read the patch against the new code, then "
        "record the new fingerprints")


def test_every_patch_can_be_read_back():
    assert set(patched()) == set(rasa_patches.ALL)
    assert patched() == NONE


@pytest.mark.rasa
def test_importing_components_patches_nothing():
    code = ("import json, components.channels, components.fault_policy, components.stores, "
            "components.action_calls, components.event_types, components.rasa_patches\n"
            "from rasa.core.actions import action as a\n"
            "from rasa.shared.core.events import Event\n"
            "print(json.dumps([a.DEFAULT_REQUEST_TIMEOUT,\n"
            "  a.RemoteAction._validate_action_result.__module__,\n"
            "  a.RemoteAction.__init__.__module__, Event.resolve_by_type.__module__]))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == [
        300, "rasa.core.actions.action", "rasa.core.actions.action", "rasa.shared.core.events"]


def test_the_server_start_puts_every_patch_on(monkeypatch, tmp_path):
    from rasa.core import run
    from rasa.core.channels import channel
    from sanic import Sanic

    monkeypatch.setenv("STRETCH_ACTION_TIMEOUT", "2.5")
    monkeypatch.setenv("STRETCH_HISTORY_URL", f"sqlite:///{tmp_path / 'history.db'}")
    channels = run.create_http_input_channels(None, str(ROOT / "credentials.yml"))
    assert {c.name() for c in channels} == {"rest", "socketio", "history"}
    assert patched() == NONE
    channel.register(channels, Sanic("test_rasa_patches_start"), route="/webhooks/")
    assert patched() == EVERY
    assert rasa_action.DEFAULT_REQUEST_TIMEOUT == 2.5


@pytest.mark.parametrize("name", rasa_patches.ALL)
def test_each_patch_on_alone_and_off_again(name):
    rasa_patches.apply((name,))
    assert patched() == {n: n == name for n in rasa_patches.ALL}
    rasa_patches.restore()
    assert patched() == NONE
    assert RemoteAction._validate_action_result is action_calls.RASA_VALIDATE
    assert RemoteAction.__init__ is action_calls.RASA_REMOTE_INIT
    assert Event.resolve_by_type is event_types.RASA_RESOLVE
    assert rasa_action.DEFAULT_REQUEST_TIMEOUT == 300


def test_applying_twice_is_applying_once():
    rasa_patches.apply()
    rasa_patches.apply()
    assert patched() == EVERY
    assert rasa_patches.rasa_object("rasa.core.actions.action.RemoteAction.__init__") \
        is action_calls.RASA_REMOTE_INIT


def test_an_unknown_patch_is_refused():
    with pytest.raises(ValueError, match="no Rasa patch named"):
        rasa_patches.apply(("cached_everything",))


def test_the_labs_channel_puts_on_only_the_patches_it_names(tmp_path):
    from rasa.core import run
    from rasa.core.channels import channel
    from sanic import Sanic

    credentials = tmp_path / "credentials.yml"
    credentials.write_text(as_shipped.credentials(["bounded_wait"]))
    channels = run.create_http_input_channels(None, str(credentials))
    channel.register(channels, Sanic("test_rasa_patches_lab"), route="/webhooks/")
    assert patched() == {n: n == "bounded_wait" for n in rasa_patches.ALL}
