#!/usr/bin/env bash
# Install everything TuneX's tests need and run them: ruff, then the whole pytest suite
# (unit, Streamlit AppTest, slow and real-browser end-to-end tests).
#
#   bash scripts/test.sh              # everything
#   bash scripts/test.sh -m "not browser" tests/pages    # extra arguments go to pytest
#
# Environment: PYTHON (interpreter for the venv), TUNEX_CHROMIUM (browser executable),
# TUNEX_SKIP_BROWSER_INSTALL=1 (never apt-get chromium), TUNEX_REQUIRE_BROWSER=0/1,
# TUNEX_TEST_TIMEOUT (pytest's wall-clock limit, default 60m), TUNEX_TEST_WORKERS (pytest-xdist
# worker processes, default one per CPU up to 4; 0 or 1 runs the tests in this one process).
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TUNEX_ROOT" || exit 1
started=$SECONDS

ensure_venv
install_requirements requirements-dev.txt

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
find_chromium() {
    if [[ -n "${TUNEX_CHROMIUM:-}" ]]; then command -v "$TUNEX_CHROMIUM" 2>/dev/null; return; fi
    [[ -x /usr/bin/chromium ]] && { echo /usr/bin/chromium; return; }
    command -v chromium || command -v chromium-browser || command -v google-chrome
}
chromium="$(find_chromium)"
if [[ -z "$chromium" && "${TUNEX_SKIP_BROWSER_INSTALL:-0}" != 1 ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        say "installing Debian's chromium for the browser tests"
        if DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
            chromium="$(find_chromium)"
        else
            say "warning: apt-get could not install chromium"
        fi
    else
        say "chromium is not installed and this is not a root shell with apt-get;"
        say "install it yourself (e.g. 'sudo apt-get install chromium') or set TUNEX_CHROMIUM"
    fi
fi
if [[ -n "$chromium" ]]; then
    say "browser tests use $chromium"
    # A browser that is there but fails to start is a failure, not a skip.
    export TUNEX_REQUIRE_BROWSER="${TUNEX_REQUIRE_BROWSER:-1}"
else
    say "WARNING: no Chromium found: the browser tests will be SKIPPED (see the skip reasons below)"
fi

say "ruff check ."
"$VENV/bin/ruff" check .
ruff_status=$?

# Tests run in parallel worker processes (pytest-xdist); the real-browser tests stay together on one
# worker (one xdist_group, see tests/conftest.py). Each worker loads TensorFlow and its own session
# fixtures, hence at most 4 by default.
if [[ -n "${TUNEX_TEST_WORKERS:-}" ]]; then
    workers="$TUNEX_TEST_WORKERS"
else
    workers="$(nproc 2>/dev/null || echo 1)"
    [[ "$workers" =~ ^[0-9]+$ ]] && (( workers > 4 )) && workers=4
fi
[[ "$workers" =~ ^[0-9]+$ ]] || { say "TUNEX_TEST_WORKERS must be a number, not '$workers'"; exit 2; }
parallel=()
if (( workers > 1 )); then parallel=(-n "$workers" --dist loadgroup); fi

mkdir -p artifacts
log="artifacts/pytest.log"
say "pytest with ${workers} worker(s) (log: $log, screenshots: artifacts/screenshots/)"
timeout --signal=INT --kill-after=60 "${TUNEX_TEST_TIMEOUT:-60m}" \
    "$VENV_PYTHON" -m pytest -ra --durations=10 "${parallel[@]}" "$@" 2>&1 | tee "$log"
pytest_status=${PIPESTATUS[0]}
# pytest's closing line, e.g. "===== 78 passed, 2 skipped in 33.65s =====" (no "=" with -q).
summary="$(grep -E '^(=+ )?(([0-9]+ [a-z]+(, )?)+|no tests ran) in [0-9.]+s' "$log" | tail -n 1)"

say "finished in $((SECONDS - started)) s: ruff exit $ruff_status, pytest exit $pytest_status"
status=0
if [[ $ruff_status -ne 0 ]]; then
    say "FAILED: ruff found problems (run '.venv/bin/ruff check . --fix' for the fixable ones)"
    status=1
fi
case $pytest_status in
    0) ;;
    5) say "FAILED: pytest collected no tests; a run that tests nothing is not a pass"; status=1 ;;
    124) say "FAILED: pytest ran past ${TUNEX_TEST_TIMEOUT:-60m}"; status=1 ;;
    *) say "FAILED: pytest exit $pytest_status"; status=1 ;;
esac
echo "${summary:-no pytest summary line found (exit $pytest_status)}"
exit $status
