"""A policy for when the action server fails: never silent, above all after "it hurts".

When a custom action fails (the action server is down, hung up or crashed), Rasa logs "Bot will
continue, but the actions events are lost" and records the action with no events after it. A hung
action server fails so after the bounded wait that components/rasa_patches.py sets, not after
Rasa's five minutes. Every one of our actions returns at least the coach slot, so "our action, and
nothing after it" means it failed. This policy then predicts a domain response, which Rasa speaks
without the action server: the safe line for the intent that was not handled (``responses``), or
``default`` for any other turn (a hold cue, a step). After that response it predicts
``action_listen``. It also predicts ``action_listen`` after an action that started a new session
mid-turn (actions/actions.py).

While the action server answers, this policy predicts nothing (all zeros), so the rules decide and
nothing is said twice. Its priority is above RulePolicy's (6) so that it wins the tie at confidence
1.0 against the rule's "listen after the action". When the action server is back, the actions
replay the missed safety turns (actions/recovery.py).
"""

from __future__ import annotations

import itertools

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from components import metrics


def _ran(event: Any, domain: Domain) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name in domain.user_actions


def failed_action(tracker: DialogueStateTracker, domain: Domain) -> Optional[Text]:
    """The custom action that just ran and produced no events (it failed), if any.

    A tracker built from story files (`rasa test`: its ``sender_source`` names the file) runs no
    actions, so there an action with nothing after it is no failure."""
    if tracker.sender_source:
        return None
    if tracker.events and _ran(tracker.events[-1], domain):
        return tracker.events[-1].action_name
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class ActionServerDownPolicy(Policy):
    """Speaks a safe domain response when a custom action failed, then listens."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 7, "responses": {}, "default": None}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Optional[Any] = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.responses: Dict[Text, Text] = dict(config.get("responses") or {})
        self.default: Optional[Text] = config.get("default")

    def train(
        self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn: the mapping is configuration. Checks it names real responses."""
        for response in {*self.responses.values(), self.default} - {None}:
            if response not in domain.responses:
                raise ValueError(f"{self.__class__.__name__}: no response {response!r} in the domain")
        return self._resource

    def _spoken(self) -> set:
        return {*self.responses.values(), self.default} - {None}

    def next_action(self, tracker: DialogueStateTracker, domain: Domain) -> Optional[Text]:
        """The response for a failed action, action_listen after it, or None (let the rules act)."""
        if tracker.sender_source:
            return None
        last = tracker.events[-1] if tracker.events else None
        if isinstance(last, ActionExecuted) and last.action_name == ACTION_LISTEN_NAME:
            # An action started a new session (actions.py: SessionStarted, the coach's slot,
            # action_listen) in the middle of a turn: the turn is over, wait for the user.
            return ACTION_LISTEN_NAME
        if failed_action(tracker, domain):
            metrics.ACTION_FAILURES.inc()
            intent = tracker.latest_message.intent.get("name") if tracker.latest_message else None
            return self.responses.get(intent, self.default)
        if tracker.latest_action_name in self._spoken():
            # Ours only if it came straight after a failed action (look at the last few events:
            # the failed action, our response, its bot message).
            recent = list(itertools.islice(reversed(tracker.events), 4))
            actions = [i for i, e in enumerate(recent) if isinstance(e, ActionExecuted)]
            if len(actions) >= 2 and actions[1] == actions[0] + 1:
                if _ran(recent[actions[1]], domain):
                    return ACTION_LISTEN_NAME
        return None

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = self.next_action(tracker, domain)
        if action is not None:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)
