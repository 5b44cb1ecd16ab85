"""Live mood: the webcam through the emotion pipeline, with a photo fallback."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import av
import cv2
import numpy as np
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from pages.common import (
    cached_pipeline,
    client_is_this_computer,
    current_profile_id,
    record_confidence_history,
    set_session_mood,
    show_write_outcome,
)
from tunex_core.emotions import EMOTION_BY_NAME
from tunex_core.errors import ModelFileError
from tunex_core.live.charts import (
    bars_description,
    draw_probability_bars,
    draw_timeline,
    palette_for_theme,
    timeline_description,
)
from tunex_core.live.ice import IceConfiguration, ice_configuration
from tunex_core.live.session import DRIVER_GROUP, DRIVER_LARGEST, LiveSession, LiveSnapshot, thin_timeline
from tunex_core.live.slots import DEFAULT_MAX_LIVE_SESSIONS, AnalysisSlots, max_live_sessions_from_environment
from tunex_core.live.smoothing import DEFAULT_HALF_LIFE_SECONDS, DEFAULT_SWITCH_AFTER_SECONDS
from tunex_core.mood import Mood
from tunex_core.personal.profiles import ProfileError, ProfileStore
from tunex_core.report.charts import probability_bars
from tunex_core.storage import DatabaseBusyError
from tunex_core.vision.calibration import CalibrationError, RestingFaceCalibration, calibrate_faces
from tunex_core.vision.drawing import draw_faces, faces_description
from tunex_core.vision.faces import DARK_FRAME_MEAN
from tunex_core.vision.images import (
    ANALYSIS_SIDE,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    ImageError,
    decode_image,
    scaled_to_fit,
)
from tunex_core.vision.pipeline import FaceEmotion

NO_FACE_TIPS = (
    "No face found. Tips: face the camera, move into even light (no strong light behind you), "
    "and sit about an arm's length away so your face fills roughly a third of the picture."
)
NO_FACE_IN_PHOTO_TIPS = (
    "No face found in this photo. TuneX finds faces seen from the front (not in profile, not hidden by hands, "
    "masks or sunglasses) and at least about a fiftieth of the photo's width; even light helps. Try another "
    "photo, or crop this one closer to the faces."
)
# The browser's own error names, as the camera component shows them above the video.
CAMERA_TROUBLE = """\
- **NotAllowedError** (permission denied): the browser or the system blocked the camera. Allow it with the
  camera icon in the address bar (on macOS also *System Settings → Privacy & Security → Camera*), then press
  **Start camera** again.
- **NotFoundError** (requested device not found): no camera is connected. Plug one in and reload the page, or use
  **Upload a photo**.
- **NotReadableError** (could not start video source): another app, such as a video call, is using the camera.
  Close it and press **Start camera** again.
- **Nothing happens**: the page must be opened at an `https://` address or `http://localhost`; other addresses get no camera.
- **"Waiting for video…" for long**: the browser and TuneX could not connect. From another network (mobile
  data, a guest Wi-Fi) the video needs a TURN server: see `docs/sharing.md`.
- Any time: the **Snapshot** and **Upload a photo** tabs read a mood without live video.
"""
# The panels are redrawn by fragment reruns that hold the GIL while they run, taking it from the
# threads that move the video (py-spy: they held it ~28% of the time with 3 viewers), and that make
# the browser re-render. So the status (mood, metrics, messages) refreshes every second, the charts
# every two seconds, and the charts are small images (tunex_core.live.charts), not Plotly figures.
STATUS_REFRESH_SECONDS = 1.0
CHART_REFRESH_SECONDS = 2.0
TIMELINE_POINTS = 120
# The live metrics' widths in pixels: each fits its longest value ("😲 Surprise", "129 ms", 123456 frames),
# and fixed widths keep the row from shifting as the values change each second.
MOOD_METRIC_WIDTH, FACES_METRIC_WIDTH, ANALYSIS_METRIC_WIDTH, FRAMES_METRIC_WIDTH, VIDEO_METRIC_WIDTH = (
    180, 70, 135, 120, 105)

# OpenCV's own thread pool would run face detection on extra threads beside the video's (2 cores:
# oversubscribed); each session's analysis thread does its detection itself.
cv2.setNumThreads(1)

# This session's RestingFaceCalibration, and the profile it belongs to (saved in that profile's settings).
CALIBRATION_KEY = "resting_calibration"
CALIBRATION_PROFILE_KEY = "resting_calibration_profile"
CALIBRATION_SETTING = "face_calibration"
CALIBRATION_SECONDS = 3.0
MIN_CALIBRATION_READINGS = 3
# Each still picture is analysed once (~0.7 s for a 12-megapixel photo on a 2-core CPU): reruns of the page
# (a button, a slider) reuse its faces. Source ("snapshot", "upload") -> (digest of its bytes, PictureAnalysis).
PHOTO_FACES_KEY = "photo_faces"
DISPLAY_SIDE = 1600  # pictures are sent to the browser at most this large; the page's column is narrower

st.title("🎥 Live mood")
st.caption("Frames are analysed in memory on this computer. Nothing is saved or sent anywhere.")

try:
    pipeline = cached_pipeline()
except ModelFileError as error:
    st.error(f"The emotion model could not be loaded. {error}")
    st.stop()


@st.cache_resource
def analysis_slots() -> AnalysisSlots:
    """How many sessions this server analyses at once (shared by every browser session)."""
    try:
        return AnalysisSlots(max_live_sessions_from_environment())
    except ValueError as error:
        st.warning(f"{error}. Using the default of {DEFAULT_MAX_LIVE_SESSIONS}.")
        return AnalysisSlots(DEFAULT_MAX_LIVE_SESSIONS)


if "live_session" not in st.session_state:
    st.session_state.live_session = LiveSession(pipeline, slots=analysis_slots())
live_session: LiveSession = st.session_state.live_session


def load_profile_calibration() -> None:
    """Put the current profile's saved calibration in the session (once per profile; a damaged one is ignored)."""
    profile_id = current_profile_id()
    if st.session_state.get(CALIBRATION_PROFILE_KEY) == profile_id:
        return
    calibration = None
    try:
        with ProfileStore() as store:
            profile = store.get(profile_id)
        saved = profile.settings.get(CALIBRATION_SETTING) if profile is not None else None
        if saved:
            calibration = RestingFaceCalibration.from_dict(saved)
    except (DatabaseBusyError, CalibrationError):
        calibration = None
    st.session_state[CALIBRATION_KEY] = calibration
    st.session_state[CALIBRATION_PROFILE_KEY] = profile_id


load_profile_calibration()
live_session.set_calibration(st.session_state.get(CALIBRATION_KEY))


def save_calibration(calibration: RestingFaceCalibration | None) -> None:
    """Remember (or forget) this person's resting-face calibration: in the session, the live session and the profile."""
    st.session_state[CALIBRATION_KEY] = calibration
    live_session.set_calibration(calibration)
    value = calibration.to_dict() if calibration is not None else None
    try:
        with ProfileStore() as store:
            outcome = store.update_settings(current_profile_id(), {CALIBRATION_SETTING: value})
    except (DatabaseBusyError, ProfileError) as error:
        st.warning(f"The calibration applies in this browser tab but could not be saved with your profile ({error}).")
        return
    show_write_outcome(outcome, "your calibration")


def calibration_panel(playing: bool | None = None) -> None:
    """"Calibrate to my resting face": status and Clear; with ``playing`` given, the live-camera calibration."""
    calibration: RestingFaceCalibration | None = st.session_state.get(CALIBRATION_KEY)
    if playing is None:
        if calibration is None:
            st.caption("🎯 If your relaxed face reads as sad or angry, calibrate to your resting face: use the "
                       "button under the camera, or **This is my resting face** under a snapshot or photo.")
            return
        status, clear = st.columns([4, 1])
        status.success(f"Calibrated to your resting face: {calibration.describe()}.", icon="🎯")
        if clear.button("Clear calibration", key="clear-calibration"):
            save_calibration(None)
            st.rerun()
        if warning := calibration.expression_warning():
            st.warning(warning)
        return
    if calibration is not None:
        st.caption(f"🎯 Calibrated ({calibration.describe()}). Calibrate again or clear it at the top of the page.")
    if not st.button("🎯 Calibrate to my resting face", key="calibrate-live", disabled=not playing,
                     help="Start the camera, relax your face and look at the camera for a few seconds."):
        return
    started = live_session.clock()
    progress = st.progress(0.0, text="Hold a relaxed, neutral face and look at the camera…")
    while (elapsed := live_session.clock() - started) < CALIBRATION_SECONDS:
        progress.progress(min(1.0, elapsed / CALIBRATION_SECONDS),
                          text=f"Hold a relaxed, neutral face… {CALIBRATION_SECONDS - elapsed:.0f} s")
        time.sleep(0.1)
    progress.empty()
    readings = live_session.raw_readings_since(started)
    if len(readings) < MIN_CALIBRATION_READINGS:
        st.error("No face was seen while calibrating. Face the camera in even light and try again.")
        return
    save_calibration(RestingFaceCalibration.fit(readings))
    st.rerun()


def use_mood(probabilities, source: str) -> None:
    """Make these probabilities the session mood and refresh every page's sidebar."""
    set_session_mood(Mood.from_probabilities(probabilities, source=source))
    st.toast("Mood saved — open **Song map** or **Playlist** to hear it.", icon="🎵")


def describe(label: str, confidence: float) -> str:
    """An emotion and its confidence as a heading, for example "😊 Happy · 87%"."""
    emotion = EMOTION_BY_NAME[label]
    return f"{emotion.display_label} · {confidence:.0%}"


def video_frame_callback(frame: av.VideoFrame) -> av.VideoFrame:
    """One camera frame back with the latest faces drawn on it. Runs on the WebRTC worker thread, so no
    ``st.*`` calls here; it returns at once, the analysis has its own thread."""
    image = frame.to_ndarray(format="bgr24")
    annotated = live_session.process_frame(image)
    return av.VideoFrame.from_ndarray(annotated, format="bgr24")


def smoothing_settings() -> float:
    """The smoothing sliders; returns the "change the mood after" seconds."""
    with st.expander("Smoothing and faces", expanded=False):
        half_life = st.slider("Smoothing half-life (seconds)", 0.1, 3.0, DEFAULT_HALF_LIFE_SECONDS, 0.1,
                              key="live_half_life", persist_state="session",
                              help="How quickly the probabilities follow the face.")
        switch_after = st.slider("Change the mood after (seconds)", 0.0, 5.0, DEFAULT_SWITCH_AFTER_SECONDS, 0.25,
                                 key="live_switch_after", persist_state="session",
                                 help="Another emotion must lead this long before the mood changes.")
        live_session.configure(half_life_seconds=half_life, switch_after_seconds=switch_after)
    return switch_after


NO_TURN_ADVICE = ("No TURN server is configured, so the video only connects on this computer and on the same "
                  "network. From mobile data or another Wi-Fi it needs one: see TURN in docs/sharing.md.")


def camera_stream(ice: IceConfiguration):
    """The WebRTC component (camera in, annotated video out); None when it cannot run here."""
    for problem in ice.problems:  # the messages never hold a credential
        st.warning(f"ICE settings: {problem}.")
    ice_servers = ice.servers
    try:
        return webrtc_streamer(
            key="live-mood",
            mode=WebRtcMode.SENDRECV,
            video_frame_callback=video_frame_callback,
            media_stream_constraints={"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}, "audio": False},
            rtc_configuration={"iceServers": ice_servers},
            async_processing=True,
            translations={"start": "Start camera", "stop": "Stop"},
        )
    except Exception as error:  # the component needs a live browser session; keep the fallbacks usable
        st.warning(f"Live video is not available in this session ({type(error).__name__}). "
                   "Use the Snapshot or Upload tabs.")
        return None


def live_status(playing: bool, switch_after: float, turn_advice: bool = False, connecting: bool = False) -> None:
    """Mood, metrics and messages: cheap, refreshed every ``STATUS_REFRESH_SECONDS`` while playing.
    ``turn_advice``: say that no TURN server is configured when the video does not connect."""
    snapshot: LiveSnapshot = live_session.snapshot()
    if not playing and connecting:
        st.info("Connecting the video… " + ("If this does not finish within a few seconds, the browser and TuneX "
                                            "cannot reach each other. " + NO_TURN_ADVICE if turn_advice else ""))
        return
    if not playing:
        st.info("Press **Start camera** and allow the browser to use it. Browsers only allow the camera on "
                "`https://` or `http://localhost` addresses. If it stays black, check the camera permission in the address "
                "bar, or use the Snapshot / Upload tabs.")
        with st.expander("The camera does not start?"):
            st.markdown(CAMERA_TROUBLE)
        return
    if live_session.is_stale():
        st.warning("Waiting for video… If this lasts, the camera may be blocked, in use by another app, "
                   "or the connection could not be set up." + (" " + NO_TURN_ADVICE if turn_advice else ""))
        return
    if snapshot.busy:
        st.warning(snapshot.busy, icon="⏳")
        return
    if snapshot.last_frame_at is None:
        st.info("Video is coming in; the first analysis is on its way…")
        return
    if snapshot.error:
        st.warning(f"The last frame could not be analysed ({snapshot.error}); the video keeps running.")
    faces = snapshot.faces
    # Record once per analysed frame, not once per refresh of this panel.
    if st.session_state.get("recorded_frames") != snapshot.frames_processed:
        st.session_state.recorded_frames = snapshot.frames_processed
        record_confidence_history([
            {"time": time.time(), "face": face.track_id, "label": face.smoothed.stable_label,
             "confidence": face.smoothed.stable_confidence} for face in faces])
    options = [DRIVER_LARGEST, DRIVER_GROUP, *[str(face.track_id) for face in faces]]
    if snapshot.driver not in options:
        options.append(snapshot.driver)
    names = {DRIVER_LARGEST: "Largest face", DRIVER_GROUP: "Group (average of all faces)"}
    driver = st.radio("Whose mood drives the music", options, index=options.index(snapshot.driver),
                      format_func=lambda value: names.get(value, f"Face #{value}"), horizontal=True)
    if driver != snapshot.driver:
        live_session.configure(driver=driver)
    driving = snapshot.driving
    # One row that wraps on a phone (columns would stack five metrics one under another). The mood's
    # confidence sits under its name: "😲 Surprise · 100%" in one of five equal columns was cut to "😲 Sur…".
    row = st.container(horizontal=True, horizontal_alignment="distribute")
    if driving is None:
        row.metric("Mood", "—", width=MOOD_METRIC_WIDTH)
    else:
        emotion = EMOTION_BY_NAME[driving.stable_label]
        row.metric("Mood", emotion.display_label, width=MOOD_METRIC_WIDTH,
                   delta=f"{driving.stable_confidence:.0%} sure", delta_color="off", delta_arrow="off")
    row.metric("Faces", len(faces), width=FACES_METRIC_WIDTH)
    row.metric("Analysis per frame", f"{snapshot.milliseconds_per_frame:.0f} ms"
               if snapshot.milliseconds_per_frame is not None else "—", width=ANALYSIS_METRIC_WIDTH)
    row.metric("Frames", snapshot.frames_processed, help="Frames analysed since the camera started.",
               width=FRAMES_METRIC_WIDTH)
    row.metric("Video", f"{snapshot.video_frames_per_second:.0f} fps"
               if snapshot.video_frames_per_second is not None else "—", width=VIDEO_METRIC_WIDTH,
               help="Frames per second coming from the camera (and going back with the faces drawn). "
                    f"Analyses per second: {snapshot.analyses_per_second or 0:.0f}.")
    slots = live_session.slots
    if slots is not None:
        st.caption(f"Live viewers analysed on this computer now: {slots.in_use} of at most {slots.limit}.")
    if not faces:
        st.info(NO_FACE_TIPS)
    if driving is not None:
        if driving.leading_label != driving.stable_label:
            st.caption(f"{EMOTION_BY_NAME[driving.leading_label].display_name} leads for "
                       f"{driving.leading_for_seconds:.1f}s — the mood changes after {switch_after:.1f}s.")
        if st.button("🎵 Use this mood", type="primary", key="use-live-mood"):
            use_mood(driving.probabilities, "live camera")
            st.rerun(scope="app")
    if len(faces) > 1:
        st.dataframe(
            [{"face": f"#{face.track_id}", "mood": describe(face.smoothed.stable_label, face.smoothed.stable_confidence),
              "this frame": describe(face.raw.label, face.raw.confidence)} for face in faces],
            hide_index=True, width="stretch")


def live_charts(playing: bool) -> None:
    """The probability bars and the rolling timeline, refreshed every ``CHART_REFRESH_SECONDS``."""
    snapshot: LiveSnapshot = live_session.snapshot()
    driving = snapshot.driving
    if not playing or driving is None or snapshot.busy or live_session.is_stale():
        return
    raw = None
    if snapshot.driver == DRIVER_LARGEST and snapshot.faces:
        raw = snapshot.faces[0].raw.probabilities
    palette = palette_for_theme(st.context.theme.type)
    left, right = st.columns(2)
    left.caption("Now (smoothed)" + (f" · {palette.tick_name} tick: this frame" if raw is not None else ""))
    left.image(draw_probability_bars(driving.probabilities, raw, palette=palette), width="stretch",
               alt=bars_description(driving.probabilities))
    if snapshot.timeline:
        times, values = thin_timeline(snapshot.timeline, TIMELINE_POINTS)
        right.caption("The last 30 seconds")
        right.image(draw_timeline(times, values, palette=palette), width="stretch", alt=timeline_description(values))


# Rerun on a tab change so that the Snapshot tab's camera opens only while that tab is shown: a
# mounted st.camera_input holds the camera open (and captures) even in a hidden tab.
calibration_panel()
camera_tab, snapshot_tab, upload_tab = st.tabs(["📹 Camera", "📸 Snapshot", "🖼️ Upload a photo"], key="live-tabs",
                                               on_change="rerun")

with camera_tab:
    switch_after_seconds = smoothing_settings()
    ice = ice_configuration()
    context = camera_stream(ice)
    camera_playing = bool(context is not None and context.state.playing)
    camera_connecting = bool(context is not None and context.state.signalling and not camera_playing)
    if not camera_playing:
        live_session.stop()
        live_session.reset()
    st.fragment(live_status, run_every=STATUS_REFRESH_SECONDS if camera_playing else None)(
        camera_playing, switch_after_seconds, not ice.has_turn and not client_is_this_computer(), camera_connecting)
    st.fragment(live_charts, run_every=CHART_REFRESH_SECONDS if camera_playing else None)(camera_playing)
    calibration_panel(camera_playing)


@dataclass(frozen=True)
class PictureAnalysis:
    """A still picture as the page keeps it across reruns: its faces (before calibration), a copy at most
    ``DISPLAY_SIDE`` large to draw on and show, its scale against the analysed picture, and whether it is dark."""

    faces: list[FaceEmotion]
    display: np.ndarray
    scale: float
    dark: bool


def photo_analysis(data: bytes, source: str) -> PictureAnalysis:
    """The still picture ``data`` decoded and analysed once per picture and source, then reused by the page's
    reruns (a button click reruns the whole page). Only the display-size copy is kept, not the decoded picture."""
    digest = hashlib.sha256(data).hexdigest()
    analysed = st.session_state.setdefault(PHOTO_FACES_KEY, {})
    if analysed.get(source, (None,))[0] != digest:
        frame = decode_image(data, fit_side=ANALYSIS_SIDE)
        faces = pipeline.process_photo(frame)
        display = scaled_to_fit(frame, DISPLAY_SIDE)  # the frame itself when it is small enough
        display.setflags(write=False)  # drawing works on copies
        analysis = PictureAnalysis(faces=faces, display=display, scale=display.shape[1] / frame.shape[1],
                                   dark=float(display.mean()) < DARK_FRAME_MEAN)  # area-averaged: same mean
        analysed[source] = (digest, analysis)
    return analysed[source][1]


def analyse_picture(data: bytes | None, source: str) -> None:
    """Run a still picture through the pipeline and show the result."""
    if data is None:
        return
    try:
        picture = photo_analysis(data, source)
        faces = calibrate_faces(picture.faces, st.session_state.get(CALIBRATION_KEY))
    except (ImageError, ValueError) as error:
        st.error(f"This picture can't be used: {error}.")
        return
    if not faces:
        tips = NO_FACE_IN_PHOTO_TIPS if source == "upload" else NO_FACE_TIPS
        st.warning(tips + (" This picture is very dark." if picture.dark else ""))
        st.image(picture.display, channels="BGR", width="stretch", alt=faces_description([]))
        return
    annotated = draw_faces(picture.display, faces, numbered=len(faces) > 1, scale=picture.scale)
    st.image(annotated, channels="BGR", width="stretch", alt=faces_description(faces))
    for number, face in enumerate(faces, start=1):
        title = f"Face #{number}: {describe(face.label, face.confidence)}" if len(faces) > 1 else \
            describe(face.label, face.confidence)
        st.subheader(title)
        st.plotly_chart(probability_bars(face.probabilities), width="stretch", key=f"{source}-bars-{number}")
        if st.button("🎵 Use this mood", key=f"use-{source}-{number}"):
            use_mood(face.probabilities, source)
            st.rerun()
    if len(faces) > 1:
        group = np.mean([face.probabilities for face in faces], axis=0)
        st.subheader(f"Group mood: {describe(Mood.from_probabilities(group).label, float(group.max()))}")
        if st.button("🎵 Use the group mood", key=f"use-{source}-group"):
            use_mood(group, f"{source} (group)")
            st.rerun()
    if st.button("🎯 This is my resting face — calibrate", key=f"rest-{source}",
                 help="Use this picture's (largest) face, relaxed and neutral, to correct later readings."):
        try:
            save_calibration(RestingFaceCalibration.fit([picture.faces[0].probabilities]))
        except CalibrationError as error:
            st.error(f"This picture can't be used for calibration: {error}.")
            return
        st.rerun()


with snapshot_tab:
    st.write("Take a single picture with the browser's camera — no video stream needed.")
    if snapshot_tab.open:
        snapshot_file = st.camera_input("Take a snapshot")
        analyse_picture(snapshot_file.getvalue() if snapshot_file else None, "snapshot")

with upload_tab:
    st.write(f"JPEG, PNG or WebP, up to {MAX_IMAGE_BYTES // 1_048_576} MB and {MAX_IMAGE_PIXELS / 1e6:.0f} "
             f"megapixels; larger photos are analysed at {ANALYSIS_SIDE} px. Group photos work too: every face "
             "gets its own reading, and the group a mood.")
    uploaded = st.file_uploader("Upload a photo", type=["jpg", "jpeg", "png", "webp"])
    analyse_picture(uploaded.getvalue() if uploaded else None, "upload")
