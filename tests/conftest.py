"""Shared fixtures: a dispatcher, the domain, and a tracker factory for action tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


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
