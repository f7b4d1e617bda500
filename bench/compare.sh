#!/usr/bin/env bash
# Side-by-side comparison in one run: the same input files timed in Rust and in the Python
# stack that aoai-meter replaces (BeautifulSoup, a plain Python loop, LiteLLM's cost
# functions), plus the start of each process. Prints a Markdown table of times and ratios.
#
#   bench/compare.sh            # about 5 minutes on 2 cores, after the builds
#
# BENCH_DATA sets the folder of the inputs and results, BENCH_RUNS the timed runs per
# measurement (default 5; each also gets one warm-up run).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
runs="${BENCH_RUNS:-5}"
data="${BENCH_DATA:-$(mktemp -d)}"
mkdir -p "$data"

cargo build --release --locked -p aoai-pricing -p aoai-bench >&2
bench/python/setup.sh >&2
python="${BENCH_VENV:-bench/python/.venv}/bin/python"

echo "writing the inputs to $data" >&2
"$target/release/aoai-bench" data "$data"

echo "timing the Rust side" >&2
"$target/release/aoai-bench" compare "$data" "$runs" > "$data/rust.jsonl"
price='/api/price?model=gpt-4o-2024-11-20&deployment_type=DataZoneStandard&at=2026-08-15T00:00:00Z'
"$target/release/aoai-bench" start "$target/release/aoai-pricing" "$price" 20 \
  PRICING_CACHE_PATH="$data/prices" > "$data/start.jsonl"

echo "timing the Python side" >&2
"$python" bench/python/compare.py "$data" --runs "$runs" > "$data/python.jsonl"

python3 bench/ratios.py "$data"
