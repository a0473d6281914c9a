"""Synthesise the waiting-room "ding-dong" chime (pure stdlib, deterministic).

Regenerate with:  python -m contactpoint.hardware.audio.make_chime [OUT.wav]
(default: hardware/audio/chime.wav beside this file).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from contactpoint.hardware.audio.wavtools import write_pcm16

SAMPLE_RATE = 22050
DURATION_S = 1.2
PEAK = 0.7  # about -3 dBFS: loud enough, no clipping after the display's mixing
# (frequency Hz, start s): E5 then C5, the classic doorbell major third, descending
NOTES: tuple[tuple[float, float], ...] = ((659.25, 0.0), (523.25, 0.42))
# (harmonic multiple, relative amplitude, decay time constant s): soft, vibraphone-like
PARTIALS: tuple[tuple[float, float, float], ...] = ((1.0, 1.0, 0.38), (2.0, 0.22, 0.16), (3.0, 0.06, 0.08))
ATTACK_S = 0.015  # raised-cosine attack: no click at note onset
RELEASE_S = 0.08  # final fade to exact zero: no click at the end


def _note(freq: float, t: float) -> float:
    attack = 0.5 - 0.5 * math.cos(math.pi * t / ATTACK_S) if t < ATTACK_S else 1.0
    return attack * sum(
        amp * math.exp(-t / tau) * math.sin(2 * math.pi * freq * mult * t) for mult, amp, tau in PARTIALS
    )


def synthesise() -> list[float]:
    n = int(DURATION_S * SAMPLE_RATE)
    release = int(RELEASE_S * SAMPLE_RATE)
    out = []
    for i in range(n):
        t = i / SAMPLE_RATE
        value = sum(_note(freq, t - start) for freq, start in NOTES if t >= start)
        if i >= n - release:
            value *= (n - 1 - i) / release
        out.append(value)
    top = max(abs(v) for v in out)
    return [PEAK * v / top for v in out]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).with_name("chime.wav")
    write_pcm16(out, synthesise(), sample_rate=SAMPLE_RATE)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
