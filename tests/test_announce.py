"""`contactpoint announce`: the technician's audio self-test renders a real call in every language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from contactpoint.hardware.audio import VOICES, chime_path, wav_stats
from contactpoint.provisioning.cli import main


@pytest.fixture(scope="module", autouse=True)
def espeak() -> None:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng not found: install the Debian package `espeak-ng`")


@pytest.mark.parametrize("lang", sorted(VOICES))
def test_announce_writes_a_non_silent_wav_in_every_language(tmp_path: Path, lang: str) -> None:
    out = tmp_path / f"{lang}.wav"
    result = CliRunner().invoke(
        main, ["announce", "--lang", lang, "--ticket", "A042", "--counter", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    stats = wav_stats(out)
    chime = wav_stats(chime_path())
    assert (stats.sample_rate, stats.channels) == (chime.sample_rate, chime.channels)
    # the chime, then a whole sentence: a few seconds, clearly audible, not clipped to silence
    assert chime.duration_s + 1.5 < stats.duration_s < 15, stats
    assert stats.rms > 0.03 and stats.peak > 0.3, stats


def test_announce_speaks_the_number_naturally_and_recall(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["announce", "--lang", "en", "--out", str(tmp_path / "a.wav")])
    assert first.exit_code == 0 and "A, 42" in first.output and "counter 3" in first.output
    again = runner.invoke(main, ["announce", "--lang", "en", "--recall", "--out", str(tmp_path / "b.wav")])
    assert again.exit_code == 0 and "Reminder" in again.output
    fr = runner.invoke(main, ["announce", "--lang", "fr", "--out", str(tmp_path / "fr.wav")])
    assert "(fr-be)" in fr.output  # the sample site is in Brussels


def test_announce_refuses_an_unknown_language(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["announce", "--lang", "xx", "--out", str(tmp_path / "x.wav")])
    assert result.exit_code == 1 and "audio_language_unsupported" in result.output
    assert not (tmp_path / "x.wav").exists()
