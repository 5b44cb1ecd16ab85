import numpy as np
import pytest

from tests.music.audio.synthetic_audio import tone_signal
from tunex_core.music.audio.decoding import SAMPLE_RATE
from tunex_core.music.audio.features import SilentAudioError, excerpt_features, feature_names, feature_vector


def chord(pitches_hz, seconds=12.0, level=0.2):
    time_axis = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    signal = sum(np.sin(2 * np.pi * pitch * time_axis) + 0.3 * np.sin(4 * np.pi * pitch * time_axis)
                 for pitch in pitches_hz)
    return (level * signal / len(pitches_hz)).astype(np.float32)


def clicks(bpm, seconds=20.0):
    signal = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
    burst = (np.random.default_rng(1).standard_normal(400) * np.hanning(400)).astype(np.float32)
    for start in np.arange(0, seconds - 0.1, 60.0 / bpm):
        index = int(start * SAMPLE_RATE)
        signal[index:index + 400] += 0.8 * burst
    return signal


def test_names_are_fixed_and_the_vector_follows_them():
    names = feature_names()
    assert len(names) == len(set(names)) > 150
    vector = feature_vector(tone_signal(12))
    assert vector.shape == (len(names),) and np.all(np.isfinite(vector))
    assert excerpt_features(tone_signal(12))[names[5]] == pytest.approx(vector[5])


def test_every_value_is_finite_on_noise_tones_and_clicks():
    for signal in (np.random.default_rng(0).standard_normal(SAMPLE_RATE * 10).astype(np.float32) * 0.1,
                   chord([261.6]), clicks(100), tone_signal(6, noise=0.0)):
        assert all(np.isfinite(value) for value in excerpt_features(signal).values())


@pytest.mark.parametrize("bpm", [90, 120, 140])
def test_tempo_of_a_click_track(bpm):
    tempo = excerpt_features(clicks(bpm))["tempo_bpm"]
    assert tempo == pytest.approx(bpm, rel=0.04)


def test_major_and_minor_harmony_are_told_apart():
    major = excerpt_features(chord([261.6, 329.6, 392.0, 523.2, 293.7, 349.2]))  # C E G C' D F
    minor = excerpt_features(chord([261.6, 311.1, 392.0, 523.2, 293.7, 349.2, 415.3]))  # C E-flat G C' D F A-flat
    assert major["mode_major_minus_minor"] > 0.1 > -0.1 > minor["mode_major_minus_minor"]
    assert major["key_clarity"] > 0.7 and minor["key_clarity"] > 0.7


def test_loudness_and_brightness_follow_the_signal():
    quiet = excerpt_features(tone_signal(10, level=0.03, noise=0.0))
    loud = excerpt_features(tone_signal(10, level=0.3, noise=0.0))
    assert loud["rms_db_mean"] - quiet["rms_db_mean"] == pytest.approx(20, abs=1.0)
    low, high = excerpt_features(chord([220.0])), excerpt_features(chord([1760.0]))
    assert high["centroid_khz_mean"] > 3 * low["centroid_khz_mean"]
    assert excerpt_features(clicks(120))["percussive_share"] > excerpt_features(chord([220.0]))["percussive_share"]


def test_silence_is_refused():
    with pytest.raises(SilentAudioError, match="silent"):
        excerpt_features(np.zeros(SAMPLE_RATE * 10, dtype=np.float32))
    with pytest.raises(SilentAudioError):
        excerpt_features(np.random.default_rng(0).standard_normal(SAMPLE_RATE * 10).astype(np.float32) * 1e-5)
