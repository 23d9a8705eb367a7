"""The anonymous bank call centre (Israel, 1999; Technion SEE data, Guedj & Mandelbaum):
one record per call, loaded as plain values, and summarised per calendar hour so the queueing
models can be checked against a real queue.

The data is not part of the repository. It is expected at
``../shared/data/anonymous_bank_call_center_1999/calls_feb_01_21.tsv`` relative to the
repository root (:data:`DEFAULT_DATA_DIR`); ``FIELD_DESCRIPTIONS_from_datawookie.md`` beside it
describes the 17 tab-separated fields.

Choices, and why:

- ``arrived`` is the date + ``vru_exit``: the moment the call leaves the voice-response unit
  and can join the agents' queue. ``vru_entry`` would count the time callers spend
  identifying themselves to a machine as demand on the agents. The date is the day the call
  entered the VRU, so a clock time more than 12 hours before ``vru_entry`` means the call
  crossed midnight. A few calls exit a minute "before" they enter (clock skew between
  systems); they are kept as recorded.
- ``queued`` is true when the call joined the hold queue (``q_start`` recorded, or a queue
  time above zero — one call joined at exactly 00:00:00). A call answered with no wait has
  ``q_start`` 0:00:00 but an AGENT outcome; :attr:`Call.offered` counts both, which is what a
  queueing model calls an arrival. HANG without ``queued`` hung up in the VRU and never
  reached the agents.
- PHANTOM calls ("a virtual call to be ignored") are loaded but left out of the hourly
  observations.
- About 1.5% of AGENT calls have the server NO_SERVER and a few seconds of service (system
  transfers, as far as we can tell): they count as answered, but not in handle time or
  agents observed. 72 AGENT calls have no service times at all (0:00:00, 0 seconds): they
  count as answered, with ``service_start`` None, and are likewise left out of those two.
- Times are the call centre's local wall clock, naive (the data gives no zone).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from relaydesk.capacity.errors import CapacityInputError

logger = logging.getLogger(__name__)

#: Where the data is expected: ``../shared/data/anonymous_bank_call_center_1999`` from the
#: repository root (this file is ``relaydesk/capacity/bank.py``).
DEFAULT_DATA_DIR = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "anonymous_bank_call_center_1999"
)
CALLS_FILE = "calls_feb_01_21.tsv"
#: The six service types; the default filter keeps them all.
SERVICE_TYPES = frozenset({"PS", "PE", "IN", "NE", "NW", "TT"})
OUTCOMES = frozenset({"AGENT", "HANG", "PHANTOM"})
NO_SERVER = "NO_SERVER"
COLUMNS = (
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
)
_HALF_DAY = timedelta(hours=12)
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Call:
    type: str  # service type: PS, PE, IN, NE, NW, TT
    priority: int  # 0 and 1 regular, 2 priority
    arrived: datetime  # date + vru_exit: when the call could join the agents' queue
    queued: bool  # joined the hold queue (see the module docstring)
    q_seconds: int  # time in the hold queue
    outcome: str  # AGENT, HANG or PHANTOM
    served_seconds: int  # service time (0 unless AGENT)
    server: str  # agent name, or NO_SERVER
    call_id: str = ""
    service_start: datetime | None = None  # date + ser_start; None unless AGENT and recorded

    @property
    def offered(self) -> bool:
        """Reached the agents: queued, or answered at once. PHANTOM calls never are."""
        return self.outcome != "PHANTOM" and (self.queued or self.outcome == "AGENT")

    @property
    def answered(self) -> bool:
        return self.outcome == "AGENT"

    @property
    def abandoned(self) -> bool:
        """Hung up while waiting for an agent (not in the VRU)."""
        return self.outcome == "HANG" and self.queued

    @property
    def wait_seconds(self) -> int:
        return self.q_seconds if self.queued else 0


class CallLog(list[Call]):
    """The calls of a file, as a list, with the rows skipped as malformed."""

    def __init__(self, calls: Iterable[Call] = (), malformed_lines: Iterable[int] = ()) -> None:
        super().__init__(calls)
        self.malformed_lines: tuple[int, ...] = tuple(malformed_lines)

    @property
    def malformed(self) -> int:
        return len(self.malformed_lines)


@dataclass(frozen=True)
class HourObservation:
    """One calendar hour of the call centre, by the calls that arrived in it."""

    hour: datetime  # start of the hour, local wall clock
    arrivals: int  # calls offered to the agents (queued or answered at once)
    answered: int
    abandoned: int  # hung up while queued
    mean_wait_seconds: float | None  # over all offered calls; 0 for those answered at once
    mean_handle_seconds: float | None  # answered, named server, service times recorded
    agents_observed: int  # distinct named servers busy at some point in the hour
    busy_seconds: float = 0.0  # service time of named servers that falls within the hour
    servers: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def occupancy_observed(self) -> float | None:
        """Busy time / (agents observed x 1 hour): an upper bound on true occupancy, since
        agents observed undercounts idle staff."""
        return self.busy_seconds / (self.agents_observed * 3600) if self.agents_observed else None


def default_calls_path() -> Path:
    return DEFAULT_DATA_DIR / CALLS_FILE


def load_calls(path: Path | None = None) -> CallLog:
    """The calls of a TSV in the data's format (a folder means its ``calls_feb_01_21.tsv``;
    None means :func:`default_calls_path`). Malformed rows are skipped and counted in
    :attr:`CallLog.malformed_lines`."""
    path = default_calls_path() if path is None else path
    if path.is_dir():
        path = path / CALLS_FILE
    if not path.parent.is_dir():
        raise CapacityInputError(
            f"the bank call-centre data folder {path.parent} is missing: the data is expected "
            f"at {default_calls_path()} (../shared/data/anonymous_bank_call_center_1999/ "
            "from the repository root); it is not part of the repository"
        )
    if not path.is_file():
        raise CapacityInputError(
            f"{path} does not exist: the bank call-centre calls are expected in {CALLS_FILE} "
            f"inside {path.parent}"
        )
    calls: list[Call] = []
    malformed: list[int] = []
    with path.open(encoding="utf-8", newline="") as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if tuple(name.strip() for name in header) != COLUMNS:
            raise CapacityInputError(
                f"{path} does not start with the call-centre header: expected the columns "
                f"{', '.join(COLUMNS)} separated by tabs, found {', '.join(header)}"
            )
        for line_number, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            call = _parse(line.rstrip("\r\n").split("\t"))
            if call is None:
                malformed.append(line_number)
            else:
                calls.append(call)
    if malformed:
        logger.warning(
            "%s: skipped %d malformed rows (first at line %d)", path, len(malformed), malformed[0]
        )
    return CallLog(calls, malformed)


def hourly_observations(
    calls: Iterable[Call], type_filter: Set[str] | None = SERVICE_TYPES
) -> list[HourObservation]:
    """Per calendar hour, from the first to the last hour with any activity (hours with none
    included, as zeros): calls offered, answered, abandoned, mean wait, mean handle time and
    agents observed.

    Agents observed counts the named servers who started or were serving a call during the
    hour. It is a proxy for staffing with known biases: it misses agents on shift who took no
    call all hour (so it undercounts in quiet hours, where idle agents are likely), and it
    counts two agents who relieved each other at half past as two (overcounting at shift
    changes). It also depends on the type filter: internet (IN) calls are served from a
    separate room by their own agents."""
    kept = [
        call for call in calls if call.offered and (type_filter is None or call.type in type_filter)
    ]
    if not kept:
        return []
    by_hour: dict[datetime, list[Call]] = {}
    servers: dict[datetime, set[str]] = {}
    busy: dict[datetime, float] = {}
    last = first = _hour_of(kept[0].arrived)
    for call in kept:
        hour = _hour_of(call.arrived)
        by_hour.setdefault(hour, []).append(call)
        first, last = min(first, hour), max(last, hour)
        if call.server == NO_SERVER or call.service_start is None:
            continue
        start = call.service_start
        end = start + timedelta(seconds=call.served_seconds)
        slot = _hour_of(start)
        # A call that is still being served counts in every hour it touches.
        while slot < end or slot == _hour_of(start):
            servers.setdefault(slot, set()).add(call.server)
            overlap = (min(end, slot + _HOUR) - max(start, slot)).total_seconds()
            busy[slot] = busy.get(slot, 0.0) + max(overlap, 0.0)
            last = max(last, slot)
            slot += _HOUR
    observations = []
    hour = first
    while hour <= last:
        arrived = by_hour.get(hour, [])
        handled = [
            call.served_seconds
            for call in arrived
            if call.answered and call.server != NO_SERVER and call.service_start is not None
        ]
        named = frozenset(servers.get(hour, set()))
        observations.append(
            HourObservation(
                hour=hour,
                arrivals=len(arrived),
                answered=sum(call.answered for call in arrived),
                abandoned=sum(call.abandoned for call in arrived),
                mean_wait_seconds=(
                    math.fsum(call.wait_seconds for call in arrived) / len(arrived)
                    if arrived
                    else None
                ),
                mean_handle_seconds=math.fsum(handled) / len(handled) if handled else None,
                agents_observed=len(named),
                busy_seconds=busy.get(hour, 0.0),
                servers=named,
            )
        )
        hour += _HOUR
    return observations


def _parse(fields: list[str]) -> Call | None:
    """One row, or None if it is malformed."""
    if len(fields) != len(COLUMNS):
        return None
    row = dict(zip(COLUMNS, (value.strip() for value in fields), strict=True))
    try:
        day = datetime.strptime(row["date"], "%y%m%d")
        entry = _clock(row["vru_entry"])
        exit_ = _clock(row["vru_exit"])
        priority = int(row["priority"])
        q_seconds = int(row["q_time"])
        served_seconds = int(row["ser_time"])
        q_start = _clock(row["q_start"])
        service = _clock(row["ser_start"])
    except ValueError:
        return None
    outcome = row["outcome"]
    if outcome not in OUTCOMES or q_seconds < 0 or served_seconds < 0 or not row["type"]:
        return None
    entered = datetime.combine(day, entry)
    arrived = _after(entered, exit_)
    recorded = outcome == "AGENT" and (service != time(0) or served_seconds > 0)
    service_start = _after(arrived, service) if recorded else None
    return Call(
        type=row["type"],
        priority=priority,
        arrived=arrived,
        queued=q_start != time(0) or q_seconds > 0,
        q_seconds=q_seconds,
        outcome=outcome,
        served_seconds=served_seconds if outcome == "AGENT" else 0,
        server=row["server"] or NO_SERVER,
        call_id=row["call_id"],
        service_start=service_start,
    )


def _clock(text: str) -> time:
    hours, minutes, seconds = (int(part) for part in text.split(":"))
    return time(hours, minutes, seconds)  # raises ValueError when out of range


def _after(reference: datetime, clock: time) -> datetime:
    """The clock time on the reference's day, or the next day if that would be more than
    12 hours earlier (the call crossed midnight)."""
    moment = datetime.combine(reference.date(), clock)
    return moment + timedelta(days=1) if moment < reference - _HALF_DAY else moment


def _hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
