#!/usr/bin/env bash
# Whole-process measurements of both handler binaries, as BENCHMARKS.md reports them:
# time from process start to the first 200 response, idle memory, and throughput, latency and
# peak memory under concurrent load from a client on the loopback address. Each result is
# one JSON line on standard output.
#
#   bench/process.sh            # about 3 minutes on 2 cores, after the release build
#
# BENCH_WORK sets the folder of the generated store (default: a new temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
cargo build --release --locked -p aoai-pricing -p aoai-usage -p aoai-bench >&2
bin="$target/release"
work="${BENCH_WORK:-$(mktemp -d)}"
mkdir -p "$work"
echo "working in $work" >&2

# A month of 1,000,000 generated calls, and an empty store.
if [ ! -f "$work/month/usage.db" ]; then
  "$bin/aoai-bench" fill "$work/month/usage.db" 1000000
fi
empty=(USAGE_STORE="$work/empty/usage.db" PRICING_CACHE_PATH="$work/prices")
month=(USAGE_STORE="$work/month/usage.db" AOAI_DEPLOYMENTS="$work/month/deployments.json" PRICING_CACHE_PATH="$work/prices")
pricing=(PRICING_CACHE_PATH="$work/prices")

price='/api/price?model=gpt-4o-2024-11-20&deployment_type=DataZoneStandard&at=2026-08-15T00:00:00Z'
usage_user='/api/usage?from=2026-11-01&to=2026-12-01&group_by=user'
usage_empty='/api/usage?group_by=user'

echo "# cold start: process start to the first 200, 20 runs each" >&2
"$bin/aoai-bench" start "$bin/aoai-pricing" / 20 "${pricing[@]}"
"$bin/aoai-bench" start "$bin/aoai-pricing" "$price" 20 "${pricing[@]}"
"$bin/aoai-bench" start "$bin/aoai-usage" / 20 "${empty[@]}"
"$bin/aoai-bench" start "$bin/aoai-usage" "$usage_empty" 20 "${empty[@]}"
echo "# first /api/usage over the 1,000,000-call store, which loads it into memory" >&2
"$bin/aoai-bench" start "$bin/aoai-usage" "$usage_user" 5 "${month[@]}"

echo "# load from the loopback address, 10 s each" >&2
"$bin/aoai-bench" load "$bin/aoai-pricing" / "$price" 32 10 "${pricing[@]}"
"$bin/aoai-bench" load "$bin/aoai-pricing" / "$price" 4 10 "${pricing[@]}"
"$bin/aoai-bench" load "$bin/aoai-usage" "$usage_user" "$usage_user" 4 10 "${month[@]}"

echo "# ingestion into new stores: gzip batches of 512 spans, each acknowledged after its commit, 10 s each" >&2
rm -rf "$work/ingest-1" "$work/ingest-4"
"$bin/aoai-bench" ingest "$bin/aoai-usage" 1 10 USAGE_STORE="$work/ingest-1/usage.db" PRICING_CACHE_PATH="$work/prices"
"$bin/aoai-bench" ingest "$bin/aoai-usage" 4 10 USAGE_STORE="$work/ingest-4/usage.db" PRICING_CACHE_PATH="$work/prices"
echo "# the same from one client into a copy of the 1,000,000-call store" >&2
rm -rf "$work/ingest-full"
cp -r "$work/month" "$work/ingest-full"
"$bin/aoai-bench" ingest "$bin/aoai-usage" 1 10 USAGE_STORE="$work/ingest-full/usage.db" PRICING_CACHE_PATH="$work/prices"
