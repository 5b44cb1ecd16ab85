#!/usr/bin/env bash
# Retake the README's page screenshots with the browser test harness:
# runs the sidebar-navigation browser tests (which save artifacts/screenshots/page-*.png)
# and writes small copies (< 300 KB each) to docs/screenshots/.
#
#   bash scripts/screenshots.sh              # every page
#   bash scripts/screenshots.sh model live   # only these pages (file names without .png)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TUNEX_ROOT"
[[ -x "$VENV_PYTHON" ]] || die "run 'bash scripts/test.sh' once first (it installs the test tools)"
if [[ ! -f models/metrics.json && -z "${TUNEX_METRICS_FILE:-}" ]]; then
    say "warning: models/metrics.json is missing: the Model page shows the SAMPLE metrics fixture"
fi
# Fresh screenshots only: an old artifact must never be copied into docs/ as if it were new.
rm -f artifacts/screenshots/*.png
# Two runs: pytest's -k would also filter the journey and live tests.
"$VENV_PYTHON" -m pytest -q -p no:cacheprovider tests/browser/test_navigation.py -k sidebar
"$VENV_PYTHON" -m pytest -q -p no:cacheprovider tests/browser/test_journey.py tests/browser/test_live_browser.py
"$VENV_PYTHON" - "$@" <<'PYTHON'
import sys
from pathlib import Path

from PIL import Image

LIMIT_BYTES = 300_000
source_folder, target_folder = Path("artifacts/screenshots"), Path("docs/screenshots")
target_folder.mkdir(parents=True, exist_ok=True)
wanted = set(sys.argv[1:])
# README image <- browser-test screenshot (pages shown with a mood set and the camera running)
SOURCES = {"home": "journey-home", "live": "live-webrtc-stream", "song_map": "journey-song_map",
           "playlist": "journey-playlist", "model": "page-model"}
for name, stem in SOURCES.items():
    source = source_folder / f"{stem}.png"
    if (wanted and name not in wanted) or not source.is_file():
        continue
    image = Image.open(source).convert("RGB")
    target = target_folder / f"{name}.png"
    for width, colours in ((1100, 256), (960, 128), (800, 64), (640, 48)):
        scaled = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
        scaled.quantize(colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            target, optimize=True)
        if target.stat().st_size < LIMIT_BYTES:
            break
    print(f"{target}: {scaled.width}x{scaled.height}, {target.stat().st_size // 1000} KB")
PYTHON
