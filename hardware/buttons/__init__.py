"""Four physical push-buttons by the door (very unhappy, unhappy, happy, very happy), read with gpiozero.

`ButtonPanel` is a service of the box (`start()`/`stop()`): each press becomes a satisfaction tap of channel
`buttons` (`on_press(score)`, which says whether the tap was counted); a counted one lights the optional LED for
THANK_S seconds. gpiozero is imported only when the site has a `[buttons]` table, and only here: when it is not
installed, or the pins cannot be opened (not a Pi, pins taken), the panel says why in `status` (shown in
`/api/health` as `"buttons": "unavailable: …"`) and the box serves on. Tests pass gpiozero's MockFactory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .settings import ButtonSettings, parse_buttons

log = logging.getLogger(__name__)
THANK_S = 2.0  # the LED says thank you this long


class ButtonPanel:
    def __init__(
        self,
        settings: ButtonSettings,
        on_press: Callable[[int], bool],
        pin_factory: Any = None,
        later: Callable[[float, Callable[[], None]], Any] | None = None,
        dispatch: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        """`pin_factory`: gpiozero's (None: its default, the Pi's pins); `later(seconds, fn)` schedules the LED's
        end (a daemon threading.Timer unless given); `dispatch(fn)` runs a press's work where the server runs
        (gevent: on its loop, not on gpiozero's OS thread; by default where the press arrives)."""
        self.dispatch = dispatch or (lambda fn: fn())
        self.settings = settings
        self.on_press = on_press
        self.pin_factory = pin_factory
        self.later = later or _timer
        self.buttons: list[Any] = []
        self.led: Any = None
        self.status = "stopped"
        self._lock = threading.Lock()

    def start(self) -> None:
        try:
            from gpiozero import LED, Button
        except ImportError as e:  # the optional extra is not installed: pip install 'contactpoint[buttons]'
            self._unavailable(f"gpiozero is not installed ({e.name or e})")
            return
        try:
            for score, pin in enumerate(self.settings.pins, start=1):
                b = Button(pin, bounce_time=self.settings.bounce_ms / 1000, pin_factory=self.pin_factory)
                b.when_pressed = self._handler(score)
                self.buttons.append(b)
            if self.settings.led is not None:
                self.led = LED(self.settings.led, pin_factory=self.pin_factory)
        except Exception as e:  # no GPIO here (not a Pi), a pin in use, no permission: the box serves on
            self._close()
            self._unavailable(f"{type(e).__name__}: {e}")
            return
        self.status = "ok"
        log.info("satisfaction buttons on GPIO %s", ", ".join(map(str, self.settings.pins)))

    def _unavailable(self, why: str) -> None:
        self.status = f"unavailable: {why}"
        log.warning("satisfaction buttons %s", self.status)

    def _handler(self, score: int) -> Callable[[], None]:
        def work() -> None:
            try:
                counted = self.on_press(score)
            except Exception:  # a press must never kill gpiozero's thread (a full disk, say)
                log.exception("a button press could not be saved")
                return
            if counted:
                self.thank()

        return lambda: self.dispatch(work)

    def thank(self) -> None:
        led = self.led
        if led is None:
            return
        with self._lock:
            led.on()
        self.later(THANK_S, self._dim)

    def _dim(self) -> None:
        with self._lock:
            if self.led is not None:
                self.led.off()

    def _close(self) -> None:
        for dev in [*self.buttons, self.led]:
            if dev is not None:
                try:
                    dev.close()
                except Exception:  # closing is best effort
                    log.debug("closing %r failed", dev, exc_info=True)
        self.buttons, self.led = [], None

    def stop(self) -> None:
        with self._lock:
            self._close()
        if self.status == "ok":
            self.status = "stopped"


def _timer(seconds: float, fn: Callable[[], None]) -> threading.Timer:
    t = threading.Timer(seconds, fn)
    t.daemon = True
    t.start()
    return t


__all__ = ["THANK_S", "ButtonPanel", "ButtonSettings", "parse_buttons"]
