#!/usr/bin/env python3
"""Time the Python tools that aoai-meter replaces, on the same inputs as the Rust benchmarks.

Usage: python compare.py DATA_DIR [--runs N] [--only NAME ...]

DATA_DIR contains pricing-page.html, query-response.json, prices.json and
records.jsonl, as written by `cargo run --release -p aoai-bench -- data DIR`
or by make_sample.py. Each measurement runs once to warm up and then N
times, and one JSON object per line goes to stdout:

    {"name": ..., "seconds": <median>, "runs": N, "items": <count>, "check": <value>, "detail": {...}}

`check` is the value that the Rust side must reproduce from the same files.
Run this script with the Python of the virtual environment that setup.sh
creates, because python_startup_imports starts that same interpreter.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal, Inexact, InvalidOperation, localcontext
from pathlib import Path

# LiteLLM downloads its price map from GitHub at import time unless one of
# these is set, so both are set before anything can import it.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_OFFLINE_MODE"] = "true"

import litellm_models  # noqa: E402  (must follow the environment settings above)

PAGE_FILE = "pricing-page.html"
QUERY_FILE = "query-response.json"
PRICES_FILE = "prices.json"
RECORDS_FILE = "records.jsonl"

TOKENS_PER_PRICE = 1_000_000


class InputError(Exception):
    """An input file that is missing or does not have the expected format."""


# ---------------------------------------------------------------------------
# Pricing page
# ---------------------------------------------------------------------------

# Column heading stems (lower case, unit removed) and the column role.
HEADING_ROLES = {
    "models": "model",
    "model": "model",
    "context": "context",
    "context length": "context",
    "context window": "context",
    "price": "prices",
    "prices": "prices",
    "pricing": "prices",
    "standard": "prices",
    "batch api": "prices",
    "batch": "prices",
    "priority": "prices",
    "priority processing": "prices",
}

PRICE_LABELS = ("Input", "Cached Input", "Output")

# Cell texts that mean a tier is not offered for a row.
NOT_OFFERED = ("n/a", "-", "\u2013", "\u2014", "not available")


def collapse_whitespace(text):
    return " ".join(text.split())


def cell_text(element):
    return collapse_whitespace(element.get_text(" "))


def heading_stem(heading):
    """Return a heading in lower case without its unit: `Batch API (per 1M tokens)` is `batch api`."""
    lower = heading.lower()
    cuts = [index for index in (lower.find("("), lower.find(" per ")) if index >= 0]
    if cuts:
        lower = lower[: min(cuts)]
    return collapse_whitespace(lower)


def table_rows(table):
    """Return the <tr> rows of a table, from <thead>, <tbody> and <tfoot> or directly under it."""
    rows = []
    for child in table.find_all(["tr", "thead", "tbody", "tfoot"], recursive=False):
        if child.name == "tr":
            rows.append(child)
        else:
            rows.extend(child.find_all("tr", recursive=False))
    return rows


def span_of(cell, attribute, zero_means):
    """Read rowspan or colspan as browsers do: missing or invalid is 1, and rowspan 0 covers the rest."""
    try:
        value = int(cell.get(attribute, "1").strip())
    except ValueError:
        return 1
    if value == 0:
        return zero_means
    if value < 0:
        return 1
    return min(value, 65_534)


def expand_spans(rows):
    """Place the cells of each row in their columns, repeating cells that have rowspan or colspan."""
    carried = []  # carried[column] is [cell, rows still covered] for a cell from a row above
    grid = []
    for row in rows:
        cells = iter(row.find_all(["td", "th"], recursive=False))
        placed = []
        while True:
            column = len(placed)
            if column < len(carried) and carried[column] is not None:
                slot = carried[column]
                placed.append(slot[0])
                slot[1] -= 1
                if slot[1] == 0:
                    carried[column] = None
                continue

            cell = next(cells, None)
            if cell is None:
                break
            row_span = span_of(cell, "rowspan", sys.maxsize)
            for _ in range(span_of(cell, "colspan", 1000)):
                column = len(placed)
                if len(carried) <= column:
                    carried.extend([None] * (column + 1 - len(carried)))
                if row_span > 1:
                    carried[column] = [cell, row_span - 1]
                placed.append(cell)
        grid.append(placed)
    return grid


def clean_label(parts):
    return collapse_whitespace("".join(parts)).rstrip(":").rstrip()


def read_price_cell(cell, tag_type, comment_type):
    """Return the (label, data-amount) pairs of a cell's price-data spans and the text after the last span."""
    pending = []
    spans = []

    def walk(element):
        for child in element.children:
            if isinstance(child, tag_type):
                if "price-data" in child.get("class", ()):
                    spans.append((clean_label(pending), child.get("data-amount")))
                    pending.clear()
                else:
                    # Tags such as <br> and <div> separate words in the rendered text.
                    pending.append(" ")
                    walk(child)
                    pending.append(" ")
            elif not isinstance(child, comment_type):
                pending.append(str(child))

    walk(cell)
    return spans, clean_label(pending)


def parse_pricing_page(html, parser):
    """Parse the pricing page with BeautifulSoup and return one dict per (row, column, label, region) price."""
    from bs4 import BeautifulSoup, Comment, Tag

    soup = BeautifulSoup(html, parser)
    section = soup.find("section", id="pricing")
    if section is None:
        raise InputError(f"{PAGE_FILE}: no <section id='pricing'> found")

    prices = []
    family = None
    for element in section.find_all(["h2", "table"]):
        if element.name == "h2":
            family = cell_text(element)
            continue
        if element.find_parent("table") is not None:
            continue
        if family is None:
            raise InputError(f"{PAGE_FILE}: a table in section#pricing comes before the first <h2>")
        read_price_table(family, element, prices, Tag, Comment)

    if not prices:
        raise InputError(f"{PAGE_FILE}: section#pricing contains no prices")
    return prices


def read_price_table(family, table, prices, tag_type, comment_type):
    grid = expand_spans(table_rows(table))
    if not grid:
        raise InputError(f"{PAGE_FILE}: family '{family}': the table has no rows")
    headings = [cell_text(cell) for cell in grid[0]]
    roles = []
    for heading in headings:
        role = HEADING_ROLES.get(heading_stem(heading))
        if role is None:
            raise InputError(f"{PAGE_FILE}: family '{family}': unknown column heading '{heading}'")
        roles.append(role)
    if roles[0] != "model":
        raise InputError(f"{PAGE_FILE}: family '{family}': the first column heading is '{headings[0]}', expected 'Models'")

    for row_number, cells in enumerate(grid[1:], start=1):
        model_cell = cell_text(cells[0]) if cells else ""
        where = f"{PAGE_FILE}: family '{family}', row {row_number} ('{model_cell}')"
        if len(cells) != len(headings):
            raise InputError(f"{where}: {len(cells)} cells under {len(headings)} column headings")
        context = " ".join(cell_text(cell) for cell, role in zip(cells, roles) if role == "context")

        for heading, role, cell in zip(headings, roles, cells):
            if role != "prices":
                continue
            spans, trailing = read_price_cell(cell, tag_type, comment_type)
            if not spans:
                if trailing.lower() in NOT_OFFERED:
                    continue
                raise InputError(f"{where}, column '{heading}': no price-data span and not 'N/A' or '-'")
            if trailing:
                raise InputError(f"{where}, column '{heading}': text '{trailing}' after the last price")

            for label, amount_text in spans:
                if label not in PRICE_LABELS:
                    raise InputError(f"{where}, column '{heading}': unknown price label '{label}', expected one of {', '.join(PRICE_LABELS)}")
                if amount_text is None:
                    raise InputError(f"{where}, column '{heading}', {label}: the price-data span has no data-amount attribute")
                try:
                    regional = json.loads(amount_text)["regional"]
                    region_prices = regional.items()
                except (ValueError, KeyError, TypeError, AttributeError):
                    raise InputError(
                        f"{where}, column '{heading}', {label}: invalid data-amount '{amount_text}', "
                        'expected JSON such as {"regional":{"us-east":2.5}}'
                    ) from None
                for region, amount in region_prices:
                    prices.append(
                        {
                            "family": family,
                            "model": model_cell,
                            "context": context,
                            "column": heading,
                            "label": label,
                            "region": region,
                            "amount": amount,
                        }
                    )


def page_parse_work(html, parser):
    def work():
        prices = parse_pricing_page(html, parser)
        return len(prices), len(prices), {"families": len({price["family"] for price in prices})}

    return work


# ---------------------------------------------------------------------------
# Query result reshaping
# ---------------------------------------------------------------------------

QUERY_COLUMNS = (
    "bucket_start",
    "user",
    "subscription",
    "deployment",
    "response_model",
    "service_tier",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "requests",
    "rejected",
    "usage_missing",
    "source",
    "estimated",
)

COUNT_COLUMNS = (
    "requests",
    "rejected",
    "usage_missing",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_tokens",
)


def load_json(path):
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except ValueError as error:
        raise InputError(f"{path}: invalid JSON: {error}") from None


def load_prices(path, number_type):
    """Read prices.json into {deployment: (input, cached input, output)} in USD per 1M tokens."""
    document = load_json(path)
    if not isinstance(document, dict):
        raise InputError(f"{path}: expected an object of deployments, such as " '{"gpt-4o": {"input": "2.5", "cached_input": "1.25", "output": "10"}}')
    prices = {}
    for deployment, entry in document.items():
        if not isinstance(entry, dict):
            raise InputError(f"{path}: deployment '{deployment}': expected an object with input, cached_input and output, got {entry!r}")
        parsed = []
        for kind in ("input", "cached_input", "output"):
            if kind not in entry:
                raise InputError(f"{path}: deployment '{deployment}' has no price '{kind}'")
            parsed.append(parse_price(path, deployment, kind, entry[kind], number_type))
        prices[deployment] = tuple(parsed)
    return prices


def parse_price(path, deployment, kind, text, number_type):
    # A JSON number would reach Decimal through a binary float, so prices
    # must be strings. null is a price the catalog does not have: a row with
    # tokens of that kind is unpriced, as the Rust side counts it.
    if text is None:
        return None
    invalid = InputError(f"{path}: deployment '{deployment}', price '{kind}': expected a non-negative decimal number as a string such as \"2.5\", got {text!r}")
    if not isinstance(text, str):
        raise invalid
    try:
        exact = Decimal(text)
    except InvalidOperation:
        raise invalid from None
    if not exact.is_finite() or exact < 0:
        raise invalid
    return number_type(text)


def result_table(path, document):
    """Return the columns and rows of the first table of a query API response."""
    try:
        table = document["tables"][0]
        columns = table["columns"]
        rows = table["rows"]
    except (KeyError, IndexError, TypeError):
        raise InputError(f"{path}: expected a query API response such as " '{"tables":[{"name":"PrimaryResult","columns":[...],"rows":[...]}]}') from None
    positions = {column.get("name"): index for index, column in enumerate(columns)}
    for name in QUERY_COLUMNS:
        if name not in positions:
            raise InputError(f"{path}: the result has no column '{name}'")
    return positions, rows


def explain_bad_row(path, rows, positions):
    """Return an InputError naming the first row that the reshaping loop cannot read, and why."""
    for row_number, row in enumerate(rows):
        if not isinstance(row, list) or len(row) < len(positions):
            return InputError(f"{path}: row {row_number} is not a list of {len(positions)} values: {row!r}")
        for name in COUNT_COLUMNS:
            value = row[positions[name]]
            if not isinstance(value, int) or isinstance(value, bool):
                return InputError(f"{path}: row {row_number}, column '{name}': expected a whole number, got {value!r}")
    return InputError(f"{path}: a row has a value of the wrong type")


def reshape_query(data_dir, number_type):
    """Sum requests, tokens and cost per user, as the replaced Azure Function did.

    With number_type=float this repeats the original tool's float arithmetic,
    whose sums carry binary rounding error. With Decimal, and the context that
    query_reshape_decimal_work sets, every sum is exact.
    """
    query_path = data_dir / QUERY_FILE
    prices = load_prices(data_dir / PRICES_FILE, number_type)
    positions, rows = result_table(query_path, load_json(query_path))

    user_at = positions["user"]
    deployment_at = positions["deployment"]
    input_at = positions["input_tokens"]
    cached_at = positions["cached_input_tokens"]
    output_at = positions["output_tokens"]
    reasoning_at = positions["reasoning_tokens"]
    requests_at = positions["requests"]
    rejected_at = positions["rejected"]
    missing_at = positions["usage_missing"]
    zero = number_type(0)

    per_user = {}
    unpriced_rows = 0
    try:
        for row in rows:
            user = row[user_at]
            totals = per_user.get(user)
            if totals is None:
                totals = per_user[user] = {
                    "requests": 0,
                    "rejected": 0,
                    "usage_missing": 0,
                    "input_tokens": 0,
                    "cached_input_tokens": 0,
                    "output_tokens": 0,
                    "reasoning_tokens": 0,
                    "cost": zero,
                }
            input_tokens = row[input_at]
            cached_tokens = row[cached_at]
            output_tokens = row[output_at]
            totals["requests"] += row[requests_at]
            totals["rejected"] += row[rejected_at]
            totals["usage_missing"] += row[missing_at]
            totals["input_tokens"] += input_tokens
            totals["cached_input_tokens"] += cached_tokens
            totals["output_tokens"] += output_tokens
            totals["reasoning_tokens"] += row[reasoning_at]

            price = prices.get(row[deployment_at])
            if price is None:
                unpriced_rows += 1
                continue
            input_price, cached_price, output_price = price
            if (input_price is None and input_tokens > cached_tokens) or (cached_price is None and cached_tokens) or (output_price is None and output_tokens):
                unpriced_rows += 1
                continue
            uncached_cost = (input_tokens - cached_tokens) * input_price if input_tokens > cached_tokens else zero
            cached_cost = cached_tokens * cached_price if cached_tokens else zero
            output_cost = output_tokens * output_price if output_tokens else zero
            totals["cost"] += (uncached_cost + cached_cost + output_cost) / TOKENS_PER_PRICE
    except (TypeError, IndexError):
        raise explain_bad_row(query_path, rows, positions) from None

    total_cost = zero
    for totals in per_user.values():
        total_cost += totals["cost"]
    detail = {"users": len(per_user), "unpriced_rows": unpriced_rows}
    return len(rows), total_cost, detail


def query_reshape_float_work(data_dir):
    def work():
        # Float arithmetic, as the original Python tool used.
        rows, total_cost, detail = reshape_query(data_dir, float)
        return rows, round(total_cost, 6), detail

    return work


def query_reshape_decimal_work(data_dir):
    def work():
        # Exact decimal arithmetic. Inexact is trapped, so a total that needs
        # more than 60 significant digits raises instead of rounding.
        with localcontext() as context:
            context.prec = 60
            context.traps[Inexact] = True
            rows, total_cost, detail = reshape_query(data_dir, Decimal)
        return rows, format(total_cost.normalize(), "f"), detail

    return work


# ---------------------------------------------------------------------------
# LiteLLM
# ---------------------------------------------------------------------------


def load_records(path):
    """Read records.jsonl into (model, deployment type, input, cached input, output) tuples."""
    records = []
    try:
        with open(path, encoding="utf-8") as file:
            for line_number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    records.append(
                        (
                            record["model"],
                            record["deployment_type"],
                            record["input_tokens"],
                            record["cached_input_tokens"],
                            record["output_tokens"],
                        )
                    )
                except ValueError as error:
                    raise InputError(f"{path}: line {line_number}: invalid JSON: {error}") from None
                except KeyError as error:
                    raise InputError(f"{path}: line {line_number}: missing field {error}") from None
                except TypeError:
                    raise InputError(f"{path}: line {line_number}: expected a JSON object") from None
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    if not records:
        raise InputError(f"{path}: no records")
    return records


def import_litellm():
    import litellm

    # Under strace, LiteLLM 1.110.2 made no network connection in these
    # measurements. The callback lists are cleared as well, so no logging
    # integration can run during them.
    litellm.suppress_debug_info = True
    litellm.callbacks = []
    litellm.success_callback = []
    litellm.failure_callback = []
    litellm._async_success_callback = []
    litellm._async_failure_callback = []
    return litellm


def litellm_names(records, litellm):
    """Map each (model, deployment type) of the records to a LiteLLM model name.

    The names come from litellm_models.json. A pair missing from that file is
    mapped with the same rules, and a note goes to stderr.
    """
    mapping = json.loads(litellm_models.MAPPING_PATH.read_text(encoding="utf-8"))
    names = {}
    derived = []
    for model, deployment_type, *_ in records:
        pair = (model, deployment_type)
        if pair in names:
            continue
        if deployment_type not in litellm_models.DEPLOYMENT_TYPES:
            raise InputError(f"{RECORDS_FILE}: deployment_type '{deployment_type}' is not one of {', '.join(litellm_models.DEPLOYMENT_TYPES)}")
        entry = mapping["models"].get(model, {}).get(deployment_type)
        if entry is not None:
            names[pair] = entry["litellm_model"]
            continue
        try:
            names[pair], _ = litellm_models.litellm_key(litellm.model_cost, model, deployment_type)
        except KeyError as error:
            raise InputError(f"{RECORDS_FILE}: {error.args[0]}") from None
        derived.append(f"{model} ({deployment_type}) -> {names[pair]}")
    if derived:
        print(f"note: not in {litellm_models.MAPPING_PATH.name}, mapped by its rules: {'; '.join(derived)}", file=sys.stderr)
    return names


def litellm_cost_per_token_work(records, names, litellm):
    cost_per_token = litellm.cost_per_token

    def work():
        total = 0.0
        for model, deployment_type, input_tokens, cached_tokens, output_tokens in records:
            # prompt_tokens includes the cached tokens, as Azure reports them.
            # LiteLLM 1.110.2 charges (prompt - cached) at the input price and
            # cached at the cache-read price.
            prompt_cost, completion_cost = cost_per_token(
                model=names[(model, deployment_type)],
                custom_llm_provider="azure",
                prompt_tokens=input_tokens,
                completion_tokens=output_tokens,
                cache_read_input_tokens=cached_tokens,
            )
            total += prompt_cost + completion_cost
        return len(records), round(total, 6), {"litellm_models": len(set(names.values()))}

    return work


def litellm_completion_cost_work(records, names, litellm):
    completion_cost = litellm.completion_cost

    def work():
        total = 0.0
        for model, deployment_type, input_tokens, cached_tokens, output_tokens in records:
            # A response as the Azure OpenAI API returns it, reduced to model
            # and usage, the fields that completion_cost needs to price it.
            response = {
                "model": names[(model, deployment_type)],
                "usage": {
                    "prompt_tokens": input_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": input_tokens + output_tokens,
                    "prompt_tokens_details": {"cached_tokens": cached_tokens},
                },
            }
            total += completion_cost(completion_response=response, custom_llm_provider="azure")
        return len(records), round(total, 6), {"litellm_models": len(set(names.values()))}

    return work


# ---------------------------------------------------------------------------
# Process start-up
# ---------------------------------------------------------------------------

# The imports of the replaced Azure Function, then one cost: 1,200 input
# tokens of which 200 cached, 300 output tokens, at 2.5 / 1.25 / 10 USD per
# 1M tokens, which is 0.00575 USD.
STARTUP_WITH_IMPORTS = (
    "import azure.functions, azure.identity, azure.monitor.query, azure.storage.blob, requests, bs4\n"
    "print((1000 * 2.5 + 200 * 1.25 + 300 * 10) / 1_000_000)\n"
)
STARTUP_BARE = "print(1)"


def startup_work(code):
    command = [sys.executable, "-c", code]

    def work():
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"{command[0]} -c failed with exit code {completed.returncode}: {completed.stderr.strip()}")
        return 1, completed.stdout.strip(), {}

    return work


# ---------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------


def measure(name, runs, work):
    """Run work once to warm up, then `runs` times, and return the result line.

    Every run must return the same items and check, or the measurement fails.
    """
    gc.collect()
    expected = work()
    seconds = []
    for _ in range(runs):
        # Collect the previous run's garbage outside the timed region, so no
        # run pays for another's.
        gc.collect()
        start = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - start)
        if result[:2] != expected[:2]:
            raise RuntimeError(f"{name}: a run returned {result[:2]}, the warm-up run {expected[:2]}")
    items, check, detail = expected
    return {
        "name": name,
        "seconds": statistics.median(seconds),
        "runs": runs,
        "items": items,
        "check": check,
        "detail": dict(detail, min_seconds=min(seconds), max_seconds=max(seconds)),
    }


MEASUREMENTS = (
    "page_parse_bs4_html_parser",
    "page_parse_bs4_lxml",
    "query_reshape_python",
    "query_reshape_python_decimal",
    "litellm_cost_per_token",
    "litellm_completion_cost",
    "python_startup_imports",
    "python_startup_bare",
)


def read_page(data_dir):
    path = data_dir / PAGE_FILE
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None


def build_work(selected, data_dir):
    """Yield (name, work) for each selected measurement, preparing its inputs first."""
    if {"page_parse_bs4_html_parser", "page_parse_bs4_lxml"} & selected:
        html = read_page(data_dir)
        if "page_parse_bs4_html_parser" in selected:
            yield "page_parse_bs4_html_parser", page_parse_work(html, "html.parser")
        if "page_parse_bs4_lxml" in selected:
            yield "page_parse_bs4_lxml", page_parse_work(html, "lxml")

    if "query_reshape_python" in selected:
        yield "query_reshape_python", query_reshape_float_work(data_dir)
    if "query_reshape_python_decimal" in selected:
        yield "query_reshape_python_decimal", query_reshape_decimal_work(data_dir)

    if {"litellm_cost_per_token", "litellm_completion_cost"} & selected:
        # Records are parsed and mapped before timing, so the LiteLLM
        # measurements time the cost functions and the sum only.
        records = load_records(data_dir / RECORDS_FILE)
        litellm = import_litellm()
        names = litellm_names(records, litellm)
        if "litellm_cost_per_token" in selected:
            yield "litellm_cost_per_token", litellm_cost_per_token_work(records, names, litellm)
        if "litellm_completion_cost" in selected:
            yield "litellm_completion_cost", litellm_completion_cost_work(records, names, litellm)

    if "python_startup_imports" in selected:
        yield "python_startup_imports", startup_work(STARTUP_WITH_IMPORTS)
    if "python_startup_bare" in selected:
        yield "python_startup_bare", startup_work(STARTUP_BARE)


def parse_arguments():
    parser = argparse.ArgumentParser(description="Time the Python tools that aoai-meter replaces and print one JSON line per measurement.")
    parser.add_argument("data_dir", type=Path, help=f"directory with {PAGE_FILE}, {QUERY_FILE}, {PRICES_FILE} and {RECORDS_FILE}")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement after one warm-up run; the median is reported (default: 5)")
    parser.add_argument(
        "--only",
        action="append",
        choices=MEASUREMENTS,
        metavar="NAME",
        help=f"run only this measurement; repeat for several (one of: {', '.join(MEASUREMENTS)})",
    )
    arguments = parser.parse_args()
    if arguments.runs < 1:
        parser.error(f"--runs must be at least 1, got {arguments.runs}")
    if not arguments.data_dir.is_dir():
        parser.error(f"data directory not found: {arguments.data_dir}")
    return arguments


def main():
    arguments = parse_arguments()
    selected = set(arguments.only or MEASUREMENTS)
    try:
        for name, work in build_work(selected, arguments.data_dir):
            print(json.dumps(measure(name, arguments.runs, work)), flush=True)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        print(f"error: {error}; run compare.py with the Python of the virtual environment that bench/python/setup.sh creates", file=sys.stderr)
        return 1
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
