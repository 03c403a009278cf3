"""Our versions of two parts of Rasa's calls to the action server: the check of its response
without rebuilding the schema validator on every call, and an endpoint that keeps its connections.

Nothing here changes Rasa by being imported: components/rasa_patches.py puts these on Rasa's
``RemoteAction`` (and sets its bounded wait) when the server starts, and says which Rasa issue each
works around.

- **Cached validator.** ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``,
  which checks the schema against its meta-schema and builds a new validator on every custom
  action call. The schema is a constant, so :func:`validate_action_result` builds the validator
  once per action class and validates every response with it, exactly as ``jsonschema.validate``
  does (``best_match`` of the errors, Rasa's message appended): an invalid response is refused as
  before.
- **Kept-alive connections.** Rasa's ``EndpointConfig.request`` opens a new aiohttp session, with
  its own connection pool, for every custom action call, so every call also opens (and closes) a
  TCP connection to the action server. :class:`KeptAliveEndpoint` gives the action endpoint one
  connection pool per event loop that outlives the call. If a call fails to connect, or the
  action server drops a kept connection as it is reused (it was restarting), the call is made
  once more as Rasa makes it, on a new connection of its own; if the server is really down that
  fails too and Rasa's fault handling takes over as before.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, Dict, Optional, Text

import aiohttp
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.utils import endpoints as rasa_endpoints
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Rasa's own methods, even if this module is imported again while ours are on RemoteAction
# (ours carry Rasa's as ``rasa_original``).
RASA_VALIDATE = getattr(RemoteAction._validate_action_result, "rasa_original",
                        RemoteAction._validate_action_result)
RASA_REMOTE_INIT = getattr(RemoteAction.__init__, "rasa_original", RemoteAction.__init__)
_validators: Dict[type, Any] = {}


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


_pools: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.TCPConnector]" = \
    weakref.WeakKeyDictionary()


def _pool() -> aiohttp.TCPConnector:
    """This event loop's pool of kept connections."""
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None or pool.closed:
        pool = _pools[loop] = aiohttp.TCPConnector()
    return pool


async def close_pool() -> None:
    """Close this event loop's kept connections (the server is stopping)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()


class KeptAliveEndpoint(EndpointConfig):
    """An endpoint whose calls share the event loop's connection pool (``request`` is Rasa's)."""

    def __init__(self, endpoint: EndpointConfig) -> None:
        self.__dict__.update(endpoint.__dict__)
        self._plain = endpoint

    def session(self) -> aiohttp.ClientSession:
        """Rasa's session (headers, auth, timeout: ``EndpointConfig.session``) on the kept pool;
        closing it leaves the pool open."""
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) \
            if self.basic_auth else None
        return aiohttp.ClientSession(
            headers=self.headers, auth=auth, connector=_pool(), connector_owner=False,
            timeout=aiohttp.ClientTimeout(total=rasa_endpoints.DEFAULT_REQUEST_TIMEOUT))

    async def request(self, *args: Any, **kwargs: Any) -> Optional[Any]:
        """Rasa's request on a kept connection; once more on a new one if that fails to connect."""
        try:
            return await super().request(*args, **kwargs)
        except aiohttp.ClientConnectionError as e:
            # A kept connection the action server had just closed, or no server at all: once
            # more as Rasa calls, on a new connection of its own (the pool is left to the
            # calls in flight; aiohttp drops connections the server has closed).
            logger.debug("action server connection failed (%s): once more on a new one", e)
            return await self._plain.request(*args, **kwargs)


def remote_action_init(self: RemoteAction, name: Text,
                       action_endpoint: Optional[EndpointConfig]) -> None:
    """Rasa's ``RemoteAction.__init__``, its endpoint swapped for one that keeps connections."""
    if action_endpoint is not None and not isinstance(action_endpoint, KeptAliveEndpoint):
        # One per endpoint from endpoints.yml, kept on it (EndpointConfig is not hashable).
        kept = action_endpoint.__dict__.get("_kept_alive")
        if kept is None:
            kept = KeptAliveEndpoint(action_endpoint)
            action_endpoint.__dict__["_kept_alive"] = kept
        action_endpoint = kept
    RASA_REMOTE_INIT(self, name, action_endpoint)


remote_action_init.rasa_original = RASA_REMOTE_INIT  # type: ignore[attr-defined]
