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

import numpy as np
from PIL import Image

LIMIT_BYTES = 300_000


def quantize(image: Image.Image, colours: int) -> Image.Image:
    """A palette image: a median-cut palette for the common colours, plus the quarter of a max-coverage
    palette farthest from it, each pixel mapped to its nearest colour. Median cut alone spent the palette
    on the Song map's blues and turned its legend's green, yellow, orange and purple dots grey and pink;
    max coverage alone tinted the grey sidebar pink."""
    extra = colours // 4
    common = image.quantize(colours - extra, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    base = np.array(common.getpalette()[: 3 * (colours - extra)]).reshape(-1, 3)
    wide = image.quantize(colours, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    candidates = np.array(wide.getpalette()[: 3 * colours]).reshape(-1, 3)
    distance = np.abs(candidates[:, None, :] - base[None, :, :]).sum(axis=2).min(axis=1)
    palette = np.vstack([base, candidates[np.argsort(-distance)[:extra]]]).astype(np.int32)
    # Pillow's own palette mapping is approximate; the exact nearest colour, once per distinct colour:
    unique, inverse = np.unique(np.asarray(image, dtype=np.int32).reshape(-1, 3), axis=0, return_inverse=True)
    nearest = np.concatenate([
        ((chunk[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        for chunk in np.array_split(unique, max(1, len(unique) // 4096))]).astype(np.uint8)
    result = Image.fromarray(nearest[inverse.ravel()].reshape(image.height, image.width), "P")
    result.putpalette([int(value) for value in palette.ravel()])
    return result

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
        quantize(scaled, colours).save(target, optimize=True)
        if target.stat().st_size < LIMIT_BYTES:
            break
    print(f"{target}: {scaled.width}x{scaled.height}, {target.stat().st_size // 1000} KB")
PYTHON
