#!/usr/bin/env bash
# Builds agentco with a sanitizer in its own build folder and runs the test suite under it:
#   scripts/sanitize.sh address [ctest args...]   ASan + UBSan in build-asan/
#   scripts/sanitize.sh thread  [ctest args...]   TSan in build-tsan/
# e.g. scripts/sanitize.sh thread -R 'ProcessRunner|MessageBus'
# Every program is built with the sanitizer (AGENTCO_SANITIZE): the tests, and agentco and
# fake-llm-server, which many tests run as child processes. A report ends a program with
# exit code 86 and fails its test (a child's report too: tests/support/child_process.hpp);
# afterwards the test log is searched for reports once more, and any found fails the script.
#   JOBS=N (default nproc), BUILD_DIR=... (default build-asan or build-tsan)
#   TESTS="process_runner human_mode": build only these test files (tests/<name>_test.cpp),
#   since a sanitizer build of all of them takes long; unset: all.
# Uses g++ (the compiler of the normal build) at -O1 -g, and ccache when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/sanitize.sh address|thread [ctest args...]" >&2; }
kind=${1:-}
case "$kind" in
  address) default_dir=build-asan ;;
  thread) default_dir=build-tsan ;;
  *) usage; exit 2 ;;
esac
shift

BUILD_DIR=${BUILD_DIR:-$default_dir}
TESTS=${TESTS:-}
JOBS=${JOBS:-$(nproc)}
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

cmake -S . -B "$BUILD_DIR" -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DAGENTCO_SANITIZE="$kind" -DAGENTCO_TEST_FILES="${TESTS// /;}" "${launcher[@]}" >/dev/null
# The tests need agentco and fake-llm-server, which agentco_tests depends on, and the fuzz
# smoke program (ctest -L fuzz: every fuzz target's seeds and mutations, sanitized); the
# benchmarks are not built.
cmake --build "$BUILD_DIR" -j "$JOBS" --target agentco_tests agentco_fuzz_smoke

# The programs carry the same defaults (cmake/sanitizer_defaults.cpp.in), for children started
# with a clean environment; these are for the test processes ctest starts, and win.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:exitcode=86:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=86}
export TSAN_OPTIONS=${TSAN_OPTIONS:-exitcode=86:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp}

status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" "$@" || status=$?

# A report that no test caught (a child whose stderr no test reads): the log holds the
# output of every test, passed or not.
log="$BUILD_DIR/Testing/Temporary/LastTest.log"
if [ -f "$log" ] && grep -q "SUMMARY: [A-Za-z]*Sanitizer" "$log"; then
  echo "sanitize: sanitizer reports in $log:" >&2
  grep "SUMMARY: [A-Za-z]*Sanitizer" "$log" | sort | uniq -c >&2
  status=1
fi
exit "$status"
