"""The seven FER-2013 emotions: order, display names, colours and valence-arousal points.

This module is the single home of every per-emotion constant in TuneX.

Valence and arousal come from Warriner, Kuperman & Brysbaert's norms: "Norms of
valence, arousal, and dominance for 13,915 English lemmas", Behavior Research
Methods 45, 1191-1207 (2013), doi:10.3758/s13428-012-0314-x; the ``V.Mean.Sum``
and ``A.Mean.Sum`` columns (all raters) of ``Ratings_Warriner_et_al.csv`` as
distributed by JULIELab/XANEW, rows checked against a second copy of the file.
They are the norms through which the catalog's ground truth beyond PMEmo was
made (Deezer's mood labels and MERGE's values average Warriner's ratings of each
song's mood tags), so faces and songs meet on the same words' ratings. The word
looked up for each class is the FER-2013 class name itself (``lexicon_word``:
"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"). Warriner's
scale is 1..9 with 5 neutral; ``rescale`` maps it linearly onto PMEmo's 0..1
(whose 0.5 is neutral too). Until 2026-12-07 the points came from NRC-VAD v1.0
(Mohammad, ACL 2018), which put fear at (0.07, 0.84) between anger and disgust,
a region no placed song reached (data/README.md has the comparison). Worth
knowing: Warriner rates *surprise* pleasant and the most arousing of the seven
words (7.44, 6.57), so the energetic-pleasant middle of the song map is
surprise's; fear (2.93, 6.14) sits just right of angry (2.53, 6.20), about as
arousing and a little less unpleasant; *neutral* is calm (arousal 3.45), the
"calm" target of iso playlists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEXICON_SCALE = (1.0, 9.0)  # Warriner et al. (2013) rating scale
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
    Emotion(0, "angry", "Angry", "😠", "#d62728", "angry", 2.53, 6.20),
    Emotion(1, "disgust", "Disgust", "🤢", "#2ca02c", "disgust", 3.32, 5.00),
    Emotion(2, "fear", "Fear", "😨", "#9467bd", "fear", 2.93, 6.14),
    Emotion(3, "happy", "Happy", "😄", "#ffbf00", "happy", 8.47, 6.05),
    Emotion(4, "sad", "Sad", "😢", "#1f77b4", "sad", 2.10, 3.49),
    Emotion(5, "surprise", "Surprise", "😮", "#ff7f0e", "surprise", 7.44, 6.57),
    Emotion(6, "neutral", "Neutral", "😐", "#7f7f7f", "neutral", 5.50, 3.45),
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
