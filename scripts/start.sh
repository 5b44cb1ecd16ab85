#!/usr/bin/env bash
# Install TuneX's runtime dependencies into .venv (first run only) and start the app.
#
#   bash scripts/start.sh                        # then open http://localhost:8501
#   bash scripts/start.sh --server.port 8502     # extra arguments go to `streamlit run`
#   bash scripts/start.sh --share                # phones and tablets on this network too, over HTTPS,
#                                                # with an access code (docs/sharing.md)
#
# Nothing leaves the machine: no account, and Streamlit's usage statistics are off.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TUNEX_ROOT"

ensure_venv
install_requirements requirements.txt

arguments=(--browser.gatherUsageStats false)
if [[ "${CI:-}" == true || "${CI:-}" == 1 ]]; then
    arguments+=(--server.headless true)
fi
# Two allocator arenas from the first thread on (app.py also asks, but only after Streamlit's own
# threads have started): the server's memory then stays flat over repeated live-video visits.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

# --share (anywhere among the arguments): python -m tunex_core share makes the certificate, prints the
# address and access code, and becomes the HTTPS server (or says why not and serves localhost only).
share=false
rest=()
for argument in "$@"; do
    if [[ "$argument" == --share ]]; then share=true; else rest+=("$argument"); fi
done
if [[ "$share" == true ]]; then
    exec "$VENV_PYTHON" -m tunex_core share -- ${rest[@]+"${rest[@]}"}
fi
say "starting TuneX: open the URL printed below (Ctrl+C stops it)"
exec "$VENV_PYTHON" -m streamlit run app.py "${arguments[@]}" "$@"
