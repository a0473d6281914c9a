"""Queue ordering: who is called next.

Within a need, first come first served by `queue_at` (the issue time, kept through transfers).
A priority visitor is placed as if they had arrived `priority_advance_s` earlier, an appointment as if it
arrived `appointment_advance_s` before max(check-in, slot start). That advance is the aging cap: a visitor
is never overtaken by a priority visitor or appointment that arrived more than the advance after them.
One strategy, replaceable: everything goes through `sort_key`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .model import WAITING, Counter, Ticket
from .site import QueuePolicy


def effective_time(t: Ticket, policy: QueuePolicy) -> float:
    if t.slot_at is not None:
        return max(t.queue_at, t.slot_at) - policy.appointment_advance_s
    if t.priority:
        return t.queue_at - policy.priority_advance_s
    return t.queue_at


def sort_key(t: Ticket, policy: QueuePolicy) -> tuple[float, float, str, int]:
    # ties: earlier arrival, then need and serial so the order is total and stable
    return (effective_time(t, policy), t.queue_at, t.need, t.serial)


def can_serve(counter: Counter, t: Ticket) -> bool:
    """May this counter call this ticket at all (state, need, and any transfer target)?"""
    if t.state not in WAITING:
        return False
    if t.target_counter is not None and t.target_counter != counter.id:
        return False
    if t.target_agent is not None and t.target_agent != counter.agent:
        return False
    if t.target_counter is not None or t.target_agent is not None:
        return True  # sent to this counter or agent by name: whatever the need
    return t.need in counter.needs


def next_for(counter: Counter, tickets: Iterable[Ticket], policy: QueuePolicy) -> Ticket | None:
    best: Ticket | None = None
    best_key: tuple[float, float, str, int] | None = None
    for t in tickets:
        if not can_serve(counter, t):
            continue
        k = sort_key(t, policy)
        if best_key is None or k < best_key:
            best, best_key = t, k
    return best


def ordered(tickets: Iterable[Ticket], policy: QueuePolicy) -> list[Ticket]:
    """The waiting tickets in calling order."""
    return sorted((t for t in tickets if t.state in WAITING), key=lambda t: sort_key(t, policy))


def position(ticket: Ticket, tickets: Iterable[Ticket], policy: QueuePolicy) -> int:
    """How many waiting tickets of the same need come before this one (0 = next)."""
    if ticket.state not in WAITING:
        return 0
    mine = sort_key(ticket, policy)
    return sum(
        1
        for t in tickets
        if t.id != ticket.id and t.state in WAITING and t.need == ticket.need and sort_key(t, policy) < mine
    )
