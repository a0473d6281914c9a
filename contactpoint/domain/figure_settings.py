"""What the figures need to know of a site (pure): its time zone, each need's service level threshold and the
kinds of the organisations a visit may be referred to, as one small frozen object built from the `Site`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .site import Site

DEFAULT_LEVEL_S = 900.0  # service level threshold when a need names none: 15 minutes
NO_REFERRAL_KIND = "unspecified"  # referred, with no organisation named
OTHER_KIND = "other"  # referred to an organisation the site's directory does not know


@dataclass(frozen=True, slots=True)
class FigureSettings:
    tz: tzinfo
    level_s: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    kinds: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    default_level_s: float = DEFAULT_LEVEL_S
    slot_minutes: int = 60  # the groups' length within the day: hours; the upstream reporter's windows are 15

    @staticmethod
    def of(site: Site) -> FigureSettings:
        return FigureSettings(
            tz=site.tz,
            level_s=MappingProxyType({n.id: 60.0 * n.service_level_minutes for n in site.needs}),
            kinds=MappingProxyType({o.id: o.kind for o in site.organisations}),
        )

    def level(self, need: str) -> float:
        return self.level_s.get(need, self.default_level_s)

    def kind(self, referral: str | None) -> str:
        if referral is None:
            return NO_REFERRAL_KIND
        return self.kinds.get(referral, OTHER_KIND)

    def local(self, at: float) -> datetime:
        return datetime.fromtimestamp(at, self.tz)

    def slot(self, local: datetime) -> int:
        """The group of the day a local time falls in: its hour (0–23), or its window with `slot_minutes`."""
        return (local.hour * 60 + local.minute) // self.slot_minutes
