"""Rasa's calls to the action server: a hung action server answered like a down one, and the
response's schema check without rebuilding its validator on every call.

Applied to Rasa 3.6's ``RemoteAction`` (``rasa/core/actions/action.py``) when this module is imported:
``components.channels`` (every ``rasa run`` with our credentials.yml) and ``components.fault_policy``
(every loaded model) import it, so each Rasa server process, and each Sanic worker, has it.

- **Bounded wait.** ``RemoteAction.run`` passes ``timeout=DEFAULT_REQUEST_TIMEOUT`` (300 s) to aiohttp,
  so an action server that accepts the connection but never answers holds the turn (and the
  conversation's lock) for five minutes, and the person hears nothing. The name is looked up in
  ``rasa.core.actions.action`` at call time; this sets it there (not in ``rasa.core.constants``,
  which other HTTP calls use) to ``STRETCH_ACTION_TIMEOUT`` seconds (default ``ACTION_TIMEOUT``).
  When it runs out aiohttp raises ``asyncio.TimeoutError``; Rasa's processor catches it like a
  refused connection ("Bot will continue, but the actions events are lost"), so the fault policy
  (components/fault_policy.py) speaks the same safe lines as when the action server is down, and
  actions/recovery.py picks the session up when it answers again. Our actions answer in
  milliseconds; with 5 s no call timed out in bench/load.py, even with turns queued 11 s in an
  overloaded Rasa server (docs/load.md).
- **Cached validator** (Rasa issue #11717). ``RemoteAction._validate_action_result`` calls
  ``jsonschema.validate``, which checks the schema against its meta-schema and builds a new
  validator on every custom action call. The schema is a constant, so this builds the validator
  once per action class and validates every response with it, exactly as ``jsonschema.validate``
  does (``best_match`` of the errors, Rasa's message appended), so an invalid response is refused
  as before. ``STRETCH_CACHED_VALIDATOR=0`` turns it off (bench/load.py measures both).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

logger = logging.getLogger(__name__)

ACTION_TIMEOUT = 5.0   # seconds: a hung action server is treated as down after this
# Rasa's own method (also when this module is reloaded after patching it)
RASA_VALIDATE = getattr(RemoteAction._validate_action_result, "rasa_original",
                        RemoteAction._validate_action_result)
_validators: Dict[type, Any] = {}


def action_timeout() -> float:
    """``STRETCH_ACTION_TIMEOUT`` seconds if set to a positive number, else ``ACTION_TIMEOUT``."""
    try:
        value = float(os.environ.get("STRETCH_ACTION_TIMEOUT", ACTION_TIMEOUT))
    except ValueError:
        value = 0
    if value <= 0:
        logger.warning("STRETCH_ACTION_TIMEOUT must be a positive number of seconds: using %s",
                       ACTION_TIMEOUT)
        return ACTION_TIMEOUT
    return value


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa's ``_validate_action_result`` with the validator built once per class."""
    validator = _validators.get(type(self))
    if validator is None:
        schema = self.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        validator = _validators[type(self)] = cls(schema)
    error: ValidationError = best_match(validator.iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


validate_action_result.rasa_original = RASA_VALIDATE  # type: ignore[attr-defined]


def apply() -> None:
    """Set the bounded wait and (unless turned off) the cached validator on Rasa's RemoteAction."""
    rasa_action.DEFAULT_REQUEST_TIMEOUT = action_timeout()
    cached = os.environ.get("STRETCH_CACHED_VALIDATOR", "1") != "0"
    RemoteAction._validate_action_result = validate_action_result if cached else RASA_VALIDATE


apply()
