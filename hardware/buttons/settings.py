"""The `[buttons]` table of the site file: four push-buttons on GPIO pins (BCM numbers), an optional LED."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: BCM numbers a Raspberry Pi's 40-pin header brings out
GPIO_PINS = range(2, 28)
KEYS = ("pins", "led", "bounce_ms", "device")


@dataclass(frozen=True, slots=True)
class ButtonSettings:
    pins: tuple[int, int, int, int] = (17, 27, 22, 23)  # very unhappy, unhappy, happy, very happy
    led: int | None = None  # lights THANK_S seconds after a counted press
    bounce_ms: int = 50  # gpiozero's debounce (bounce_time)
    device: str = "buttons"  # the device id of its taps (the rate rule counts per device)


DEFAULT = ButtonSettings()


def parse_buttons(raw: dict[str, Any]) -> ButtonSettings:
    """The table as read from TOML; ValueError("buttons.<key>: problem") for a wrong one."""
    for k in raw:
        if k not in KEYS:
            raise ValueError(f"buttons.{k}: unknown key (allowed: {', '.join(KEYS)})")
    pins = raw.get("pins", list(DEFAULT.pins))
    if (
        not isinstance(pins, list)
        or len(pins) != 4
        or not all(isinstance(p, int) and not isinstance(p, bool) and p in GPIO_PINS for p in pins)
        or len(set(pins)) != 4
    ):
        raise ValueError(
            f"buttons.pins: must list four different GPIO pins (BCM 2-27), very unhappy to very happy, got {pins!r}"
        )
    led = raw.get("led")
    if led is not None and (isinstance(led, bool) or not isinstance(led, int) or led not in GPIO_PINS or led in pins):
        raise ValueError(f"buttons.led: must be a GPIO pin (BCM 2-27) that no button uses, got {led!r}")
    bounce = raw.get("bounce_ms", DEFAULT.bounce_ms)
    if isinstance(bounce, bool) or not isinstance(bounce, int) or not 1 <= bounce <= 1000:
        raise ValueError(f"buttons.bounce_ms: must be a whole number of milliseconds from 1 to 1000, got {bounce!r}")
    device = raw.get("device", DEFAULT.device)
    from contactpoint.domain.feedback import DEVICE_RE

    if not isinstance(device, str) or not DEVICE_RE.fullmatch(device):
        raise ValueError(f"buttons.device: must be 1-64 letters, digits, - or _, got {device!r}")
    return ButtonSettings(pins=(pins[0], pins[1], pins[2], pins[3]), led=led, bounce_ms=bounce, device=device)
