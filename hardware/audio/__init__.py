"""Audio for the waiting-room display: the shipped chime and offline spoken announcements (espeak-ng)."""

from __future__ import annotations

from pathlib import Path

from contactpoint.hardware.audio.announcer import VOICES, Announcer, AudioError, EspeakAnnouncer, FakeAnnouncer
from contactpoint.hardware.audio.wavtools import WavStats, concat_wavs, wav_stats

__all__ = [
    "VOICES",
    "Announcer",
    "AudioError",
    "EspeakAnnouncer",
    "FakeAnnouncer",
    "WavStats",
    "chime_path",
    "concat_wavs",
    "wav_stats",
]


def chime_path() -> Path:
    """The shipped "ding-dong" chime (22050 Hz mono 16-bit, ~1.2 s), synthesised by make_chime.py."""
    return Path(__file__).with_name("chime.wav")
