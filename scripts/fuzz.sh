#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (AddressSanitizer + UBSan) in ./build-fuzz
# and runs them. See fuzz/README.md.
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     (defaults: all, 60)
#   JOBS=N       build jobs (default 2)
#   PARALLEL=N   targets fuzzed at once (default 1)
#   BUILD_ONLY=1 build, do not run
# Everything runs under `nice -n 19`. Findings go to build-fuzz/artifacts/TARGET/, the grown
# corpus to build-fuzz/corpus/TARGET/ (fuzz/corpus/ holds only the committed seeds), the log
# to build-fuzz/logs/TARGET.log.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:-all}"
seconds="${2:-60}"
jobs="${JOBS:-2}"
parallel="${PARALLEL:-1}"
build=build-fuzz

all_targets=()
for f in fuzz/*_fuzz.cpp; do
  n="$(basename "$f" _fuzz.cpp)"
  all_targets+=("$n")
done
if [ "$target" = all ]; then
  targets=("${all_targets[@]}")
else
  [ -f "fuzz/${target}_fuzz.cpp" ] || { echo "fuzz.sh: no target '$target' (have: ${all_targets[*]})" >&2; exit 2; }
  targets=("$target")
fi

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  nice -n 19 cmake -S . -B "$build" -DAGENTCO_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    "${launcher[@]}" >/dev/null
fi
build_targets=()
for t in "${targets[@]}"; do build_targets+=("${t}_fuzz"); done
nice -n 19 cmake --build "$build" -j"$jobs" --target "${build_targets[@]}"
[ "${BUILD_ONLY:-0}" = 1 ] && exit 0

# Largest input worth trying per target: a SOP or config file, a reply, a log, a workspace.
max_len_of() {
  case "$1" in
    chunk_reader|routes) echo 4096 ;;
    config|sse_parser|structured_output|sop|tool_arguments) echo 16384 ;;
    *) echo 65536 ;;
  esac
}

# Real model output and tool logs, when the shared fixtures are beside the checkout
# (FUZZ_FIXTURES=DIR elsewhere): extra seeds generated into build-fuzz/fixture-seeds/, never committed.
fixtures="${FUZZ_FIXTURES:-../shared/fixtures}"
if [ -d "$fixtures" ] && [ ! -d "$build/fixture-seeds" ]; then
  python3 scripts/fuzz_fixture_seeds.py "$fixtures" "$build/fixture-seeds"
fi

run_target() {
  local t="$1"
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t" "$build/logs"
  local seeds=("fuzz/corpus/$t")
  [ -d "$build/fixture-seeds/$t" ] && seeds+=("$build/fixture-seeds/$t")
  echo "fuzz.sh: $t for ${seconds}s (log $build/logs/$t.log)"
  local rc=0
  nice -n 19 "$build/fuzz/${t}_fuzz" "$build/corpus/$t" "${seeds[@]}" \
    -max_total_time="$seconds" -max_len="$(max_len_of "$t")" -rss_limit_mb=2048 -timeout=20 \
    -artifact_prefix="$build/artifacts/$t/" -print_final_stats=1 >"$build/logs/$t.log" 2>&1 || rc=$?
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|ERROR:|SUMMARY" "$build/logs/$t.log" | sed "s/^/  $t: /"
  return $rc
}

status=0
running=0
for t in "${targets[@]}"; do
  if [ "$parallel" -gt 1 ]; then
    run_target "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then wait -n || status=1; running=$((running - 1)); fi
  else
    run_target "$t" || status=1
  fi
done
while [ "$running" -gt 0 ]; do wait -n || status=1; running=$((running - 1)); done
exit $status
