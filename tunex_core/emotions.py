"""The seven FER-2013 emotions: order, display names, colours and valence-arousal points.

This module is the single home of every per-emotion constant in TuneX.

Valence and arousal come from the NRC Valence, Arousal, and Dominance Lexicon
(NRC-VAD, version 1.0): Saif M. Mohammad, "Obtaining Reliable Human Ratings of
Valence, Arousal, and Dominance for 20,000 English Words", ACL 2018,
https://saifmohammad.com/WebPages/nrc-vad.html. The lexicon's scores are
best-worst-scaling ratings already on 0..1, the same scale as PMEmo's static
annotations (Zhang et al., ICMR 2018), so they are used as published; the
rescaling below is the identity and is kept explicit so a lexicon on another
scale (e.g. Warriner et al. 2013, 1..9) can be swapped in. The word looked up
for each class is listed in ``lexicon_word`` (the class name as a word: "anger",
"disgust", "fear", "happy", "sad", "surprise", "neutral"); the scores were
checked against the lexicon's v1.0 text file. Two consequences worth knowing:
NRC-VAD rates *surprise* as pleasant (valence 0.875), so the upper-right of the
song map belongs to surprise more than to happy; and it puts *neutral* at low
arousal (0.184), which makes it the "calm" target of iso playlists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEXICON_SCALE = (0.0, 1.0)  # NRC-VAD v1 score range
PMEMO_SCALE = (0.0, 1.0)  # PMEmo static valence/arousal range


def rescale(value: float, source: tuple[float, float] = LEXICON_SCALE,
            target: tuple[float, float] = PMEMO_SCALE) -> float:
    """Map ``value`` linearly from the ``source`` range onto the ``target`` range."""
    low, high = source
    new_low, new_high = target
    return new_low + (value - low) * (new_high - new_low) / (high - low)


@dataclass(frozen=True)
class Emotion:
    """One FER-2013 class with its display data and circumplex point."""

    index: int
    name: str
    display_name: str
    emoji: str
    colour: str
    lexicon_word: str
    lexicon_valence: float
    lexicon_arousal: float

    @property
    def display_label(self) -> str:
        """The emoji and the display name, e.g. "😢 Sad": how every page and chart names an emotion."""
        return f"{self.emoji} {self.display_name}"

    @property
    def valence(self) -> float:
        """Valence on PMEmo's 0..1 scale."""
        return rescale(self.lexicon_valence)

    @property
    def arousal(self) -> float:
        """Arousal on PMEmo's 0..1 scale."""
        return rescale(self.lexicon_arousal)


# FER-2013 label order: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral.
EMOTIONS: tuple[Emotion, ...] = (
    Emotion(0, "angry", "Angry", "😠", "#d62728", "anger", 0.167, 0.865),
    Emotion(1, "disgust", "Disgust", "🤢", "#2ca02c", "disgust", 0.052, 0.775),
    Emotion(2, "fear", "Fear", "😨", "#9467bd", "fear", 0.073, 0.840),
    Emotion(3, "happy", "Happy", "😄", "#ffbf00", "happy", 1.000, 0.735),
    Emotion(4, "sad", "Sad", "😢", "#1f77b4", "sad", 0.225, 0.333),
    Emotion(5, "surprise", "Surprise", "😮", "#ff7f0e", "surprise", 0.875, 0.875),
    Emotion(6, "neutral", "Neutral", "😐", "#7f7f7f", "neutral", 0.469, 0.184),
)

EMOTION_NAMES: tuple[str, ...] = tuple(emotion.name for emotion in EMOTIONS)
NUM_EMOTIONS = len(EMOTIONS)
EMOTION_BY_NAME: dict[str, Emotion] = {emotion.name: emotion for emotion in EMOTIONS}
DISPLAY_NAMES: tuple[str, ...] = tuple(emotion.display_name for emotion in EMOTIONS)
COLOURS: dict[str, str] = {emotion.name: emotion.colour for emotion in EMOTIONS}
VALENCE_AROUSAL = np.array([[e.valence, e.arousal] for e in EMOTIONS], dtype=np.float64)


def emotion(name: str) -> Emotion:
    """Return the emotion called ``name`` (case-insensitive) or raise ``ValueError``."""
    key = name.strip().lower()
    if key not in EMOTION_BY_NAME:
        raise ValueError(f"unknown emotion {name!r}; choose one of {', '.join(EMOTION_NAMES)}")
    return EMOTION_BY_NAME[key]


def emotion_label(name: str | None, default: str | None = None) -> str:
    """The display label of the emotion called ``name`` ("😢 Sad" for "sad"); ``default`` for a name that
    is no emotion (``KeyError`` without a default)."""
    found = EMOTION_BY_NAME.get(name or "")
    if found is not None:
        return found.display_label
    if default is None:
        raise KeyError(f"unknown emotion {name!r}")
    return default


def colour_bgr(name: str) -> tuple[int, int, int]:
    """The emotion's colour as an OpenCV BGR tuple."""
    hex_colour = COLOURS[name].lstrip("#")
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    return blue, green, red
