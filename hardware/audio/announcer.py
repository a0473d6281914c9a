"""Spoken announcements rendered offline on the box with espeak-ng, cached as WAV files."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

from contactpoint.hardware.audio.wavtools import sine_samples, write_pcm16

# language -> espeak-ng voice (names from `espeak-ng --voices`, espeak-ng 1.51 on Debian bookworm).
# For Belgium, "fr-be" says "septante"/"nonante" in numbers; swap it in at configuration time if wanted.
VOICES: dict[str, str] = {
    "fr": "fr-fr",
    "nl": "nl",
    "en": "en-gb",
    "de": "de",
    "ar": "ar",
    "tr": "tr",
    "es": "es",
    "ro": "ro",
    "pl": "pl",
    "pt": "pt",  # Portuguese (Portugal); "pt-br" for Brazilian
}


class AudioError(Exception):
    """`key` is a stable, translatable message key, e.g. "audio_unavailable"."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


class Announcer(Protocol):
    def render(self, text: str, lang: str) -> Path:
        """Return a cached WAV of `text` spoken in `lang`; the same (text, lang, voice) is rendered once."""
        ...


def resolve_voice(voices: dict[str, str], lang: str) -> str:
    """Exact language first, then its base ("fr-BE" -> "fr"); unknown -> AudioError."""
    voice = voices.get(lang) or voices.get(lang.split("-")[0].split("_")[0].lower())
    if voice is None:
        raise AudioError("audio_language_unsupported", lang)
    return voice


def cache_key(text: str, lang: str, voice: str, speed: int) -> str:
    return hashlib.sha256(f"{text}|{lang}|{voice}|{speed}".encode()).hexdigest()[:32]


MAX_CACHE_BYTES = 256 * 1024 * 1024  # an SD card's share for spoken audio (a call's phrase is ~100-200 KB)


def prune_cache(cache_dir: Path, max_files: int, max_bytes: int | None = None) -> None:
    """Delete the least recently used WAVs (oldest mtime) beyond `max_files` or beyond `max_bytes` in all."""
    entries = []
    for p in cache_dir.glob("*.wav"):
        try:
            st = p.stat()
        except FileNotFoundError:  # removed concurrently
            continue
        entries.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in entries)
    if len(entries) <= max_files and (max_bytes is None or total <= max_bytes):
        return
    entries.sort()
    count = len(entries)
    for _, size, p in entries:
        if count <= max_files and (max_bytes is None or total <= max_bytes):
            break
        p.unlink(missing_ok=True)
        count -= 1
        total -= size


def _cache_hit(path: Path) -> bool:
    try:
        os.utime(path)  # mark as recently used, so pruning is LRU
    except FileNotFoundError:
        return False
    return True


class EspeakAnnouncer:
    def __init__(
        self,
        cache_dir: Path,
        *,
        speed: int = 150,
        binary: str = "espeak-ng",
        max_files: int = 2000,
        max_bytes: int = MAX_CACHE_BYTES,
        timeout_s: float = 20.0,
        voices: dict[str, str] | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.speed = speed
        self.binary = binary
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.voices = dict(VOICES if voices is None else voices)

    def available(self) -> bool:
        try:
            done = subprocess.run([self.binary, "--version"], capture_output=True, timeout=5, check=False)
        except (OSError, subprocess.SubprocessError):
            return False
        return done.returncode == 0

    def render(self, text: str, lang: str) -> Path:
        voice = resolve_voice(self.voices, lang)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        final = self.cache_dir / f"{cache_key(text, lang, voice, self.speed)}.wav"
        if _cache_hit(final):
            return final
        fd, tmp_name = tempfile.mkstemp(dir=self.cache_dir, suffix=".wav.tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            self._run(text, voice, tmp)
            tmp.chmod(0o644)  # mkstemp makes 0600; the display's web server serves these files
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        prune_cache(self.cache_dir, self.max_files, self.max_bytes)
        return final

    def _run(self, text: str, voice: str, out: Path) -> None:
        # argument list, no shell; text goes through stdin (-b 1: UTF-8), so it is never parsed as options
        argv = [self.binary, "-v", voice, "-s", str(self.speed), "-b", "1", "-w", str(out), "--stdin"]
        try:
            done = subprocess.run(
                argv, input=text.encode("utf-8"), capture_output=True, timeout=self.timeout_s, check=False
            )
        except FileNotFoundError as exc:
            detail = f"{self.binary} not found (Debian package espeak-ng)"
            raise AudioError("audio_unavailable", detail) from exc
        except PermissionError as exc:
            raise AudioError("audio_unavailable", f"{self.binary} is not executable") from exc
        except subprocess.TimeoutExpired as exc:
            raise AudioError("audio_timeout", f"espeak-ng took over {self.timeout_s}s") from exc
        if done.returncode != 0 or out.stat().st_size <= 44:
            stderr = done.stderr.decode("utf-8", "replace").strip()
            raise AudioError("audio_render_failed", f"exit {done.returncode}: {stderr[:200]}")


class FakeAnnouncer:
    """Test double: writes a short, valid, audible sine WAV; records every call in `.rendered`."""

    def __init__(self, cache_dir: Path, *, unavailable: bool = False, voices: dict[str, str] | None = None) -> None:
        self.cache_dir = Path(cache_dir)
        self.unavailable = unavailable
        self.voices = dict(VOICES if voices is None else voices)
        self.rendered: list[tuple[str, str]] = []

    def available(self) -> bool:
        return not self.unavailable

    def render(self, text: str, lang: str) -> Path:
        self.rendered.append((text, lang))
        if self.unavailable:
            raise AudioError("audio_unavailable", "FakeAnnouncer(unavailable=True)")
        voice = resolve_voice(self.voices, lang)
        key = cache_key(text, lang, voice, 0)
        final = self.cache_dir / f"{key}.wav"
        if not final.exists():
            freq = 300.0 + int(key[:4], 16) % 500  # distinct but deterministic per text
            write_pcm16(final, sine_samples(freq, 0.25), sample_rate=22050)  # atomic: never half a file
        return final
