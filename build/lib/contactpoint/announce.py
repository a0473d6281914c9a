"""Spoken announcements of calls: translated phrases, the order of languages, rendering off the request thread.

For each call the display plays the chime, then the phrase in the language the visitor chose at the kiosk,
then in each of the site's `announcement_languages` not already said. Phrases are translated strings with
placeholders (never concatenated English), rendered under `force_locale(lang)` and spoken offline by
espeak-ng (hardware.audio), cached as WAV files keyed by (text, language, voice, speed).

Rendering happens in a worker thread: a call is pre-rendered as soon as it is broadcast (a `broadcast`
subscriber of the event bus, contactpoint/bus.py, never under the engine's lock), so the display's request for
the audio is usually a cache hit. If espeak-ng is missing or fails, the call is still shown and the chime still
plays; the failure is logged with its message key and kept in `last_error` for the health page.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _

from contactpoint.domain.site import Site
from contactpoint.hardware.audio import VOICES, AudioError, EspeakAnnouncer, chime_path
from contactpoint.hardware.audio.announcer import resolve_voice

if TYPE_CHECKING:
    from contactpoint.box import Box

log = logging.getLogger(__name__)

CALL_TYPES = frozenset({"ticket_called", "ticket_recalled"})
# Belgium: "fr-be" reads 72 as "septante-deux", as people here say it
BELGIAN_ZONES = frozenset({"Europe/Brussels"})
_NUMBER = re.compile(r"([^\W\d_]*)0*(\d+)")


def spoken_number(number: str) -> str:
    """ "A042" -> "A, 42": the letter, a short pause, then the integer.

    Without the pause espeak-ng reads a lone "A" as the English article (and "a" in Portuguese); with the
    zeros it says "zero four two". Numbers of another shape are spoken as they are.
    """
    m = _NUMBER.fullmatch(number.strip())
    if not m:
        return number
    letters, digits = m.groups()
    return f"{letters}, {int(digits)}" if letters else str(int(digits))


def phrase(number: str, counter: str, *, recall: bool = False) -> str:
    """The sentence in the current locale (call inside `force_locale`)."""
    values = {"number": spoken_number(number), "counter": counter}
    if recall:
        return _("Reminder: ticket %(number)s, please go to counter %(counter)s.", **values)
    return _("Ticket %(number)s, please go to counter %(counter)s.", **values)


def voices_for_site(site: Site) -> dict[str, str]:
    """The espeak-ng voice per language for this site: Belgian French in Belgium."""
    voices = dict(VOICES)
    if str(getattr(site.tz, "key", site.tz)) in BELGIAN_ZONES:
        voices["fr"] = "fr-be"
    return voices


def languages(site: Site, visitor_lang: str | None, voices: dict[str, str]) -> list[str]:
    """The visitor's language first, then the site's announcement languages; each once, only speakable ones."""
    out: list[str] = []
    for lang in [visitor_lang or "", *site.announcement_languages]:
        if not lang or lang in out:
            continue
        try:
            resolve_voice(voices, lang)
        except AudioError:
            log.warning("announcement audio_language_unsupported: %s", lang)
            continue
        out.append(lang)
    return out


@dataclass(frozen=True, slots=True)
class Part:
    lang: str
    text: str


class AnnouncementService:
    """Renders announcements in a worker thread and hands the display its playlist of WAV files."""

    def __init__(
        self,
        app: Flask,
        site: Site,
        announcer: Any,
        *,
        enabled: bool = True,
        voices: dict[str, str] | None = None,
        workers: int = 1,
        wait_s: float = 20.0,
    ) -> None:
        self.app = app
        self.site = site
        self.announcer = announcer
        self.enabled = enabled
        self.voices = dict(voices if voices is not None else getattr(announcer, "voices", VOICES))
        self.cache_dir = Path(announcer.cache_dir)
        self.wait_s = wait_s
        self.last_error: str | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="announce")
        self._lock = threading.Lock()
        self._inflight: dict[tuple[str, str], Future[Path | None]] = {}

    # -- what is said -------------------------------------------------------------------------------------
    def counter_label(self, counter_id: str) -> str:
        c = self.site.counter(counter_id)
        return c.label if c else counter_id

    def parts(self, number: str, counter_id: str, lang: str | None, *, recall: bool = False) -> list[Part]:
        label = self.counter_label(counter_id)
        out = []
        with self.app.app_context():
            for code in languages(self.site, lang, self.voices):
                with force_locale(code):
                    out.append(Part(code, phrase(number, label, recall=recall)))
        return out

    # -- rendering ----------------------------------------------------------------------------------------
    def _render(self, part: Part) -> Path | None:
        try:
            return Path(self.announcer.render(part.text, part.lang))
        except AudioError as e:
            self.last_error = e.key
            log.warning("announcement %s (%s): %s", e.key, part.lang, e.detail)
        except Exception:  # a broken voice must never break the display
            self.last_error = "audio_render_failed"
            log.exception("announcement audio_render_failed (%s)", part.lang)
        return None

    def _submit(self, part: Part) -> Future[Path | None]:
        key = (part.text, part.lang)
        with self._lock:
            fut = self._inflight.get(key)
            if fut is not None:
                return fut
            fut = self._pool.submit(self._render, part)
            self._inflight[key] = fut
        # outside the lock: a future already done runs its callback at once, in this thread
        fut.add_done_callback(lambda _f: self._forget(key, _f))
        return fut

    def _forget(self, key: tuple[str, str], fut: Future[Path | None]) -> None:
        with self._lock:
            if self._inflight.get(key) is fut:
                del self._inflight[key]

    def prepare(self, number: str, counter_id: str, lang: str | None, *, recall: bool = False) -> list[Future[Any]]:
        """Start rendering a call's phrases (returns at once)."""
        try:
            return [self._submit(p) for p in self.parts(number, counter_id, lang, recall=recall)]
        except RuntimeError:  # the pool is shut down (the app is stopping)
            return []

    def playlist(self, number: str, counter_id: str, lang: str | None, *, recall: bool = False) -> list[Path]:
        """The WAV files to play in order: the chime, then each language (those that could be rendered)."""
        if not self.enabled:
            return []
        out = [chime_path()]
        for fut in self.prepare(number, counter_id, lang, recall=recall):
            try:
                path = fut.result(timeout=self.wait_s)
            except FutureTimeout:
                self.last_error = "audio_timeout"
                log.warning("announcement audio_timeout: not rendered within %ss", self.wait_s)
                continue
            if path is not None:
                out.append(path)
        return out

    def on_batch(self, batch: Iterable[Any]) -> None:
        """The bus's `broadcast` subscriber: pre-render every call as soon as it is published."""
        if not self.enabled:
            return
        for item in batch:
            if item.type not in CALL_TYPES:
                continue
            try:
                ticket = item.payload["tickets"][0]
                counter = item.payload["data"].get("counter") or ticket["counter"]
                self.prepare(ticket["number"], counter, ticket.get("lang"), recall=item.type == "ticket_recalled")
            except (KeyError, IndexError, TypeError):
                log.warning("announcement: a call event without its ticket (seq %s)", item.seq)

    def start(self) -> None:
        """A Box service: the pool's worker starts with the first call it renders."""

    def stop(self) -> None:
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def render_one(
    app: Flask, announcer: Any, *, lang: str, number: str, counter: str, out: Path, recall: bool = False
) -> str:
    """One announcement as a single WAV (chime + phrase in `lang`): the technician's self-test.

    `counter` is the label as spoken. Returns the text that was spoken."""
    from contactpoint.hardware.audio import concat_wavs

    voices = dict(getattr(announcer, "voices", VOICES))
    resolve_voice(voices, lang)  # AudioError("audio_language_unsupported") before anything else
    with app.app_context(), force_locale(lang):
        text = phrase(number, counter, recall=recall)
    speech = announcer.render(text, lang)
    concat_wavs([chime_path(), speech], out)
    return text


def init_app(app: Flask, cp: Box, announcer: Any = None) -> AnnouncementService:
    """Create the announcer (espeak-ng, cached under DATA_DIR/audio) unless one is given, and the service."""
    site = cp.site
    voices = voices_for_site(site)
    if announcer is None:
        announcer = EspeakAnnouncer(
            Path(app.config["DATA_DIR"]).resolve() / "audio", speed=site.display.speech_rate, voices=voices
        )
        if not announcer.available():
            log.warning("announcement audio_unavailable: espeak-ng not found; calls will only chime")
    service = AnnouncementService(app, site, announcer, enabled=site.display.announce)
    cp.announcer = announcer
    cp.announcements = service
    cp.add_service(service)
    cp.engine.bus.subscribe(service.on_batch, when="broadcast")
    return service
