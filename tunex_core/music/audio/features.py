"""Features of a song excerpt for the emotion model: numpy only, about 0.15 s of CPU for 30 s of audio.

From one short-time Fourier transform (2048-sample frames, hop 512, at 22,050 Hz) the excerpt is
described by:

- timbre: 20 MFCCs (mean, spread, mean absolute change), 16 log-mel bands (mean, spread, 10th and 90th
  percentiles), the spectral entropy of the mel bands, onset strength per register, the crest factor;
- spectral shape: centroid, bandwidth, roll-off, flatness, flux, zero crossings, spectral contrast
  in six octave bands (mean, spread, percentiles);
- loudness dynamics: frame RMS in dB (percentiles, range, spread, share of quiet frames) and the
  percussive share of the energy (median-filter separation on the mel spectrogram);
- rhythm: onset-strength statistics, onset rate, tempo and pulse clarity from the onset
  autocorrelation (overall and in five tempo ranges), and the modulation spectrum of eight mel-band
  envelopes (0.3–10 Hz: how fast and how strongly each register pulses);
- harmony: 12-bin chroma (mean, spread), key clarity and mode (correlation with Krumhansl's major and
  minor profiles, over the whole excerpt and in 3 s segments), the spread of each key-relative chroma
  bin, the tonal centroid (Harte's tonnetz) and how fast it moves.

``FEATURE_NAMES`` fixes the order; the model file records it, so a model is never applied to
features it was not fitted on.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise

import numpy as np

from tunex_core.music.audio.decoding import SAMPLE_RATE

FEATURE_VERSION = 2
"""Raised whenever a feature's computation changes: a model (and a feature cache) records it and is refused
by code whose features differ, even when the names are the same."""
FRAME_LENGTH = 2048
HOP_LENGTH = 512
MEL_BANDS = 64
MFCC_COUNT = 20
MEL_GROUPS = 16
MODULATION_GROUPS = 8
MODULATION_WINDOW = 256  # frames (5.9 s)
MODULATION_EDGES_HZ = (0.3, 0.7, 1.4, 2.5, 4.0, 6.0, 10.0)
CONTRAST_EDGES_HZ = (0.0, 200.0, 400.0, 800.0, 1600.0, 3200.0, 11025.0)
CHROMA_RANGE_HZ = (55.0, 5000.0)
FRAME_RATE = SAMPLE_RATE / HOP_LENGTH
QUIET_DB_BELOW_MEDIAN = 20.0
SILENCE_DBFS = -60.0
"""An excerpt whose loudest second stays below this level is treated as silence."""
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
EPSILON = 1e-10


class SilentAudioError(ValueError):
    """The excerpt is silent (or nearly): there is nothing to describe."""


def _hz_to_mel(frequency):
    return 2595.0 * np.log10(1.0 + np.asarray(frequency, dtype=np.float64) / 700.0)


def _mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    """(MEL_BANDS, bins) triangular filters, area-normalised, from 0 Hz to Nyquist."""
    bins = np.fft.rfftfreq(FRAME_LENGTH, 1.0 / SAMPLE_RATE)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), MEL_BANDS + 2))
    filters = np.zeros((MEL_BANDS, bins.size))
    for band in range(MEL_BANDS):
        low, centre, high = edges[band:band + 3]
        rising = (bins - low) / (centre - low)
        falling = (high - bins) / (high - centre)
        filters[band] = np.maximum(0.0, np.minimum(rising, falling)) * (2.0 / (high - low))
    return filters.astype(np.float32)


@lru_cache(maxsize=1)
def _dct_matrix() -> np.ndarray:
    """Orthonormal DCT-II (MFCC_COUNT, MEL_BANDS)."""
    bands = np.arange(MEL_BANDS)
    matrix = np.cos(np.pi / MEL_BANDS * (bands[None, :] + 0.5) * np.arange(MFCC_COUNT)[:, None])
    matrix *= np.sqrt(2.0 / MEL_BANDS)
    matrix[0] /= np.sqrt(2.0)
    return matrix.astype(np.float32)


@lru_cache(maxsize=1)
def _chroma_filters() -> np.ndarray:
    """(12, bins) soft pitch-class weights of the STFT bins between CHROMA_RANGE_HZ (C = 0)."""
    bins = np.fft.rfftfreq(FRAME_LENGTH, 1.0 / SAMPLE_RATE)
    weights = np.zeros((12, bins.size))
    usable = (bins >= CHROMA_RANGE_HZ[0]) & (bins <= CHROMA_RANGE_HZ[1])
    midi = 69.0 + 12.0 * np.log2(bins[usable] / 440.0)
    for pitch_class in range(12):
        distance = np.abs(((midi - pitch_class) + 6.0) % 12.0 - 6.0)
        weights[pitch_class, usable] = np.exp(-0.5 * (distance / 0.35) ** 2)
    return weights.astype(np.float32)


@lru_cache(maxsize=1)
def _tonnetz_matrix() -> np.ndarray:
    classes = np.arange(12)
    angles = [(1.0, 7 * np.pi / 6), (1.0, 3 * np.pi / 2), (0.5, 2 * np.pi / 3)]
    rows = []
    for radius, step in angles:
        rows.append(radius * np.sin(classes * step))
        rows.append(radius * np.cos(classes * step))
    return np.array(rows, dtype=np.float32)


def _frames(samples: np.ndarray) -> np.ndarray:
    if samples.size < FRAME_LENGTH:
        samples = np.pad(samples, (0, FRAME_LENGTH - samples.size))
    count = 1 + (samples.size - FRAME_LENGTH) // HOP_LENGTH
    return np.lib.stride_tricks.sliding_window_view(samples, FRAME_LENGTH)[::HOP_LENGTH][:count]


def _median_filter_rows(matrix: np.ndarray, width: int, axis: int) -> np.ndarray:
    """Median over a sliding window of ``width`` along ``axis`` (edges padded by reflection)."""
    half = width // 2
    padding = [(0, 0), (0, 0)]
    padding[axis] = (half, half)
    padded = np.pad(matrix, padding, mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=axis)
    return np.median(windows, axis=-1)


def _stats(name: str, values: np.ndarray, out: dict[str, float], percentiles: bool = False) -> None:
    values = np.asarray(values, dtype=np.float64)
    out[f"{name}_mean"] = float(values.mean())
    out[f"{name}_std"] = float(values.std())
    if percentiles:
        low, middle, high = np.percentile(values, [10, 50, 90])
        out[f"{name}_p10"], out[f"{name}_p50"], out[f"{name}_p90"] = float(low), float(middle), float(high)


def _tempo_features(onset: np.ndarray, out: dict[str, float]) -> None:
    centred = onset - onset.mean()
    size = 1 << int(np.ceil(np.log2(2 * centred.size)))
    spectrum = np.fft.rfft(centred, size)
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum), size)[:centred.size]
    autocorrelation /= autocorrelation[0] + EPSILON
    lags = np.arange(autocorrelation.size)
    usable = (lags >= FRAME_RATE * 60 / 240) & (lags <= FRAME_RATE * 60 / 40)
    bpm = 60.0 * FRAME_RATE / np.maximum(lags[usable], 1)
    prior = np.exp(-0.5 * (np.log2(bpm / 120.0)) ** 2)
    weighted = autocorrelation[usable] * prior
    best = int(np.argmax(weighted))
    out["tempo_bpm"] = float(bpm[best])
    out["pulse_clarity"] = float(autocorrelation[usable][best])
    out["pulse_clarity_max"] = float(autocorrelation[usable].max())
    for low, high in ((40, 70), (70, 100), (100, 130), (130, 170), (170, 240)):
        band = (bpm >= low) & (bpm < high)
        out[f"pulse_{low}_{high}bpm"] = float(autocorrelation[usable][band].max()) if band.any() else 0.0
    positive = np.clip(autocorrelation[usable], 0, None) + EPSILON
    share = positive / positive.sum()
    out["rhythm_entropy"] = float(-(share * np.log(share)).sum() / np.log(share.size))


def _modulation_features(log_mel: np.ndarray, out: dict[str, float]) -> None:
    groups = log_mel.reshape(MODULATION_GROUPS, MEL_BANDS // MODULATION_GROUPS, -1).mean(axis=1)
    frames = groups.shape[1]
    window = min(MODULATION_WINDOW, frames)
    starts = range(0, max(frames - window, 0) + 1, window // 2)
    frequencies = np.fft.rfftfreq(window, 1.0 / FRAME_RATE)
    taper = np.hanning(window)
    total = np.zeros((MODULATION_GROUPS, frequencies.size))
    count = 0
    for start in starts:
        piece = groups[:, start:start + window]
        piece = (piece - piece.mean(axis=1, keepdims=True)) * taper
        total += np.abs(np.fft.rfft(piece, axis=1))
        count += 1
    spectrum = total / max(count, 1)
    for group in range(MODULATION_GROUPS):
        for low, high in pairwise(MODULATION_EDGES_HZ):
            chosen = (frequencies >= low) & (frequencies < high)
            value = spectrum[group, chosen].mean() if chosen.any() else 0.0
            out[f"modulation_{group}_{low:g}hz"] = float(np.log(value + 1e-3))


@lru_cache(maxsize=1)
def _key_profiles() -> np.ndarray:
    """(24, 12) the 12 rotations of the major then the minor profile, each standardised."""
    rows = np.array([np.roll(profile, tonic) for profile in (MAJOR_PROFILE, MINOR_PROFILE) for tonic in range(12)])
    return (rows - rows.mean(axis=1, keepdims=True)) / rows.std(axis=1, keepdims=True)


def _key_correlations(chroma_columns: np.ndarray) -> np.ndarray:
    """(24, n) Pearson correlation of each chroma column with each key profile (0 for a flat column)."""
    centred = chroma_columns - chroma_columns.mean(axis=0, keepdims=True)
    spread = centred.std(axis=0, keepdims=True)
    standardised = np.where(spread > 1e-12, centred / np.maximum(spread, 1e-12), 0.0)
    return _key_profiles() @ standardised / 12.0


def _harmony_features(magnitude: np.ndarray, loud: np.ndarray, out: dict[str, float]) -> None:
    chroma = _chroma_filters() @ magnitude
    chroma = chroma[:, loud] if loud.sum() >= 10 else chroma
    chroma = chroma / (chroma.sum(axis=0, keepdims=True) + EPSILON)
    mean = chroma.mean(axis=1)
    for pitch_class in range(12):
        out[f"chroma_rel_{pitch_class}"] = 0.0  # filled below, relative to the estimated key
    major, minor = _key_correlations(mean[:, None])[:, 0].reshape(2, 12)
    key = int(np.argmax(np.maximum(major, minor)))
    out["key_clarity"] = float(max(major.max(), minor.max()))
    out["mode_major_minus_minor"] = float(major.max() - minor.max())
    out["mode_same_tonic"] = float(major[key] - minor[key])
    relative = np.roll(mean, -key)
    for pitch_class in range(12):
        out[f"chroma_rel_{pitch_class}"] = float(relative[pitch_class])
    relative_frames = np.roll(chroma, -key, axis=0)
    for pitch_class in range(12):
        out[f"chroma_rel_{pitch_class}_std"] = float(relative_frames[pitch_class].std())
    segment = int(3 * FRAME_RATE)
    starts = range(0, max(chroma.shape[1] - segment, 0) + 1, segment // 2)
    pieces = np.stack([chroma[:, start:start + segment].mean(axis=1) for start in starts], axis=1)
    correlations = _key_correlations(pieces)
    differences = correlations[:12].max(axis=0) - correlations[12:].max(axis=0)
    out["segment_mode_mean"] = float(differences.mean())
    out["segment_mode_std"] = float(differences.std())
    out["segment_major_share"] = float(np.mean(differences > 0))
    out["chroma_flatness"] = float(np.exp(np.log(mean + EPSILON).mean()) / (mean.mean() + EPSILON))
    _stats("chroma_frame_peak", chroma.max(axis=0), out)
    tonal = _tonnetz_matrix() @ chroma
    for dimension in range(6):
        _stats(f"tonnetz_{dimension}", tonal[dimension], out)
    _stats("harmonic_change", np.linalg.norm(np.diff(tonal, axis=1), axis=0), out)


def excerpt_features(samples: np.ndarray) -> dict[str, float]:
    """The named features of a mono float32 excerpt at ``SAMPLE_RATE`` (see the module docstring).

    Raises ``SilentAudioError`` when the excerpt holds no audible sound.
    """
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    frames = _frames(samples)
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float32), axis=1) + EPSILON)
    rms_db = 20.0 * np.log10(rms + 1e-6)
    per_second = int(FRAME_RATE)
    second_power = np.convolve(np.square(rms), np.ones(per_second) / per_second, mode="valid") \
        if rms.size > per_second else np.array([np.mean(np.square(rms))])
    loudest_second = 10.0 * np.log10(float(second_power.max()) + 1e-12)
    if loudest_second < SILENCE_DBFS:
        raise SilentAudioError(f"silent: the loudest second is {loudest_second:.0f} dBFS")
    window = np.hanning(FRAME_LENGTH + 1)[:-1].astype(np.float32)
    magnitude = np.abs(np.fft.rfft(frames * window, axis=1)).T.astype(np.float32)  # (bins, frames)
    power = np.square(magnitude)
    mel = _mel_filters() @ power
    log_mel = 10.0 * np.log10(mel + EPSILON)
    log_mel = np.maximum(log_mel, log_mel.max() - 80.0)
    out: dict[str, float] = {}

    mfcc = _dct_matrix() @ log_mel
    mfcc_change = np.abs(np.diff(mfcc, axis=1))
    for index in range(MFCC_COUNT):
        _stats(f"mfcc_{index}", mfcc[index], out)
        out[f"mfcc_{index}_change"] = float(mfcc_change[index].mean())
    grouped = log_mel.reshape(MEL_GROUPS, MEL_BANDS // MEL_GROUPS, -1).mean(axis=1)
    for index in range(MEL_GROUPS):
        _stats(f"mel_{index}", grouped[index], out)
        low, high = np.percentile(grouped[index], [10, 90])
        out[f"mel_{index}_p10"], out[f"mel_{index}_p90"] = float(low), float(high)
    band_flux = np.maximum(np.diff(log_mel, axis=1), 0.0).reshape(MODULATION_GROUPS, MEL_BANDS // MODULATION_GROUPS, -1)
    for index, values in enumerate(band_flux.mean(axis=1)):
        out[f"band_flux_{index}"] = float(values.mean())
    mel_share = mel / (mel.sum(axis=0, keepdims=True) + EPSILON)
    _stats("mel_entropy", -(mel_share * np.log(mel_share + EPSILON)).sum(axis=0) / np.log(MEL_BANDS), out)
    out["crest_db"] = float(20.0 * np.log10((np.abs(samples).max() + 1e-9) / (np.sqrt(np.mean(np.square(samples))) + 1e-9)))

    frequencies = np.fft.rfftfreq(FRAME_LENGTH, 1.0 / SAMPLE_RATE).astype(np.float32)[:, None]
    total = power.sum(axis=0) + EPSILON
    centroid = (frequencies[:, 0] @ power) / total
    bandwidth = np.sqrt(np.maximum((np.square(frequencies[:, 0]) @ power) / total - np.square(centroid), 0.0))
    cumulative = np.cumsum(power, axis=0)
    rolloff = frequencies[np.argmax(cumulative >= 0.85 * cumulative[-1], axis=0), 0]
    flatness = np.exp(np.mean(np.log(power + EPSILON), axis=0)) / (np.mean(power, axis=0) + EPSILON)
    flux = np.maximum(np.diff(log_mel, axis=1), 0.0).mean(axis=0)
    signs = np.signbit(frames)
    zero_crossings = np.mean(signs[:, 1:] != signs[:, :-1], axis=1)
    loud = rms_db > (np.median(rms_db) - QUIET_DB_BELOW_MEDIAN)
    _stats("centroid_khz", centroid / 1000.0, out, percentiles=True)
    _stats("bandwidth_khz", bandwidth / 1000.0, out)
    _stats("rolloff_khz", rolloff / 1000.0, out, percentiles=True)
    _stats("flatness_log", np.log(flatness + EPSILON), out)
    _stats("flux", flux, out, percentiles=True)
    _stats("zero_crossings", zero_crossings, out, percentiles=True)
    for band, (low, high) in enumerate(pairwise(CONTRAST_EDGES_HZ)):
        rows = power[(frequencies[:, 0] >= low) & (frequencies[:, 0] < high)]
        cut = max(1, int(0.02 * rows.shape[0]))
        ordered = np.partition(rows, [cut - 1, rows.shape[0] - cut], axis=0)
        peak = np.log10(ordered[-cut:].mean(axis=0) + EPSILON)
        valley = np.log10(ordered[:cut].mean(axis=0) + EPSILON)
        _stats(f"contrast_{band}", 10.0 * (peak - valley), out)
        _stats(f"valley_{band}", 10.0 * valley, out)

    _stats("rms_db", rms_db, out, percentiles=True)
    out["rms_db_range"] = out["rms_db_p90"] - out["rms_db_p10"]
    out["quiet_share"] = float(np.mean(~loud))
    out["rms_change_db"] = float(np.abs(np.diff(rms_db)).mean())
    pooled = mel[:, : mel.shape[1] // 2 * 2].reshape(MEL_BANDS, -1, 2).mean(axis=2)
    harmonic = _median_filter_rows(pooled, 9, axis=1)
    percussive = _median_filter_rows(pooled, 7, axis=0)
    out["percussive_share"] = float(np.sum(percussive) / (np.sum(harmonic) + np.sum(percussive) + EPSILON))
    out["percussive_share_log"] = float(np.log(out["percussive_share"] + 1e-4))

    onset = flux - np.convolve(flux, np.ones(16) / 16, mode="same")
    onset = np.maximum(onset, 0.0)
    _stats("onset", onset, out, percentiles=True)
    peaks = (onset[1:-1] > onset[:-2]) & (onset[1:-1] >= onset[2:]) & (onset[1:-1] > onset.mean() + onset.std())
    out["onset_rate"] = float(peaks.sum() / (samples.size / SAMPLE_RATE))
    _tempo_features(flux, out)
    _modulation_features(log_mel, out)
    _harmony_features(magnitude, loud, out)
    return out


def feature_names() -> tuple[str, ...]:
    """The names of ``excerpt_features``' values in their fixed order (computed once on a test tone)."""
    return _FEATURE_NAMES()


@lru_cache(maxsize=1)
def _FEATURE_NAMES() -> tuple[str, ...]:  # noqa: N802 - a cached constant
    seconds = np.arange(int(SAMPLE_RATE * 6)) / SAMPLE_RATE
    tone = (0.3 * np.sin(2 * np.pi * 440.0 * seconds) * (1 + np.sin(2 * np.pi * 2 * seconds))).astype(np.float32)
    return tuple(excerpt_features(tone))


def feature_vector(samples: np.ndarray) -> np.ndarray:
    """``excerpt_features`` as a float64 vector in ``feature_names()`` order."""
    values = excerpt_features(samples)
    return np.array([values[name] for name in feature_names()], dtype=np.float64)
