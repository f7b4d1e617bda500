#!/usr/bin/env python3
"""Write litellm_models.json: the LiteLLM model name for each Azure model and deployment type.

LiteLLM prices Azure OpenAI under keys of its bundled price map:
`azure/<model>`, `azure/global/<model>` for some Global deployments, and
`azure/us/<model>` or `azure/eu/<model>` for Data Zone deployments. This
script picks one key per (model, deployment type) from the installed
LiteLLM's map and records the prices LiteLLM charges under it, so the Rust
side of the benchmark can price the same records with the same numbers.

Run it with the benchmark's virtual environment after changing the pinned
LiteLLM version:

    .venv/bin/python litellm_models.py
"""

import json
import os
import re
import sys
from decimal import Decimal
from pathlib import Path

# LiteLLM downloads its price map from GitHub at import time unless one of
# these is set. Both must be set before the first `import litellm`.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_OFFLINE_MODE"] = "true"

MAPPING_PATH = Path(__file__).resolve().with_name("litellm_models.json")

DEPLOYMENT_TYPES = ("global", "datazone", "regional")

# Key prefixes tried for each deployment type, in order. The last prefix of
# each list is the fallback. LiteLLM has no regional keys. Its plain
# `azure/<model>` entries of gpt-4.1, gpt-4o-mini, gpt-5.4 and gpt-5.5 list
# the Global prices of tests/fixtures/pricing-page/current_per_1m.html, so
# LiteLLM prices Regional records of those models at the Global price.
PREFIXES = {
    "global": ("azure/global/", "azure/"),
    "datazone": ("azure/us/", "azure/eu/", "azure/"),
    "regional": ("azure/",),
}

# Chat models whose names the mapping covers. Records with other models are
# mapped at run time by compare.py with the same rules.
MODEL_NAME = re.compile(r"^(gpt-\d|o\d)")
EXCLUDED_WORDS = ("audio", "realtime", "vision", "transcribe", "tts", "search")

ABOVE_THRESHOLD = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")


def litellm_key(model_cost, model, deployment_type):
    """Return (LiteLLM key, whether the key is a fallback) for a model and deployment type.

    Raise KeyError when LiteLLM has no Azure price for the model at all.
    """
    prefixes = PREFIXES[deployment_type]
    for prefix in prefixes:
        key = prefix + model
        if key in model_cost:
            return key, prefix == "azure/"
    raise KeyError(f"LiteLLM {litellm_version()} has no Azure price for model '{model}' (tried {', '.join(p + model for p in prefixes)})")


def litellm_version():
    from importlib.metadata import version

    return version("litellm")


def per_million(cost_per_token):
    """Convert a price per token, as LiteLLM's map stores it, to an exact price per 1M tokens."""
    # repr() is the shortest decimal text that reads back as the same float,
    # which is how LiteLLM's JSON map writes its prices (2.5e-06).
    amount = Decimal(repr(cost_per_token)) * 1_000_000
    return format(amount.normalize(), "f")


def entry_prices(info):
    """Return the per-1M prices that LiteLLM charges for a price map entry.

    LiteLLM charges cached input tokens at the input price when the entry
    has no cache_read_input_token_cost.
    """
    cached = info.get("cache_read_input_token_cost")
    prices = {
        "input": per_million(info["input_cost_per_token"]),
        "cached_input": per_million(cached if cached is not None else info["input_cost_per_token"]),
        "output": per_million(info["output_cost_per_token"]),
        "cache_price_listed": cached is not None,
    }

    # Models such as gpt-5.4 bill a whole request at higher rates when its
    # prompt exceeds a token threshold.
    for field in info:
        match = ABOVE_THRESHOLD.match(field)
        if match is None:
            continue
        suffix = f"_above_{match.group(1)}k_tokens"
        cached_above = info.get("cache_read_input_token_cost" + suffix)
        prices["above_prompt_tokens"] = int(match.group(1)) * 1000
        prices["above_usd_per_1m"] = {
            "input": per_million(info["input_cost_per_token" + suffix]),
            "cached_input": per_million(cached_above if cached_above is not None else info["input_cost_per_token" + suffix]),
            "output": per_million(info["output_cost_per_token" + suffix]),
        }
    return prices


def check_prices_by_call(key, prices):
    """Check that LiteLLM's cost_per_token charges the per-1M prices read from its map.

    The map fields are read directly, so this catches a LiteLLM release that
    changes which field it charges or how it falls back.
    """
    import litellm

    def charged(prompt_tokens, cached_tokens, completion_tokens):
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=key,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cache_read_input_tokens=cached_tokens,
        )
        if completion_tokens:
            return completion_cost / completion_tokens * 1_000_000
        return prompt_cost / prompt_tokens * 1_000_000

    def expect(value, listed, token_kind):
        if abs(value - float(listed)) > 1e-9 * max(1.0, float(listed)):
            raise RuntimeError(f"{key}: LiteLLM charges {value} per 1M {token_kind}, but the price read from its map is {listed}")

    tokens = 10_000
    expect(charged(tokens, 0, 0), prices["input"], "input tokens")
    expect(charged(tokens, tokens, 0), prices["cached_input"], "cached input tokens")
    expect(charged(0, 0, tokens), prices["output"], "output tokens")

    if "above_prompt_tokens" in prices:
        above = prices["above_usd_per_1m"]
        prompt_tokens = prices["above_prompt_tokens"] + tokens
        expect(charged(prompt_tokens, 0, 0), above["input"], "input tokens above the threshold")
        expect(charged(prompt_tokens, prompt_tokens, 0), above["cached_input"], "cached input tokens above the threshold")
        expect(charged(prompt_tokens, 0, tokens), above["output"], "output tokens above the threshold")


def covered_models(model_cost):
    """Return the Azure chat model names in LiteLLM's map that the mapping covers."""
    names = set()
    for key, info in model_cost.items():
        if not key.startswith("azure/") or info.get("mode") != "chat":
            continue
        name = key.rsplit("/", 1)[1]
        if not MODEL_NAME.match(name) or any(word in name for word in EXCLUDED_WORDS):
            continue
        if "input_cost_per_token" in info and "output_cost_per_token" in info:
            names.add(name)
    return sorted(names)


def build_mapping():
    """Build the contents of litellm_models.json from the installed LiteLLM."""
    import litellm

    models = {}
    missing = []
    for model in covered_models(litellm.model_cost):
        entries = {}
        for deployment_type in DEPLOYMENT_TYPES:
            try:
                key, is_fallback = litellm_key(litellm.model_cost, model, deployment_type)
            except KeyError:
                missing.append(f"{model} ({deployment_type})")
                continue
            prices = entry_prices(litellm.model_cost[key])
            check_prices_by_call(key, prices)
            entries[deployment_type] = {
                "litellm_model": key,
                "fallback": is_fallback,
                "usd_per_1m": prices,
            }
        models[model] = entries

    return {
        "generated_by": "bench/python/litellm_models.py",
        "litellm_version": litellm_version(),
        "rules": {
            deployment_type: "first key found of " + ", ".join(prefix + "<model>" for prefix in PREFIXES[deployment_type])
            for deployment_type in DEPLOYMENT_TYPES
        },
        "fallback_means": (
            "LiteLLM's map has no key for this deployment type, so the plain azure/<model> key is used "
            "and LiteLLM charges the prices listed under it."
        ),
        "missing": missing,
        "models": models,
    }


def main():
    mapping = build_mapping()
    MAPPING_PATH.write_text(json.dumps(mapping, indent=2) + "\n", encoding="utf-8")
    fallbacks = sum(entry["fallback"] for entries in mapping["models"].values() for entry in entries.values())
    print(
        f"wrote {MAPPING_PATH}: {len(mapping['models'])} models, {fallbacks} fallback keys, LiteLLM {mapping['litellm_version']}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
