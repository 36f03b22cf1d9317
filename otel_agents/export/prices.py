"""LLM prices: cost of a call from its tokens, model and provider.

The package ships a price table (``prices.json``: USD per million input, output and
cached-input tokens, with its date and source). A user file (``OTEL_AGENTS_PRICES=path``)
or ``configure(prices=...)`` adds or overrides models. Unknown models get no cost (None)
and are counted by the caller: a cost is never guessed.

    table = PriceTable.load(overrides={"acme/my-model": {"input": 1.0, "output": 2.0}})
    table.cost("openai", "gpt-4o-mini-2024-07-18", input_tokens=1200, output_tokens=300)
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from otel_agents.errors import ConfigurationError

ENV_PRICES = "OTEL_AGENTS_PRICES"
_PER_TOKEN = 1e-6
# Dated snapshots ("gpt-4o-mini-2024-07-18", "claude-3-5-haiku-20241022") and version
# tags ("-latest", "-001") price as their base model.
_SUFFIX = re.compile(r"(?:-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest|\d{3}|preview(?:-[\w-]+)?))+$")
#: Providers as instrumentations name them → the table's provider prefix.
_PROVIDER_ALIASES = {
    "openai": "openai",
    "azure.ai.openai": "openai",
    "azure": "openai",
    "anthropic": "anthropic",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "google": "google",
    "gemini": "google",
    "vertex_ai": "google",
}


class ModelPrice:
    __slots__ = ("cached_input", "input", "output")

    def __init__(self, input: float, output: float, cached_input: float | None = None) -> None:
        self.input = input
        self.output = output
        self.cached_input = input if cached_input is None else cached_input


class PriceTable:
    """Prices by ``provider/model`` and by bare model name."""

    def __init__(self, models: Mapping[str, ModelPrice], as_of: str | None, source: str | None):
        self.as_of = as_of
        self.source = source
        self._by_key: dict[str, ModelPrice] = {}
        for key, price in models.items():
            self._by_key[key.lower()] = price
            bare = key.lower().split("/", 1)[-1]
            self._by_key.setdefault(bare, price)
        self._resolved: dict[tuple[str | None, str], ModelPrice | None] = {}

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Mapping[str, float]] | str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> PriceTable:
        """The shipped table, then ``OTEL_AGENTS_PRICES``'s file, then ``overrides`` on top."""
        shipped = json.loads(resources.files(__package__).joinpath("prices.json").read_text())
        models = _parse_models(shipped.get("models", {}), "the shipped price table")
        as_of, source = shipped.get("as_of"), shipped.get("source")
        env = os.environ if environ is None else environ
        path = env.get(ENV_PRICES, "").strip()
        if path:
            user = _read_file(Path(path), f"env {ENV_PRICES}={path!r}")
            models.update(_parse_models(user.get("models", user), f"env {ENV_PRICES}={path!r}"))
            as_of, source = user.get("as_of", as_of), user.get("source", f"{path} (user file)")
        if isinstance(overrides, (str, os.PathLike)):
            user = _read_file(Path(overrides), f"configure(prices={str(overrides)!r})")
            models.update(_parse_models(user.get("models", user), "configure(prices=...)"))
        elif overrides:
            models.update(_parse_models(overrides, "configure(prices=...)"))
        return cls(models, as_of, source)

    def price(self, provider: str | None, model: str) -> ModelPrice | None:
        key = (provider, model)
        try:
            return self._resolved[key]
        except KeyError:
            pass
        found = self._find(provider, model)
        if len(self._resolved) < 4096:  # bounded: model names come from other libraries
            self._resolved[key] = found
        return found

    def cost(
        self,
        provider: str | None,
        model: str | None,
        input_tokens: int | None,
        output_tokens: int | None,
        cached_input_tokens: int | None = None,
    ) -> float | None:
        """USD for one call, or None when the model is not in the table."""
        if not model:
            return None
        price = self.price(provider, model)
        if price is None:
            return None
        cached = min(cached_input_tokens or 0, input_tokens or 0)
        fresh = (input_tokens or 0) - cached
        return (
            fresh * price.input + cached * price.cached_input + (output_tokens or 0) * price.output
        ) * _PER_TOKEN

    def _find(self, provider: str | None, model: str) -> ModelPrice | None:
        name = model.strip().lower()
        prefix = _PROVIDER_ALIASES.get((provider or "").strip().lower())
        if "/" in name:  # "openai/gpt-4o" or "models/gemini-2.5-pro"
            head, _, tail = name.partition("/")
            prefix = _PROVIDER_ALIASES.get(head, prefix)
            name = tail
        for candidate in (name, _SUFFIX.sub("", name)):
            if prefix is not None and f"{prefix}/{candidate}" in self._by_key:
                return self._by_key[f"{prefix}/{candidate}"]
            if candidate in self._by_key:
                return self._by_key[candidate]
        return None


def _read_file(path: Path, where: str) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{where}: cannot read the price table: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigurationError(f"{where}: a price table is a JSON object")
    return document


def _parse_models(raw: Any, where: str) -> dict[str, ModelPrice]:
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{where}: 'models' must map 'provider/model' to prices")
    models: dict[str, ModelPrice] = {}
    for key, entry in raw.items():
        try:
            models[str(key)] = ModelPrice(
                float(entry["input"]),
                float(entry["output"]),
                None if entry.get("cached_input") is None else float(entry["cached_input"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ConfigurationError(
                f"{where}: price of {key!r} needs numbers 'input' and 'output' (USD per 1M "
                f"tokens), optionally 'cached_input'"
            ) from None
    return models
