"""Live video through real WebRTC: TuneX's Live mood page against a passthrough app, side by side.

Starts ``streamlit run app.py`` (TuneX) and a passthrough streamlit-webrtc app (written by this
script: its callback converts the frame to an array and back, as TuneX's does, and returns it),
then, for each session count N, opens N headless Chromium sessions on each app in turn. Chromium's
fake camera plays a 640x480, 30 fps ``.y4m`` of the test face with a frame index drawn into each
frame (16 black/white 24 px squares in the bottom-left corner: 12 bits of index and a 4-bit check,
big enough to survive VP8). In every page a ``requestVideoFrameCallback`` reads each frame of the
returned video: its index, and whether TuneX's overlay is there (pixels around the face that differ
strongly from the camera picture).

Printed per session: distinct frames per second coming back (streamlit-webrtc's async mode
repeats the last frame when the callback is late, so only new indices count), for TuneX
distinct *analysed* frames (overlay present), and analyses per second (the page's Frames
metric); per run: the server's CPU (% of one core) and RSS; at the end TuneX's RSS before the
viewers came and after they left.

    .venv/bin/python bench/live_bench.py --sessions 1 3            # ~3 minutes
    .venv/bin/python bench/live_bench.py --sessions 1 2 3 --seconds 30
    .venv/bin/python bench/live_bench.py --sessions 3 --memory-rounds 7 --seconds 15   # memory over visits
    .venv/bin/python bench/live_bench.py --sessions 2 --memory-rounds 4 --trace-memory  # ... and Python's heap
    .venv/bin/python bench/live_bench.py --sessions 1 --https   # both apps over HTTPS (start.sh --share's
                                                                # kind of certificate), Chromium accepting it

Needs Playwright and a Chromium (``/usr/bin/chromium`` or ``TUNEX_CHROMIUM``). The machine's load
changes absolute numbers: compare TuneX with the passthrough measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from tests.browser.helpers import (  # noqa: E402 (the browser tests' server and Chromium helpers)
    CHROMIUM_FLAGS,
    FACE_PHOTO,
    find_chromium,
    free_loopback_port,
    metrics_file_for_server,
    stop_streamlit,
    wait_for_app_idle,
)
from tests.browser.y4m import fit_image, i420_to_rgb, load_rgb, rgb_to_i420, synthetic_face  # noqa: E402

WIDTH, HEIGHT, FPS = 640, 480, 30
START_SECONDS = 60  # a session whose video has not come back by then counts as failed
RECLICK_SECONDS = 15  # Start is pressed again when a session shows no video this long after the click
LOOP_FRAMES = 90  # the fake camera loops over 3 s of frames
SQUARE = 24  # side of one code square, in pixels
CODE_COLUMNS, CODE_ROWS = 8, 2
CODE_LEFT, CODE_TOP = 8, HEIGHT - 8 - CODE_ROWS * SQUARE
INDEX_BITS = 12
# TuneX's overlay is found by comparing the region around the face with the camera picture:
# pixels off by more than this in some channel (VP8 noise stays far below) were drawn on.
DRAWN_DIFFERENCE = 90

PASSTHROUGH_APP = textwrap.dedent('''\
    """Passthrough streamlit-webrtc app (written by bench/live_bench.py): the ceiling for TuneX."""
    import av
    from streamlit_webrtc import WebRtcMode, webrtc_streamer


    def callback(frame: av.VideoFrame) -> av.VideoFrame:
        image = frame.to_ndarray(format="bgr24")
        return av.VideoFrame.from_ndarray(image, format="bgr24")


    webrtc_streamer(
        key="passthrough", mode=WebRtcMode.SENDRECV, video_frame_callback=callback,
        media_stream_constraints={"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}, "audio": False},
        rtc_configuration={"iceServers": []}, async_processing=True,
        translations={"start": "Start camera", "stop": "Stop"})
''')

COLLECTOR_SCRIPT = """
(settings) => {
  const videos = [...document.querySelectorAll('video')].filter(v => v.videoWidth > 0);
  if (!videos.length) return false;
  const video = videos[videos.length - 1];
  const full = document.createElement('canvas');
  full.width = settings.width; full.height = settings.height;
  const fullContext = full.getContext('2d', {willReadFrequently: true});
  const records = [];
  window.__liveBench = records;
  const square = settings.square, columns = settings.columns, rows = settings.rows;
  const onFrame = () => {
    fullContext.drawImage(video, 0, 0, full.width, full.height);
    const code = fullContext.getImageData(settings.left, settings.top, columns * square, rows * square);
    let value = 0;
    for (let bit = 0; bit < columns * rows; bit++) {
      const column = bit % columns, row = Math.floor(bit / columns);
      let sum = 0, count = 0;
      for (let y = row * square + square / 2 - 4; y < row * square + square / 2 + 4; y++) {
        for (let x = column * square + square / 2 - 4; x < column * square + square / 2 + 4; x++) {
          const i = (y * code.width + x) * 4;
          sum += 0.299 * code.data[i] + 0.587 * code.data[i + 1] + 0.114 * code.data[i + 2];
          count++;
        }
      }
      if (sum / count > 128) value |= (1 << bit);
    }
    const region = settings.region;
    const pixels = fullContext.getImageData(region[0], region[1], region[2], region[3]).data;
    const reference = settings.reference;
    let coloured = 0;
    for (let i = 0, j = 0; i < pixels.length; i += 4, j += 3) {
      if (Math.abs(pixels[i] - reference[j]) > settings.difference
          || Math.abs(pixels[i + 1] - reference[j + 1]) > settings.difference
          || Math.abs(pixels[i + 2] - reference[j + 2]) > settings.difference) coloured++;
    }
    records.push([Date.now(), value, coloured]);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  return true;
}
"""

# Keeps every RTCPeerConnection the page makes, so that the bench can read its statistics.
KEEP_CONNECTIONS_SCRIPT = """
(() => {
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  window.__liveBenchConnections = [];
  window.RTCPeerConnection = function (...parameters) {
    const connection = new Original(...parameters);
    window.__liveBenchConnections.push(connection);
    return connection;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
})();
"""

# Frames of the returned video the browser decoded so far (independent of the page's main thread).
FRAMES_DECODED_SCRIPT = """
async () => {
  let decoded = 0;
  for (const connection of window.__liveBenchConnections || []) {
    const report = await connection.getStats();
    report.forEach(entry => {
      if (entry.type === 'inbound-rtp' && entry.kind === 'video') decoded += entry.framesDecoded || 0;
    });
  }
  return decoded;
}
"""

VIDEO_PLAYING_SCRIPT = """
() => [...document.querySelectorAll('video')].some(v => v.videoWidth > 0 && v.currentTime > 0.5)
"""


def check_bits(index: int) -> int:
    """The 4-bit check stored beside a 12-bit index (rejects frames caught mid-change or smeared)."""
    return (index * 7 + bin(index).count("1") + 5) % 16


def encode(index: int) -> int:
    """The 16-bit code drawn for frame ``index``."""
    index %= 1 << INDEX_BITS
    return index | (check_bits(index) << INDEX_BITS)


def decode(value: int) -> int | None:
    """The frame index in a 16-bit code, or None when its check does not match."""
    index = value & ((1 << INDEX_BITS) - 1)
    return index if value >> INDEX_BITS == check_bits(index) else None


def draw_code(rgb: np.ndarray, index: int) -> np.ndarray:
    """``rgb`` with frame ``index``'s code drawn in the bottom-left corner."""
    frame = rgb.copy()
    value = encode(index)
    frame[CODE_TOP - 4: CODE_TOP + CODE_ROWS * SQUARE + 4, CODE_LEFT - 4: CODE_LEFT + CODE_COLUMNS * SQUARE + 4] = 128
    for bit in range(CODE_COLUMNS * CODE_ROWS):
        row, column = divmod(bit, CODE_COLUMNS)
        top, left = CODE_TOP + row * SQUARE, CODE_LEFT + column * SQUARE
        frame[top: top + SQUARE, left: left + SQUARE] = 255 if value >> bit & 1 else 0
    return frame


def camera_image() -> np.ndarray:
    """The 640x480 RGB picture the fake camera shows (the test face), without the code."""
    rgb = load_rgb(FACE_PHOTO) if FACE_PHOTO.exists() else synthetic_face()
    return fit_image(rgb, WIDTH, HEIGHT)


def write_camera_video(path: Path, image: np.ndarray) -> None:
    """A looping 30 fps ``.y4m``: ``image`` with each frame's index code (only the code region changes)."""
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420\n".encode("ascii")
    with path.open("wb") as output:
        output.write(header)
        for index in range(LOOP_FRAMES):
            luma, blue, red = rgb_to_i420(draw_code(image, index))
            output.write(b"FRAME\n")
            output.write(luma.tobytes() + blue.tobytes() + red.tobytes())


@dataclass(frozen=True)
class OverlayCheck:
    """Where to look for TuneX's overlay, what the camera shows there, and how many drawn pixels count."""

    region: tuple[int, int, int, int]  # x, y, width, height around the face, label tag included
    reference: np.ndarray  # (height, width, 3) RGB of the camera picture there, after 4:2:0
    drawn_in_annotated: int
    drawn_in_plain: int

    @property
    def threshold(self) -> int:
        return (self.drawn_in_annotated + self.drawn_in_plain) // 2


def drawn_pixels(rgb_region: np.ndarray, reference: np.ndarray) -> int:
    """Pixels where some channel differs from the reference by more than ``DRAWN_DIFFERENCE``."""
    return int((np.abs(rgb_region.astype(int) - reference.astype(int)) > DRAWN_DIFFERENCE).any(axis=2).sum())


def overlay_check(image: np.ndarray) -> OverlayCheck:
    """Find the face as TuneX will, draw TuneX's overlay, and measure how many pixels it changes."""
    from tunex_core.vision.drawing import draw_faces
    from tunex_core.vision.pipeline import EmotionPipeline

    plain = i420_to_rgb(*rgb_to_i420(draw_code(image, 0)))
    bgr = cv2.cvtColor(plain, cv2.COLOR_RGB2BGR)
    faces = EmotionPipeline.load().process(bgr)
    if not faces:
        raise SystemExit("the test face is not detected in the camera picture; the bench cannot tell analysed frames")
    x, y, w, h = faces[0].box
    margin = max(40, h // 3)  # the label tag sits above (or below) the box
    left, top = max(0, x - 10), max(0, y - margin)
    right, bottom = min(WIDTH, x + w + 10), min(CODE_TOP - 8, y + h + margin)
    region = (left, top, right - left, bottom - top)
    annotated = cv2.cvtColor(draw_faces(bgr, faces), cv2.COLOR_BGR2RGB)
    reference = plain[top:bottom, left:right]
    return OverlayCheck(region, reference, drawn_pixels(annotated[top:bottom, left:right], reference),
                        drawn_pixels(reference, reference))


# ------------------------------------------------------------------------------------------- servers

@dataclass
class Server:
    """A ``streamlit run`` process for one app."""

    name: str
    url: str
    process: subprocess.Popen
    log_path: Path
    page_path: str
    trace_file: str = ""  # where a server started with --trace-memory writes its tracemalloc snapshots

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_megabytes(self, field_name: str = "VmRSS") -> float:
        """Resident memory in MB: ``VmRSS`` (all), ``RssAnon`` (heap, arenas) or ``RssFile`` (mapped files)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def memory_line(self) -> str:
        return (f"RSS {self.rss_megabytes():.0f} MB (anonymous {self.rss_megabytes('RssAnon'):.0f}, "
                f"mapped files {self.rss_megabytes('RssFile'):.0f})")


def unverified_tls():
    """A TLS context that accepts the bench's self-signed certificate (the health check only)."""
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def start_server(name: str, script: Path, cwd: Path, page_path: str, log_path: Path, home: Path,
                 extra_environment: dict | None = None, tls: tuple[Path, Path] | None = None) -> Server:
    port = free_loopback_port()
    environment = dict(os.environ, TUNEX_HOME=str(home), TUNEX_METRICS_FILE=str(metrics_file_for_server()),
                       TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1", **(extra_environment or {}))
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    if tls is not None:
        command += ["--server.sslCertFile", str(tls[0]), "--server.sslKeyFile", str(tls[1])]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    scheme = "https" if tls is not None else "http"
    server = Server(name, f"{scheme}://127.0.0.1:{port}", process, log_path, page_path,
                    (extra_environment or {}).get("TUNEX_BENCH_TRACE_FILE", ""))
    import urllib.request

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2,
                                        context=unverified_tls() if tls is not None else None) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{name} was not healthy after 120 s:\n{log_path.read_text()[-3000:]}")


# ------------------------------------------------------------------------------------------ sessions

@dataclass
class SessionResult:
    app: str
    number: int
    distinct_per_second: float
    analysed_per_second: float
    analyses_per_second: float | None
    video_in_per_second: int | None  # TuneX's "Video" metric: frames per second reaching the server
    decoded_per_second: float  # frames of the returned video the browser decoded (repeats included)
    painted_per_second: float  # frames the page's video-frame callback saw (repeats included)
    messages: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    app: str
    sessions: list[SessionResult]
    cpu_percent: float
    rss_megabytes: float


def video_frame(page):
    """The frame (the component's iframe) whose document holds the playing returned video."""
    for frame in page.frames:
        try:
            if frame.evaluate(VIDEO_PLAYING_SCRIPT):
                return frame
        except Exception:  # a frame that is navigating or gone
            continue
    return None


def metric_number(page, label: str) -> int | None:
    """The number in one of TuneX's metrics ("Frames": analysed since the camera started; "Video": fps in)."""
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')
    try:
        if metric.count():
            digits = re.sub(r"\D", "", metric.first.inner_text(timeout=2000))
            return int(digits) if digits else None
    except Exception:
        return None
    return None


def component_text(page) -> str:
    """The text of the WebRTC component (its buttons), to tell why a session has no video."""
    try:
        return page.frame_locator('iframe[title*="webrtc"]').locator("body").inner_text(timeout=2000).strip()[:200]
    except Exception as error:
        return f"(unreadable: {type(error).__name__})"


def page_messages(page) -> list[str]:
    """Warnings and errors the page shows (busy, analysis errors)."""
    boxes = page.locator('[data-testid="stAlertContentWarning"], [data-testid="stAlertContentError"], '
                         '[data-testid="stException"]')
    return [text.strip()[:160] for text in boxes.all_inner_texts()]


def run_sessions(browser, server: Server, count: int, seconds: float, warmup: float, threshold: int,
                 settings: dict) -> RunResult:
    contexts, pages = [], []
    try:
        for _ in range(count):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(90_000)
            context.add_init_script(KEEP_CONNECTIONS_SCRIPT)
            page = context.new_page()
            page.goto(f"{server.url}/{server.page_path}", wait_until="domcontentloaded")
            wait_for_app_idle(page, server.page_path)
            contexts.append(context)
            pages.append(page)
        for page in pages:
            page.frame_locator('iframe[title*="webrtc"]').get_by_role("button", name="Start camera").click()
        frames: list = [None] * count
        failures = {}
        started_at = time.monotonic()
        deadline = started_at + START_SECONDS  # all sessions start together
        clicked_at = [started_at] * count
        while time.monotonic() < deadline and any(frame is None for frame in frames):
            for index, page in enumerate(pages):
                if frames[index] is None:
                    frames[index] = video_frame(page)
                if frames[index] is None and time.monotonic() - clicked_at[index] > RECLICK_SECONDS:
                    # A click that landed while the component was still setting up is lost: press again
                    # if the button still says Start (a user would).
                    button = page.frame_locator('iframe[title*="webrtc"]').get_by_role("button", name="Start camera")
                    if button.count() and button.is_visible():
                        button.click()
                        print(f"  {server.name} session {index + 1}: pressed Start again", flush=True)
                    clicked_at[index] = time.monotonic()
            time.sleep(0.25)
        for number, (frame, page) in enumerate(zip(frames, pages, strict=True), start=1):
            if frame is None:
                failures[number] = f"no video came back in {START_SECONDS} s; the page shows: {component_text(page)!r}"
                print(f"  {server.name} session {number}: {failures[number]}\n  server log tail:\n"
                      f"{server.log_path.read_text(errors='replace')[-1500:]}", flush=True)
        for frame in frames:
            if frame is not None:
                frame.evaluate(COLLECTOR_SCRIPT, settings)
        time.sleep(warmup)
        analysed_before = [metric_number(page, "Frames") for page in pages]
        decoded_before = [frame.evaluate(FRAMES_DECODED_SCRIPT) if frame else 0 for frame in frames]
        cpu_before, started = server.cpu_seconds(), time.time()
        time.sleep(seconds)
        cpu_after, ended = server.cpu_seconds(), time.time()
        decoded_after = [frame.evaluate(FRAMES_DECODED_SCRIPT) if frame else 0 for frame in frames]
        rss = server.rss_megabytes()
        analysed_after = [metric_number(page, "Frames") for page in pages]
        video_in = [metric_number(page, "Video") for page in pages]
        sessions = []
        for number, (frame, page) in enumerate(zip(frames, pages, strict=True), start=1):
            records = frame.evaluate("() => window.__liveBench || []") if frame else []
            distinct, analysed = count_distinct(records, started * 1000, ended * 1000, threshold)
            painted = sum(1 for record in records if started * 1000 <= record[0] <= ended * 1000)
            decoded = decoded_after[number - 1] - decoded_before[number - 1]
            before, after = analysed_before[number - 1], analysed_after[number - 1]
            analyses = (after - before) / (ended - started) if before is not None and after is not None else None
            sessions.append(SessionResult(server.name, number, distinct / (ended - started),
                                          analysed / (ended - started), analyses, video_in[number - 1],
                                          decoded / (ended - started), painted / (ended - started),
                                          page_messages(page) + ([failures[number]] if number in failures else [])))
        return RunResult(server.name, sessions, 100 * (cpu_after - cpu_before) / (ended - started), rss)
    finally:
        for context in contexts:
            context.close()


def count_distinct(records: list, start_ms: float, end_ms: float, threshold: int) -> tuple[int, int]:
    """(new frame indices in the window, of which with the overlay) from the page's records."""
    distinct = analysed = 0
    previous = None
    for timestamp, value, coloured in records:
        index = decode(int(value))
        if index is None:
            continue
        if start_ms <= timestamp <= end_ms and index != previous:
            distinct += 1
            analysed += coloured >= threshold
        previous = index
    return distinct, analysed


def settle_rss(server: Server, seconds: float) -> float:
    """The server's RSS after ``seconds`` of quiet (the lowest seen in the last few seconds)."""
    deadline = time.monotonic() + seconds
    readings = []
    while time.monotonic() < deadline:
        readings.append(server.rss_megabytes())
        time.sleep(1)
    return min(readings[-5:]) if readings else server.rss_megabytes()


def stop_on_signals() -> None:
    """Turn SIGTERM (e.g. from ``timeout``) into SystemExit so the servers are stopped on the way out."""
    def handler(signal_number, frame):
        raise SystemExit(128 + signal_number)

    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    stop_on_signals()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 3], help="viewer counts to measure")
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement window per run")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds of streaming before measuring")
    parser.add_argument("--settle", type=float, default=45.0, help="seconds to wait before the RSS after")
    parser.add_argument("--trace-memory", action="store_true",
                        help="with --memory-rounds: run TuneX under tracemalloc and print the Python allocations "
                             "that grew from the first round to the last")
    parser.add_argument("--memory-rounds", type=int, default=0, metavar="ROUNDS",
                        help="memory study instead: TuneX only, ROUNDS visits of the largest --sessions count, "
                             "RSS after each (a leak grows every round; a one-time load grows once)")
    parser.add_argument("--https", action="store_true",
                        help="serve both apps over HTTPS with a self-signed certificate (as start.sh --share does) "
                             "and let Chromium accept it (--ignore-certificate-errors)")
    arguments = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise SystemExit("no Chromium found: install Debian's chromium or set TUNEX_CHROMIUM")
    with tempfile.TemporaryDirectory(prefix="tunex-live-bench-") as folder_name:
        folder = Path(folder_name)
        image = camera_image()
        check = overlay_check(image)
        threshold = check.threshold
        camera = folder / "camera.y4m"
        write_camera_video(camera, image)
        (folder / "passthrough_app.py").write_text(PASSTHROUGH_APP)
        (folder / "home").mkdir()
        tls = None
        if arguments.https:
            from tunex_core.sharing.certificate import ensure_certificate

            made = ensure_certificate(["localhost"], [], folder=folder / "tls")
            tls = (made.certificate_path, made.key_path)
        print(f"{'HTTPS' if arguments.https else 'plain http'} on 127.0.0.1; "
              f"load average at start: {' '.join(f'{value:.2f}' for value in os.getloadavg())}; "
              f"cores: {os.cpu_count()}; overlay check: {check.drawn_in_annotated} pixels drawn around the face "
              f"(region {check.region}), a frame counts as analysed from {threshold}", flush=True)
        tracing = None
        if arguments.trace_memory:
            if not arguments.memory_rounds:
                raise SystemExit("--trace-memory needs --memory-rounds")
            (folder / "probe").mkdir()
            (folder / "probe" / "sitecustomize.py").write_text(TRACE_PROBE)
            tracing = {"PYTHONPATH": str(folder / "probe"), "TUNEX_BENCH_TRACE_FILE": str(folder / "trace")}
        tunex = start_server("TuneX", PROJECT_ROOT / "app.py", PROJECT_ROOT, "live", folder / "tunex.log", folder / "home",
                             tracing, tls)
        try:
            passthrough = start_server("passthrough", folder / "passthrough_app.py", folder, "",
                                       folder / "passthrough.log", folder / "home", tls=tls)
        except BaseException:
            stop_streamlit(tunex)
            raise
        settings = {"width": WIDTH, "height": HEIGHT, "square": SQUARE, "columns": CODE_COLUMNS, "rows": CODE_ROWS,
                    "left": CODE_LEFT, "top": CODE_TOP, "region": list(check.region),
                    "reference": check.reference.reshape(-1).tolist(), "difference": DRAWN_DIFFERENCE}
        results: list[tuple[int, RunResult, RunResult]] = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=executable, headless=True, timeout=60_000,
                    args=[*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                          f"--use-file-for-fake-video-capture={camera}",
                          *(["--ignore-certificate-errors"] if tls is not None else [])])
                # Warm up: the first visit loads the model; the RSS before is measured after it.
                warm = browser.new_page()
                warm.goto(f"{tunex.url}/live", wait_until="domcontentloaded")
                warm.frame_locator('iframe[title*="webrtc"]').get_by_role("button", name="Start camera").wait_for(
                    timeout=120_000)
                warm.close()
                rss_before = settle_rss(tunex, 6)
                if arguments.memory_rounds:
                    memory_rounds(browser, tunex, max(arguments.sessions), arguments, threshold, settings)
                    browser.close()
                    return 0
                for count in arguments.sessions:
                    ceiling = run_sessions(browser, passthrough, count, arguments.seconds, arguments.warmup,
                                           threshold, settings)
                    measured = run_sessions(browser, tunex, count, arguments.seconds, arguments.warmup,
                                            threshold, settings)
                    results.append((count, ceiling, measured))
                    print_run(count, ceiling, measured)
                browser.close()
            rss_after = settle_rss(tunex, arguments.settle)
        finally:
            for server in (tunex, passthrough):
                stop_streamlit(server)
        print_summary(results, rss_before, rss_after)
    return 0


TRACE_PROBE = textwrap.dedent("""
    # Loaded by Python at start-up (bench/live_bench.py --trace-memory): tracemalloc, and a snapshot
    # written on SIGUSR1.
    import os, signal, tracemalloc
    _target = os.environ.get("TUNEX_BENCH_TRACE_FILE")
    if _target:
        tracemalloc.start(8)
        _count = [0]
        def _dump(signal_number, frame):
            _count[0] += 1
            tracemalloc.take_snapshot().dump(f"{_target}.{_count[0]}.tmp")
            os.replace(f"{_target}.{_count[0]}.tmp", f"{_target}.{_count[0]}")
        signal.signal(signal.SIGUSR1, _dump)
""")


def trace_snapshot(server: Server, number: int):
    """Ask the traced server for a tracemalloc snapshot and load it."""
    import tracemalloc

    path = Path(f"{server.trace_file}.{number}")
    server.process.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 120
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    return tracemalloc.Snapshot.load(str(path))


def memory_rounds(browser, server: Server, count: int, arguments, threshold: int, settings: dict) -> None:
    """Repeat one visit of ``count`` viewers and print the settled RSS after each (the memory study)."""
    print(f"after the warm visit: {server.memory_line()}", flush=True)
    snapshots = []
    for round_number in range(1, arguments.memory_rounds + 1):
        run = run_sessions(browser, server, count, arguments.seconds, arguments.warmup, threshold, settings)
        values = format_range([session.analysed_per_second for session in run.sessions])
        print(f"round {round_number}: {count} viewer(s) streamed at {values} analysed frames/s; "
              f"while streaming RSS {run.rss_megabytes:.0f} MB", flush=True)
        settle_rss(server, arguments.settle)
        print(f"  {arguments.settle:.0f} s after they left: {server.memory_line()}", flush=True)
        if arguments.trace_memory:
            snapshot = trace_snapshot(server, len(snapshots) + 1)
            snapshots.append(snapshot)
            print(f"  Python heap traced: {sum(stat.size for stat in snapshot.statistics('filename')) / 2**20:.1f} MB",
                  flush=True)
    if len(snapshots) >= 2:
        print(f"\nPython allocations that grew from round 1 to round {len(snapshots)} (top 15):")
        for stat in snapshots[-1].compare_to(snapshots[0], "traceback")[:15]:
            print(f"  {stat.size_diff / 1024:+8.0f} KiB {stat.count_diff:+6d} blocks")
            for line in stat.traceback.format()[-6:]:
                print(f"      {line}")


def print_run(count: int, ceiling: RunResult, measured: RunResult) -> None:
    print(f"\n{count} viewer(s):", flush=True)
    print(f"  {'app':<12} {'session':>7} {'distinct/s':>10} {'analysed/s':>10} {'analyses/s':>10} {'in fps':>6} "
          f"{'decoded/s':>9} {'painted/s':>9}  server CPU %  RSS MB", flush=True)
    for run in (ceiling, measured):
        for session in run.sessions:
            analysed = f"{session.analysed_per_second:10.1f}" if run.app == "TuneX" else f"{'—':>10}"
            analyses = f"{session.analyses_per_second:10.1f}" if session.analyses_per_second is not None else f"{'—':>10}"
            video_in = f"{session.video_in_per_second:6d}" if session.video_in_per_second is not None else f"{'—':>6}"
            print(f"  {run.app:<12} {session.number:>7} {session.distinct_per_second:10.1f} {analysed} {analyses} {video_in} "
                  f"{session.decoded_per_second:9.1f} {session.painted_per_second:9.1f}  "
                  f"{run.cpu_percent:11.0f} {run.rss_megabytes:7.0f}", flush=True)
            for message in session.messages:
                print(f"      message: {message}", flush=True)


def print_summary(results, rss_before: float, rss_after: float) -> None:
    print("\n| viewers | passthrough distinct frames/s (each) | TuneX distinct analysed frames/s (each) | ratio | "
          "TuneX analyses/s (each) | server CPU % passthrough / TuneX | TuneX RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for count, ceiling, measured in results:
        ceiling_values = [session.distinct_per_second for session in ceiling.sessions]
        values = [session.analysed_per_second for session in measured.sessions]
        analyses = [session.analyses_per_second for session in measured.sessions if session.analyses_per_second]
        ratio = statistics.mean(values) / statistics.mean(ceiling_values) if statistics.mean(ceiling_values) else 0
        print(f"| {count} | {format_range(ceiling_values)} | {format_range(values)} | {ratio:.2f} | "
              f"{format_range(analyses) if analyses else '—'} | {ceiling.cpu_percent:.0f} / {measured.cpu_percent:.0f} | "
              f"{measured.rss_megabytes:.0f} |")
    print(f"\nTuneX RSS before the viewers: {rss_before:.0f} MB; after they left: {rss_after:.0f} MB "
          f"({rss_after - rss_before:+.0f} MB)")
    print(f"load average at the end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


def format_range(values: list[float]) -> str:
    if not values:
        return "—"
    low, high = min(values), max(values)
    return f"{low:.1f}" if abs(high - low) < 0.05 else f"{low:.1f}–{high:.1f}"


if __name__ == "__main__":
    raise SystemExit(main())
