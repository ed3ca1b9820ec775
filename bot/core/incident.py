"""Placeholder incident logic (replaced by the incident module)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.models import IncidentState


@dataclass(frozen=True)
class Incident:
    code: str
    state: IncidentState
    started_at: datetime | None
    updated_at: datetime | None
    note: str = ""


def effective_state(incident: Incident, now: datetime, resolved_quiet_s: float) -> IncidentState:
    if (
        incident.state is IncidentState.RESOLVED
        and incident.updated_at is not None
        and (now - incident.updated_at).total_seconds() > resolved_quiet_s
    ):
        return IncidentState.NONE
    return incident.state
