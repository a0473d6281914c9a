"""``type = "fake"``: no printer; the bytes are kept (tests, the demo). The driver is ``hardware/printer/fake.py``."""

from __future__ import annotations

from contactpoint.hardware.printer.fake import FakePrinter
from contactpoint.hardware.printer.model import STATUS_KEYS
from contactpoint.hardware.printer.registry import Transport
from contactpoint.hardware.printer.settings import Setting

TRANSPORT = Transport(
    "fake",
    FakePrinter,
    (Setting.one_of("fail_with", None, STATUS_KEYS, optional=True),),  # a status key to simulate
    rank=0,
)
