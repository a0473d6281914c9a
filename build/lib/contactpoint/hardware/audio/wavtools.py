"""Pure-stdlib WAV helpers: statistics (to prove a file is valid and audible), tone writing, concatenation."""

from __future__ import annotations

import math
import os
import sys
import tempfile
import wave
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_TYPECODES = {1: "b", 2: "h", 4: "i"}


@dataclass(frozen=True)
class WavStats:
    """`rms` and `peak` are fractions of full scale (0.0 = silence, 1.0 = clipping)."""

    duration_s: float
    rms: float
    peak: float
    sample_rate: int
    channels: int
    sample_width: int = 2


def _samples(raw: bytes, width: int) -> array[int]:
    if width == 1:  # 8-bit WAV is unsigned
        return array("b", bytes((b - 128) & 0xFF for b in raw))
    code = _TYPECODES.get(width)
    if code is None or array(code).itemsize != width:
        raise ValueError(f"unsupported WAV sample width: {width} bytes")
    samples = array(code)
    samples.frombytes(raw[: len(raw) - len(raw) % width])
    if sys.byteorder == "big":  # WAV is little-endian
        samples.byteswap()
    return samples


def wav_stats(path: str | os.PathLike[str]) -> WavStats:
    """Read a PCM WAV and measure it. Raises `wave.Error`/`EOFError` if it is not a valid WAV."""
    with wave.open(os.fspath(path), "rb") as wav:
        rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
        frames = wav.getnframes()
        samples = _samples(wav.readframes(frames), width)
    full_scale = float(1 << (8 * width - 1))
    if not samples:
        return WavStats(0.0, 0.0, 0.0, rate, channels, width)
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / full_scale
    peak = max(abs(min(samples)), abs(max(samples))) / full_scale
    return WavStats(frames / rate, rms, min(peak, 1.0), rate, channels, width)


def write_pcm16(path: Path, samples: Iterable[float], *, sample_rate: int = 22050) -> None:
    """Write mono 16-bit PCM from floats in [-1, 1] (clamped), atomically."""
    data = array("h", (round(max(-1.0, min(1.0, s)) * 32767) for s in samples))
    if sys.byteorder == "big":
        data.byteswap()
    _atomic_write(path, [(1, 2, sample_rate, data.tobytes())])


def sine_samples(
    freq_hz: float,
    duration_s: float,
    *,
    sample_rate: int = 22050,
    amplitude: float = 0.5,
    fade_s: float = 0.01,
) -> list[float]:
    """A sine tone with linear fade in/out so it does not click."""
    n = int(duration_s * sample_rate)
    fade = max(1, int(fade_s * sample_rate))
    out = []
    for i in range(n):
        env = min(1.0, i / fade, (n - 1 - i) / fade)
        out.append(amplitude * env * math.sin(2 * math.pi * freq_hz * i / sample_rate))
    return out


def concat_wavs(paths: Sequence[str | os.PathLike[str]], out: Path) -> Path:
    """Join WAVs that share one format (e.g. chime + espeak-ng speech, both 22050 Hz mono 16-bit)."""
    parts: list[tuple[int, int, int, bytes]] = []
    for p in paths:
        with wave.open(os.fspath(p), "rb") as wav:
            parts.append((wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.readframes(wav.getnframes())))
    if not parts:
        raise ValueError("concat_wavs needs at least one input")
    if len({p[:3] for p in parts}) != 1:
        raise ValueError(f"WAV formats differ: {sorted({p[:3] for p in parts})}")
    _atomic_write(out, parts)
    return out


def _atomic_write(path: Path, parts: list[tuple[int, int, int, bytes]]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".wav.tmp")
    try:
        with os.fdopen(fd, "wb") as fh, wave.open(fh, "wb") as wav:
            channels, width, rate, _ = parts[0]
            wav.setnchannels(channels)
            wav.setsampwidth(width)
            wav.setframerate(rate)
            for *_, frames in parts:
                wav.writeframes(frames)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the web server must be able to serve it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
