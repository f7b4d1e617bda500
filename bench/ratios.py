#!/usr/bin/env python3
"""Print the Markdown table of bench/compare.sh from the JSON lines it wrote.

Each row pairs a Rust measurement with the Python one that does the same work on the
same files, and gives the ratio of their median times.
"""
import json
import sys
from pathlib import Path

PAIRS = [
    ("Parse the 1 MB pricing page", "page_parse_rust", "page_parse_bs4_html_parser"),
    ("Parse the 1 MB pricing page", "page_parse_rust", "page_parse_bs4_lxml"),
    ("Read and price 500,000 query rows per user", "query_reshape_rust", "query_reshape_python"),
    ("Read and price 500,000 query rows per user", "query_reshape_rust", "query_reshape_python_decimal"),
    ("Price 200,000 calls", "cost_per_record_rust", "litellm_cost_per_token"),
    ("Price 200,000 calls", "cost_per_record_rust", "litellm_completion_cost"),
    ("Start and return one price", "aoai_pricing_start", "python_startup_imports"),
]


def read_lines(path):
    results = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            results[record["name"]] = record
    return results


def main():
    data = Path(sys.argv[1])
    results = read_lines(data / "rust.jsonl")
    results.update(read_lines(data / "python.jsonl"))
    start = json.loads((data / "start.jsonl").read_text(encoding="utf-8"))
    results["aoai_pricing_start"] = {
        "seconds": start["first_response_ms"]["median"] / 1000,
        "check": start["path"],
    }

    print("| work | Rust | Python | Python time | Rust time | Python / Rust |")
    print("|---|---|---|---:|---:|---:|")
    for work, rust_name, python_name in PAIRS:
        rust = results.get(rust_name)
        python = results.get(python_name)
        if rust is None or python is None:
            print(f"| {work} | {rust_name} | {python_name} | missing | missing | |")
            continue
        ratio = python["seconds"] / rust["seconds"]
        print(
            f"| {work} | `{rust_name}` | `{python_name}` | {python['seconds'] * 1000:.1f} ms "
            f"| {rust['seconds'] * 1000:.1f} ms | {ratio:.0f}x |"
        )
    print()
    print("Checks (the same files must give the same counts and totals):")
    for name in sorted(results):
        print(f"- `{name}`: {results[name].get('check')}")


if __name__ == "__main__":
    main()
