"""Shared fixtures: a dispatcher, the domain, a tracker factory for action tests, and a temp home
for the state a run keeps (conversations, chat session id), so no test touches the person's own."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Optional

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# The state `make run` keeps in the checkout: its conversations and history (the SQLite file and, in
# WAL mode, the write-ahead log beside it), and the chat's session id and device secret.
CHECKOUT_STATE = (ROOT / "stretch_coach.db", ROOT / "stretch_coach.db-wal", ROOT / ".chat_session",
                  ROOT / ".chat_session.device")


def fingerprint(paths=CHECKOUT_STATE) -> Dict[str, Any]:
    """Size and modification time of each file (None when it does not exist)."""
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns) if p.exists() else None for p in paths
    }


SLOW_MARKERS = {"rasa", "e2e", "voice", "web"}


SHARED_DATABASE = {"test_cluster.py", "test_store_down.py"}
"""Test files that use the machine's PostgreSQL and Redis: never run at the same time."""


def pytest_collection_modifyitems(items):
    """Every test that needs no server, model or audio is ``pure`` (``make test-fast``). For
    ``pytest -n`` with ``--dist loadgroup``, a file's tests run in one worker (they share its
    servers), and the files that share the database run in the same one."""
    for item in items:
        if not SLOW_MARKERS & {m.name for m in item.iter_markers()}:
            item.add_marker(pytest.mark.pure)
        name = item.path.name
        item.add_marker(pytest.mark.xdist_group("database" if name in SHARED_DATABASE else name))


@pytest.fixture(scope="session", autouse=True)
def own_state(tmp_path_factory):
    """Point STRETCH_DB and STRETCH_SESSION_FILE at a temp dir for the whole run: every server,
    `make run` and chat client a test starts inherits them. Yields the dir and the checkout's
    fingerprint from before any test ran."""
    home = tmp_path_factory.mktemp("state")
    before = fingerprint()
    mp = pytest.MonkeyPatch()
    mp.setenv("STRETCH_DB", str(home / "stretch_coach.db"))
    mp.setenv("STRETCH_SESSION_FILE", str(home / ".chat_session"))
    mp.delenv("STRETCH_HISTORY_URL", raising=False)   # the history then lives in STRETCH_DB
    mp.delenv("STRETCH_CLOCK_OFFSET", raising=False)
    yield SimpleNamespace(home=home, before=before)
    mp.undo()


@pytest.fixture
def dispatcher():
    from rasa_sdk.executor import CollectingDispatcher

    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture
def tracker() -> Callable[..., Any]:
    from rasa_sdk import Tracker

    def make(
        intent: str = "next_step",
        text: str = "",
        entities: Optional[List[Dict[str, Any]]] = None,
        **slots: Any,
    ) -> Tracker:
        return Tracker(
            sender_id="test-user",
            slots=slots,
            latest_message={
                "text": text,
                "intent": {"name": intent, "confidence": 1.0},
                "entities": entities or [],
            },
            events=[],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return make
