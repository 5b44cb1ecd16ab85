"""Training recipe choices that the command line offers; importable without TensorFlow."""

from __future__ import annotations

DISTILL_MODES = {
    # the teachers see each augmented batch (one forward pass per teacher per step)
    "online": "their predictions on each augmented batch",
    # computed once on the clean training faces: each face's target is the mean of the readings of the
    # face and of its mirror image, whichever the student is shown
    "offline": "their flip-averaged predictions on the clean faces, computed once",
    # computed once on the clean faces and on their mirror images, kept apart: a face shown mirrored is
    # trained on the teachers' reading of the mirror image (to test whether flip-averaged targets are what cost
    # distilled students flip TTA's gain)
    "offline-per-view": "their predictions on the clean face or its mirror image, whichever the student sees, "
                        "computed once",
}

# CPU features with which TensorFlow's oneDNN kernels run bfloat16 fast (natively, or emulated with AVX-512
# BW); without any of them (an AVX2-only CPU) bfloat16 convolutions fall back to generic code slower than
# float32's.
BFLOAT16_CPU_FLAGS = frozenset({"avx512bw", "avx512_bf16", "amx_bf16"})
CPUINFO_FILE = "/proc/cpuinfo"


def cpu_flags(cpuinfo_file: str = CPUINFO_FILE) -> frozenset[str] | None:
    """The CPU's feature flags from ``/proc/cpuinfo`` (Linux), or None where that file cannot be read."""
    try:
        with open(cpuinfo_file, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                name, _, value = line.partition(":")
                if name.strip() in ("flags", "Features"):
                    return frozenset(value.split())
    except OSError:
        return None
    return None


def choose_precision(flags: frozenset[str] | None, gpu_count: int) -> tuple[bool, str]:
    """Whether to train with bfloat16 mixed precision here, and why, in words for the command line.

    bfloat16 halves the arithmetic where the hardware supports it (a GPU, an AVX-512 CPU) and is much
    slower than float32 where it does not; where the CPU's flags are unknown float32 is the safe choice.
    """
    if gpu_count:
        return True, "bfloat16 mixed precision (a GPU is visible)"
    if flags is None:
        return False, "float32 (this CPU's features could not be read; --bfloat16 forces bfloat16)"
    fast = sorted(flags & BFLOAT16_CPU_FLAGS)
    if fast:
        return True, f"bfloat16 mixed precision (the CPU has {', '.join(fast)})"
    return False, ("float32 (this CPU has no AVX-512, where bfloat16 runs slower than float32; "
                   "--bfloat16 forces it)")
