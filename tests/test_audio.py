"""hardware.audio: the shipped chime and offline espeak-ng announcements (real espeak-ng, no skips)."""

from __future__ import annotations

import shutil
import stat
import subprocess
import wave
from pathlib import Path
from typing import Any

import pytest
from contactpoint.hardware.audio import (
    VOICES,
    AudioError,
    EspeakAnnouncer,
    FakeAnnouncer,
    chime_path,
    concat_wavs,
    wav_stats,
)

# "Ticket A 42, counter 3" as the display would say it, one real sentence per supported language
SENTENCES: dict[str, str] = {
    "fr": "Ticket A 42, guichet 3",
    "nl": "Ticket A 42, loket 3",
    "en": "Ticket A 42, counter 3",
    "de": "Ticket A 42, Schalter 3",
    "ar": "التذكرة A 42، الشباك 3",
    "tr": "Bilet A 42, gişe 3",
    "es": "Turno A 42, ventanilla 3",
    "ro": "Bonul A 42, ghișeul 3",
    "pl": "Numer A 42, stanowisko 3",
    "pt": "Senha A 42, balcão 3",
}


@pytest.fixture(scope="module")
def espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        pytest.fail("espeak-ng not found: install the Debian package `espeak-ng` (apt-get install espeak-ng)")
    return path


@pytest.fixture
def run_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(argv: list[str], *args: Any, **kwargs: Any) -> Any:
        calls.append(list(argv))
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)  # the module announcer.py calls through
    return calls


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-espeak"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_chime_is_a_valid_audible_wav_of_the_expected_format() -> None:
    stats = wav_stats(chime_path())
    assert (stats.sample_rate, stats.channels, stats.sample_width) == (22050, 1, 2)
    assert 1.0 <= stats.duration_s <= 1.4
    assert stats.rms > 0.05
    assert 0.3 < stats.peak < 0.99  # loud, not clipped


def test_chime_starts_and_ends_at_silence_so_it_does_not_click() -> None:
    with wave.open(str(chime_path()), "rb") as wav:
        frames = wav.readframes(wav.getnframes())
    first = int.from_bytes(frames[:2], "little", signed=True)
    last = int.from_bytes(frames[-2:], "little", signed=True)
    assert abs(first) < 50 and abs(last) < 50


def test_every_language_has_a_test_sentence() -> None:
    assert set(SENTENCES) == set(VOICES)


@pytest.mark.parametrize("lang", sorted(VOICES))
def test_espeak_renders_an_audible_wav_in_every_language(espeak: str, tmp_path: Path, lang: str) -> None:
    out = EspeakAnnouncer(tmp_path).render(SENTENCES[lang], lang)
    assert out.parent == tmp_path and out.suffix == ".wav"
    stats = wav_stats(out)
    assert stats.channels == 1 and stats.sample_rate > 8000
    assert stats.duration_s > 0.8, f"{lang}: {stats}"
    assert stats.rms > 0.01 and stats.peak > 0.1, f"{lang} is silent: {stats}"
    assert list(tmp_path.iterdir()) == [out]  # no temp file left behind


def test_cache_returns_the_same_file_without_rerunning_espeak(
    espeak: str, tmp_path: Path, run_calls: list[list[str]]
) -> None:
    announcer = EspeakAnnouncer(tmp_path)
    first = announcer.render(SENTENCES["fr"], "fr")
    assert len(run_calls) == 1
    assert announcer.render(SENTENCES["fr"], "fr") == first
    assert EspeakAnnouncer(tmp_path).render(SENTENCES["fr"], "fr") == first  # survives a restart
    assert len(run_calls) == 1
    other = announcer.render(SENTENCES["nl"], "nl")
    assert other != first and len(run_calls) == 2
    assert EspeakAnnouncer(tmp_path, speed=170).render(SENTENCES["fr"], "fr") != first


def test_text_is_never_parsed_as_options_or_shell(espeak: str, tmp_path: Path, run_calls: list[list[str]]) -> None:
    text = f'-w {tmp_path}/pwned.wav; $(touch {tmp_path}/pwned) "quoted" `id` --help'
    out = EspeakAnnouncer(tmp_path / "cache").render(text, "en")
    assert wav_stats(out).rms > 0.01
    assert all(text not in arg for arg in run_calls[0])  # sent on stdin, not argv
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned.wav").exists()
    assert list((tmp_path / "cache").iterdir()) == [out]


def test_cache_is_bounded_dropping_least_recently_used(espeak: str, tmp_path: Path) -> None:
    announcer = EspeakAnnouncer(tmp_path, max_files=2)
    one = announcer.render("one", "en")
    two = announcer.render("two", "en")
    announcer.render("one", "en")  # touch: now "two" is the oldest
    three = announcer.render("three", "en")
    assert sorted(tmp_path.glob("*.wav")) == sorted([one, three])
    assert not two.exists()


def test_missing_binary_raises_audio_unavailable(tmp_path: Path) -> None:
    announcer = EspeakAnnouncer(tmp_path, binary=str(tmp_path / "no-such-espeak-ng"))
    assert announcer.available() is False
    with pytest.raises(AudioError) as err:
        announcer.render("Ticket A 42, counter 3", "en")
    assert err.value.key == "audio_unavailable"
    assert list(tmp_path.iterdir()) == []


def test_available_with_real_binary(espeak: str, tmp_path: Path) -> None:
    assert EspeakAnnouncer(tmp_path).available() is True


def test_failing_or_hanging_binary_raises_keyed_errors(tmp_path: Path) -> None:
    failing = EspeakAnnouncer(tmp_path / "a", binary=_script(tmp_path, "echo boom >&2; exit 3"))
    with pytest.raises(AudioError) as err:
        failing.render("x", "en")
    assert err.value.key == "audio_render_failed" and "boom" in str(err.value)
    hanging = EspeakAnnouncer(tmp_path / "b", binary=_script(tmp_path, "exec sleep 10"), timeout_s=0.3)
    with pytest.raises(AudioError) as err:
        hanging.render("x", "en")
    assert err.value.key == "audio_timeout"
    assert list((tmp_path / "a").iterdir()) == [] and list((tmp_path / "b").iterdir()) == []


def test_unknown_language_is_refused_and_regional_tags_fall_back(tmp_path: Path) -> None:
    fake = FakeAnnouncer(tmp_path)
    with pytest.raises(AudioError) as err:
        fake.render("x", "xx")
    assert err.value.key == "audio_language_unsupported"
    assert fake.render("Ticket A 42, guichet 3", "fr-BE").exists()


def test_fake_announcer_writes_audible_wavs_and_records_calls(tmp_path: Path) -> None:
    fake = FakeAnnouncer(tmp_path)
    a = fake.render("Ticket A 42, counter 3", "en")
    assert fake.render("Ticket A 42, counter 3", "en") == a
    stats = wav_stats(a)
    assert stats.rms > 0.05 and stats.duration_s > 0.1
    assert fake.rendered == [("Ticket A 42, counter 3", "en")] * 2
    down = FakeAnnouncer(tmp_path, unavailable=True)
    with pytest.raises(AudioError) as err:
        down.render("x", "en")
    assert err.value.key == "audio_unavailable" and down.available() is False


def test_concat_chime_and_announcement(tmp_path: Path) -> None:
    speech = FakeAnnouncer(tmp_path).render("Ticket A 42, counter 3", "en")
    out = concat_wavs([chime_path(), speech], tmp_path / "call.wav")
    assert wav_stats(out).duration_s == pytest.approx(wav_stats(chime_path()).duration_s + 0.25, abs=0.01)
