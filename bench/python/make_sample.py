#!/usr/bin/env python3
"""Write small input files for compare.py, in the formats that `aoai-bench data` writes.

Usage: python make_sample.py DIR [--page-copies N] [--rows N] [--records N] [--seed N]

Files written to DIR:
  pricing-page.html    the fixture tests/fixtures/pricing-page/current_per_1m.html
                       with the contents of its section#pricing repeated N times
  query-response.json  a Log Analytics query API response with --rows rows
  prices.json          USD prices per 1M tokens of the deployments in the rows
  records.jsonl        --records usage records for the LiteLLM measurements

The same seed gives the same files. The real benchmark inputs come from the
Rust generator and are far larger (a page of about 1 MB, 500,000 rows and
1,000,000 records).
"""

import argparse
import json
import random
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
FIXTURE_PAGE = REPOSITORY / "tests/fixtures/pricing-page/current_per_1m.html"

SECTION_START = '<section id="pricing">'
SECTION_END = "</section>"

# Prices in USD per 1M tokens, copied from the us-east-2 prices of the
# fixture page. "legacy-gpt-35" is left out on purpose, so rows of that
# deployment are unpriced.
PRICES = {
    "gpt-4.1-global": {"input": "2", "cached_input": "0.5", "output": "8"},
    "gpt-4.1-datazone": {"input": "2.2", "cached_input": "0.55", "output": "8.8"},
    "gpt-4o-mini-global": {"input": "0.15", "cached_input": "0.075", "output": "0.6"},
    "gpt-4o-mini-regional": {"input": "0.165", "cached_input": "0.083", "output": "0.66"},
    "gpt-5.4-mini-datazone": {"input": "0.825", "cached_input": "0.0825", "output": "4.95"},
    "gpt-5.5-global": {"input": "5", "cached_input": "0.5", "output": "30"},
}
RESPONSE_MODELS = {
    "gpt-4.1-global": "gpt-4.1-2025-04-14",
    "gpt-4.1-datazone": "gpt-4.1-2025-04-14",
    "gpt-4o-mini-global": "gpt-4o-mini-2024-07-18",
    "gpt-4o-mini-regional": "gpt-4o-mini-2024-07-18",
    "gpt-5.4-mini-datazone": "gpt-5.4-mini-2026-03-17",
    "gpt-5.5-global": "gpt-5.5-2026-04-23",
    "legacy-gpt-35": "gpt-35-turbo-0125",
}
UNPRICED_SHARE = 0.02

# Models of the LiteLLM records. gpt-4.1-2025-04-14 has no azure/global/
# key in LiteLLM 1.110.2, so its Global records use the fallback key.
RECORD_MODELS = (
    "gpt-4o-2024-11-20",
    "gpt-4o-mini-2024-07-18",
    "gpt-4.1-2025-04-14",
    "gpt-5.4-mini",
    "gpt-5.5-2026-04-23",
    "o4-mini-2025-04-16",
)
DEPLOYMENT_TYPES = ("global", "datazone", "regional")

QUERY_COLUMNS = (
    ("bucket_start", "datetime"),
    ("user", "string"),
    ("subscription", "string"),
    ("deployment", "string"),
    ("response_model", "string"),
    ("service_tier", "string"),
    ("input_tokens", "long"),
    ("cached_input_tokens", "long"),
    ("output_tokens", "long"),
    ("reasoning_tokens", "long"),
    ("requests", "long"),
    ("rejected", "long"),
    ("usage_missing", "long"),
    ("source", "string"),
    ("estimated", "bool"),
)
FIRST_BUCKET = datetime(2026, 8, 1, tzinfo=timezone.utc)
BUCKET = timedelta(minutes=15)


def pricing_page(copies):
    """Return the fixture page with its section#pricing contents repeated `copies` times.

    Copy k (from 2 on) has "(copy k)" after each family heading and "Copy<k> "
    before each model name, so no copy repeats a model of another copy.
    """
    try:
        html = FIXTURE_PAGE.read_text(encoding="utf-8")
    except FileNotFoundError:
        sys.exit(f"error: {FIXTURE_PAGE}: file not found; run make_sample.py from a checkout of aoai-meter")
    head, found_start, rest = html.partition(SECTION_START)
    body, found_end, tail = rest.partition(SECTION_END)
    if not found_start or not found_end:
        sys.exit(f"error: {FIXTURE_PAGE}: no {SECTION_START} ... {SECTION_END} found")

    parts = [body]
    for copy in range(2, copies + 1):
        renamed = re.sub(r"(<h2>[^<]*)(</h2>)", rf"\1 (copy {copy})\2", body)
        # Model cells are the only cells whose text starts with "GPT-".
        renamed = re.sub(r"(<td(?: rowspan='\d+')?>)(GPT-)", rf"\1Copy{copy} \2", renamed)
        parts.append(renamed)
    return head + SECTION_START + "".join(parts) + SECTION_END + tail


def query_rows(count, rng):
    users = [f"user{number:04d}@contoso.example" for number in range(1, max(2, count // 20) + 1)]
    subscriptions = [f"00000000-0000-4000-8000-{number:012d}" for number in range(1, 4)]
    deployments = list(PRICES)

    rows = []
    for index in range(count):
        deployment = "legacy-gpt-35" if rng.random() < UNPRICED_SHARE else rng.choice(deployments)
        requests = rng.randint(1, 40)
        input_tokens = requests * rng.randint(50, 12_000)
        cached_tokens = rng.randint(0, input_tokens // 2) if rng.random() < 0.6 else 0
        output_tokens = requests * rng.randint(10, 2_000)
        reasoning_tokens = rng.randint(0, output_tokens // 2) if deployment.startswith("gpt-5") else 0
        rejected = 1 if rng.random() < 0.01 else 0
        usage_missing = 1 if rng.random() < 0.01 else 0
        bucket = FIRST_BUCKET + BUCKET * (index // 8)
        rows.append(
            [
                bucket.strftime("%Y-%m-%dT%H:%M:%SZ"),
                rng.choice(users),
                rng.choice(subscriptions),
                deployment,
                RESPONSE_MODELS[deployment],
                "priority" if rng.random() < 0.05 else "default",
                input_tokens,
                cached_tokens,
                output_tokens,
                reasoning_tokens,
                requests,
                rejected,
                usage_missing,
                "apim",
                False,
            ]
        )
    return rows


def query_response(rows):
    return {
        "tables": [
            {
                "name": "PrimaryResult",
                "columns": [{"name": name, "type": column_type} for name, column_type in QUERY_COLUMNS],
                "rows": rows,
            }
        ]
    }


def records(count, rng):
    for _ in range(count):
        input_tokens = rng.randint(20, 30_000)
        yield {
            "model": rng.choice(RECORD_MODELS),
            "deployment_type": rng.choice(DEPLOYMENT_TYPES),
            "input_tokens": input_tokens,
            "cached_input_tokens": rng.randint(0, input_tokens) if rng.random() < 0.5 else 0,
            "output_tokens": rng.randint(1, 4_000),
        }


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text}")
    return value


def main():
    parser = argparse.ArgumentParser(description="Write small input files for compare.py.")
    parser.add_argument("directory", type=Path, help="directory to write the files to; created if missing")
    parser.add_argument("--page-copies", type=positive_int, default=6, help="times the fixture's section#pricing is repeated (default: 6, about 100 KB)")
    parser.add_argument("--rows", type=positive_int, default=1_000, help="rows of query-response.json (default: 1000)")
    parser.add_argument("--records", type=positive_int, default=1_000, help="lines of records.jsonl (default: 1000)")
    parser.add_argument("--seed", type=int, default=20260801, help="random seed (default: 20260801)")
    arguments = parser.parse_args()

    directory = arguments.directory
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(arguments.seed)

    (directory / "pricing-page.html").write_text(pricing_page(arguments.page_copies), encoding="utf-8")
    with open(directory / "query-response.json", "w", encoding="utf-8") as file:
        json.dump(query_response(query_rows(arguments.rows, rng)), file, separators=(",", ":"))
    with open(directory / "prices.json", "w", encoding="utf-8") as file:
        json.dump(PRICES, file, indent=2)
        file.write("\n")
    with open(directory / "records.jsonl", "w", encoding="utf-8") as file:
        for record in records(arguments.records, rng):
            file.write(json.dumps(record, separators=(",", ":")) + "\n")

    for name in ("pricing-page.html", "query-response.json", "prices.json", "records.jsonl"):
        print(f"{directory / name}: {(directory / name).stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
