"""Custom Rasa 3.6 graph components for Indonesian crypto-support NLU.

Pipeline order (see ``config.yml``): ``CryptoEntityExtractor`` reads the raw text, then
``IndonesianNormalizer`` rewrites the text the classifiers see, then ``IndonesianSpacyTokenizer``;
``InputQualityGate`` runs last and sends secrets to ``share_secret`` and unreadable input to
``nlu_fallback``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.entities import extract_entities
from nlu.input_checks import INPUT_KIND_KEY, InputKind, classify_input
from nlu.normalizer import normalize
from nlu.payloads import is_own_button_payload
from nlu.secrets import REDACTION_PATTERN, find_secrets
from nlu.tokenization import tokenize

ORIGINAL_TEXT = "text_original"
FALLBACK_INTENT = "nlu_fallback"
SECRET_INTENT = "share_secret"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CryptoEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds coin, network, bank, amount, TXID and wallet-address entities found by rules."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CryptoEntityExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            found = self.add_extractor_name([e.as_dict() for e in extract_entities(text)])
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class IndonesianNormalizer(GraphComponent):
    """Replaces the message text with its normalised form (slang, repeated letters, markup).

    A text starting with ``/`` is left untouched only when it is one of our own button payloads;
    any other ``/...`` text loses its slashes so it goes through NLU instead of being trusted.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"max_chars": 2000}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._max_chars = int(config.get("max_chars", 2000))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "IndonesianNormalizer":
        return cls(config)

    def _normalise(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str):
            return
        if text.strip().startswith("/") and is_own_button_payload(text):
            return
        message.set(ORIGINAL_TEXT, text)
        normalised = normalize(text.lstrip().lstrip("/"), max_chars=self._max_chars)
        # Rasa needs a non-empty text to featurise; "_" stands for "nothing readable".
        message.set(TEXT, normalised or "_")

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if example.get(TEXT):
                self._normalise(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalise(message)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class IndonesianSpacyTokenizer(Tokenizer):
    """spaCy blank Indonesian tokenizer that keeps tickers (USDT), addresses and TXIDs whole."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None,
                "prefix_separator_symbol": None}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "IndonesianSpacyTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        tokens = [Token(word, start) for word, start in tokenize(text) if word.strip()]
        return self._apply_token_pattern(tokens) or [Token(text or "_", 0)]

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["id"]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class InputQualityGate(GraphComponent):
    """Overrides the classifiers for two kinds of input they cannot judge.

    A message containing a secret (or the marker left where a channel redacted one) becomes
    ``share_secret``, so the customer is warned at once. Unreadable input (empty, emoji only, binary
    junk, another language) becomes ``nlu_fallback``, which gets a clear reply. The kind of input is kept
    in the parse data (``input_kind``) for the actions.
    """

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "InputQualityGate":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            original = message.get(ORIGINAL_TEXT)
            if original is None:
                continue
            kind = classify_input(original)
            message.set(INPUT_KIND_KEY, kind.value, add_to_output=True)   # the actions read it from here
            if REDACTION_PATTERN.search(original) or find_secrets(original):
                self._override(message, SECRET_INTENT)
            elif kind is not InputKind.TEXT:
                self._override(message, FALLBACK_INTENT)
        return messages

    @staticmethod
    def _override(message: Message, intent: str) -> None:
        chosen = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
        ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get(INTENT_NAME_KEY) != intent]
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
