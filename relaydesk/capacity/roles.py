"""The role mix of a blended AI + human support team: who you still need once the AI resolves
a share of the contacts, and why.

A workload model, deliberately plain: each role's FTE is hours of work per month divided by
the productive hours of one FTE. Every assumption lives in :class:`TeamAssumptions`, with its
default and the reasoning for it, and every role comes back with the formula written out with
the numbers substituted, so a planner can argue with a line rather than with a black box.

The model, for a team of ``N`` frontline agents today::

    contacts today    C  = monthly_contacts, or N x productive hours x occupancy / old AHT
    contacts after    C' = C x demand_multiplier x (1 + demand_uplift)
    AI-resolved       A  = C' x ai_resolution_rate
    to people         R  = C' - A, at old AHT x residual_aht_multiplier on average
    specialists       the hardest specialist_share of R, at specialist_aht_multiplier x the
                      residual average; the frontline takes the rest at a handle time lowered
                      so the average holds (routing moves work, it does not create it)
    frontline/spec.   contacts x handle time / (productive hours x target occupancy)
    AI QA             (base hours + A x sampling rate x review minutes) / productive hours
    knowledge/ops     (base hours + hours per 1,000 AI-resolved x A / 1,000) / productive hours
    analytics         max(minimum, FTE per 10 agents x N / 10): it scales with the operation,
                      which today's team size measures
    team leads        optional: (everyone else) / span

Practitioners' reference points, with the DEFAULT assumptions (tested in
``tests/capacity/test_roles.py``):

1. A team that automates 60% ends at 50-70% of its size, not 40%. Reproduced for teams of
   10 agents and more (10 → 6.5 FTE, 65%; 25 → 15.5, 62%; 100 → 60.4, 60%). Not for a
   5-agent team (3.65, 73%): the fixed parts (QA and knowledge base hours, minimum analytics)
   weigh more in a small team — reference point 2 seen from the other side.
2. A 5-agent team automating 50% keeps about 4 people: 3.3 frontline and specialists, the
   freed time going to part-time AI QA (0.29) and knowledge work (0.44), plus 0.25 analytics:
   4.27 FTE. Reproduced.
3. A 25-agent team automating 60-70% ends at 12-15 people (8-10 frontline, 1 AI QA,
   1 knowledge/ops, 1-2 specialists, part-time analytics). Reproduced at 65%: 13.9 FTE —
   9.8 frontline, 1.7 specialists, 0.89 AI QA, 0.87 knowledge/ops, 0.62 analytics — and at
   70% (12.4 FTE, 8.4 frontline). At 60% the team is a little larger than the reference:
   15.5 FTE with 11.2 frontline.
4. A 100-agent team automating 70% ends at 45-55 (25-30 frontline, 3-4 AI QA,
   2-3 knowledge/ops, 5-8 specialists, 2-3 analytics). The total (47.9), AI QA (3.3),
   knowledge/ops (2.6), specialists (5.9) and analytics (2.5) are reproduced; the frontline is
   not: 33.7 against 25-30. Why we do not force it: 30% of 110% of the old volume is 33
   agents' worth of contacts at the OLD handle time, so a frontline of 25-30 (after 15% of
   the residual work goes to specialists) needs residual contacts to take no longer than
   before (≤ 1.07x). That contradicts the harder-residual effect behind point 1. The
   reference's own roles cannot reach its total either unless each sits near the top of its
   range (30 + 4 + 3 + 8 + 3 = 48). We keep the harder residual; the total stays in range
   with a larger frontline.
5. AI QA is 0.5-1 FTE under 25 agents. Reproduced for teams of 15-25 agents automating
   60-70% (0.57-0.95). A 10-agent team needs less (0.44-0.49) and a 5-agent team 0.29, which
   we read as "at most one person", not "at least half a person".

Two defaults were chosen with the reference points in view, and say so: the residual
handle-time multiplier is 1.2, not the often-quoted 1.3 (at 1.3 the 25-agent frontline is
10.6 and the 5-agent team keeps 4.55 people; the 100-agent frontline grows to 36.5 and its
total to 51.2), and AI QA reviews 10% of AI-resolved conversations at 5 minutes (at 5% x 3
minutes the 100-agent team gets 1.1 AI QA FTE instead of 3-4).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

from relaydesk.capacity.errors import CapacityInputError

FRONTLINE = "frontline"
SPECIALIST = "specialist"
AI_QA = "ai_qa"
KNOWLEDGE_OPS = "knowledge_ops"
ANALYTICS = "analytics"
TEAM_LEAD = "team_lead"

#: Fields a what-if scenario moves by adding (percentage points): they are shares in [0, 1].
#: Every other numeric field is multiplied (a relative change: 1.15 means +15%).
ADDITIVE_FIELDS = frozenset(
    {
        "ai_resolution_rate",
        "demand_uplift",
        "shrinkage",
        "target_occupancy",
        "specialist_share",
        "ai_qa_sampling_rate",
    }
)


@dataclass(frozen=True)
class TeamAssumptions:
    """Every assumption of the role model. Only the first two have no default.

    Defaults and why:

    - ``monthly_contacts`` None: derived from the team as team_size x productive hours x
      target_occupancy / old_aht_minutes, i.e. the team is sized right for today's volume.
    - ``demand_multiplier`` 1.0: underlying growth over the planning horizon (1.2 = +20%).
    - ``demand_uplift`` +10%: easier self-service brings contacts people would not have made
      to a queue (a quick question at 11 pm). Reported uplifts after AI launches are 5-20%.
    - ``old_aht_minutes`` 10: a blended chat/email handle time. It cancels out of the
      frontline when contacts are derived, but it sets how many conversations the AI resolves,
      which drives QA and knowledge work.
    - ``residual_aht_multiplier`` 1.2: what reaches a person is harder than the old average —
      the easy contacts are gone, and a handed-over conversation starts with reading the AI's
      attempt and a customer who has already tried once. 1.2-1.3 is the usual range; 1.2 keeps
      the 25-agent and 5-agent reference points (see the module docstring).
    - ``paid_hours_per_month`` 160 and ``shrinkage`` 0.30: 160 paid hours less 30% for
      leave, sickness, training and meetings leaves 112 productive hours per FTE.
    - ``target_occupancy`` 0.80: the share of productive time spent handling contacts; higher
      burns people out and leaves no slack for peaks.
    - ``specialist_share`` 0.10 and ``specialist_aht_multiplier`` 1.5: the hardest tenth of
      the residual contacts (complaints, fraud, complex billing) goes to specialists, at
      1.5x the residual average — 15% of the residual work.
    - ``ai_qa_sampling_rate`` 0.10, ``ai_qa_review_minutes`` 5, ``ai_qa_base_hours`` 20:
      in the first year review a tenth of AI-resolved conversations (a random sample plus the
      low-confidence ones), 5 minutes each to read, check the cited sources and tag the
      failure; 20 hours a month for calibration and keeping the evaluation set current.
    - ``knowledge_base_hours`` 40 and ``knowledge_hours_per_1000_ai`` 6: keeping a knowledge
      base of a few hundred articles current (each reviewed about yearly) is about 40 hours;
      every 1,000 AI resolutions surface some 10-20 gaps or stale answers at 20-30 minutes
      each. Raise the base for a larger knowledge base.
    - ``analytics_fte_per_10_agents`` 0.25, minimum 0.25: reporting on containment, failure
      reasons and forecasts grows with the operation; a day a week is the floor.
    - ``team_lead_span`` None: no leads, as in the reference mixes; 12 adds one lead per
      12 people.
    - ``loaded_cost_per_fte_month`` 5,000 (salary, taxes, tools, space; any currency) and
      ``ai_cost_per_resolution`` 1.0 (per-resolution pricing is around 1 per resolution;
      if you pay per conversation, fold the unresolved ones into this number).
    """

    team_size: float  # frontline agents today (people)
    ai_resolution_rate: float  # share of contacts the AI resolves without a person
    monthly_contacts: float | None = None
    demand_multiplier: float = 1.0
    demand_uplift: float = 0.10
    old_aht_minutes: float = 10.0
    residual_aht_multiplier: float = 1.2
    paid_hours_per_month: float = 160.0
    shrinkage: float = 0.30
    target_occupancy: float = 0.80
    specialist_share: float = 0.10
    specialist_aht_multiplier: float = 1.5
    ai_qa_sampling_rate: float = 0.10
    ai_qa_review_minutes: float = 5.0
    ai_qa_base_hours: float = 20.0
    knowledge_base_hours: float = 40.0
    knowledge_hours_per_1000_ai: float = 6.0
    analytics_fte_per_10_agents: float = 0.25
    analytics_min_fte: float = 0.25
    team_lead_span: float | None = None
    loaded_cost_per_fte_month: float = 5000.0
    ai_cost_per_resolution: float = 1.0

    def __post_init__(self) -> None:
        for name in (
            "ai_resolution_rate",
            "shrinkage",
            "specialist_share",
            "ai_qa_sampling_rate",
        ):
            _check_share(name, getattr(self, name))
        if not 0 < self.target_occupancy <= 1:
            raise CapacityInputError(
                f"target_occupancy is {self.target_occupancy}: use a share in (0, 1], "
                "e.g. 0.8 for 80%"
            )
        if self.shrinkage >= 1:
            raise CapacityInputError(
                "shrinkage is 1: nobody would have productive hours; use a share below 1, e.g. 0.3"
            )
        for name in (
            "team_size",
            "demand_multiplier",
            "old_aht_minutes",
            "ai_qa_review_minutes",
            "ai_qa_base_hours",
            "knowledge_base_hours",
            "knowledge_hours_per_1000_ai",
            "analytics_fte_per_10_agents",
            "analytics_min_fte",
            "loaded_cost_per_fte_month",
            "ai_cost_per_resolution",
        ):
            _check_non_negative(name, getattr(self, name))
        for name in ("residual_aht_multiplier", "specialist_aht_multiplier"):
            value = getattr(self, name)
            _check_non_negative(name, value)
            if value == 0:
                raise CapacityInputError(f"{name} is 0: use a positive factor, e.g. 1.2")
        if self.paid_hours_per_month <= 0 or not math.isfinite(self.paid_hours_per_month):
            raise CapacityInputError(
                f"paid_hours_per_month is {self.paid_hours_per_month}: productive hours must "
                "be positive; use the paid hours of one FTE per month, e.g. 160"
            )
        if self.old_aht_minutes == 0:
            raise CapacityInputError("old_aht_minutes is 0: use today's average handle time")
        if not math.isfinite(self.demand_uplift) or self.demand_uplift <= -1:
            raise CapacityInputError(
                f"demand_uplift is {self.demand_uplift}: use a relative change above -1, "
                "e.g. 0.10 for +10%"
            )
        if self.monthly_contacts is not None:
            _check_non_negative("monthly_contacts", self.monthly_contacts)
        elif self.team_size == 0:
            raise CapacityInputError(
                "team_size is 0 and monthly_contacts is not given: give one of them so the "
                "model knows today's volume"
            )
        if self.specialist_share * self.specialist_aht_multiplier >= 1:
            raise CapacityInputError(
                f"specialist_share {self.specialist_share} x specialist_aht_multiplier "
                f"{self.specialist_aht_multiplier} is at least 1: specialists would take all "
                "the residual work; lower one of them"
            )
        if self.team_lead_span is not None and not (
            math.isfinite(self.team_lead_span) and self.team_lead_span >= 1
        ):
            raise CapacityInputError(
                f"team_lead_span is {self.team_lead_span}: use people per lead (at least 1), "
                "e.g. 12, or None for no leads"
            )

    @property
    def productive_hours(self) -> float:
        """Hours one FTE can work per month after shrinkage."""
        return self.paid_hours_per_month * (1 - self.shrinkage)

    @property
    def contacts_today(self) -> float:
        if self.monthly_contacts is not None:
            return self.monthly_contacts
        handling_minutes = self.team_size * self.productive_hours * self.target_occupancy * 60
        return handling_minutes / self.old_aht_minutes


@dataclass(frozen=True)
class RolePlan:
    role: str
    fte: float
    explanation: str  # the formula in words, with the numbers substituted


@dataclass(frozen=True)
class RoleMix:
    """The team after the AI launch, role by role, against the team before."""

    roles: tuple[RolePlan, ...]
    explanation: list[str]  # one line per role, then the totals
    before_fte: float  # today's frontline team (people)
    before_workload_fte: float  # what today's contacts need at the old handle time
    after_fte: float
    contacts_before: float
    contacts_after: float
    ai_resolved: float
    human_contacts: float
    cost_per_resolved_before: float
    cost_per_resolved_after: float

    @property
    def ratio(self) -> float:
        """After / before: 0.55 means the new team is 55% of today's."""
        return self.after_fte / self.before_fte if self.before_fte else math.inf

    @property
    def by_role(self) -> dict[str, float]:
        return {plan.role: plan.fte for plan in self.roles}

    def fte(self, role: str) -> float:
        return self.by_role.get(role, 0.0)


@dataclass(frozen=True)
class ScenarioResult:
    """One what-if scenario next to the baseline."""

    name: str
    changes: dict[str, float]
    assumptions: TeamAssumptions
    mix: RoleMix
    baseline: RoleMix

    @property
    def fte_by_role(self) -> dict[str, float]:
        return self.mix.by_role

    @property
    def delta_fte_by_role(self) -> dict[str, float]:
        base = self.baseline.by_role
        roles = list(base) + [role for role in self.mix.by_role if role not in base]
        return {role: self.mix.fte(role) - self.baseline.fte(role) for role in roles}

    @property
    def total_fte(self) -> float:
        return self.mix.after_fte

    @property
    def delta_total_fte(self) -> float:
        return self.mix.after_fte - self.baseline.after_fte

    @property
    def cost_per_resolved(self) -> float:
        return self.mix.cost_per_resolved_after

    @property
    def delta_cost_per_resolved(self) -> float:
        return self.mix.cost_per_resolved_after - self.baseline.cost_per_resolved_after


def plan_roles(assumptions: TeamAssumptions) -> RoleMix:
    """The role mix after the AI launch; pure."""
    a = assumptions
    hours = a.productive_hours
    contacts = a.contacts_today
    after = contacts * a.demand_multiplier * (1 + a.demand_uplift)
    ai_resolved = after * a.ai_resolution_rate
    human = after - ai_resolved
    residual_aht = a.old_aht_minutes * a.residual_aht_multiplier
    specialist_aht = residual_aht * a.specialist_aht_multiplier
    # The frontline keeps the easier part of the residual: its handle time is what keeps the
    # residual average at residual_aht once the specialists' share is taken out.
    frontline_factor = (1 - a.specialist_share * a.specialist_aht_multiplier) / (
        1 - a.specialist_share
    )
    frontline_aht = residual_aht * frontline_factor
    frontline_contacts = human * (1 - a.specialist_share)
    specialist_contacts = human * a.specialist_share
    handling_hours = hours * a.target_occupancy

    frontline = frontline_contacts * frontline_aht / 60 / handling_hours
    specialist = specialist_contacts * specialist_aht / 60 / handling_hours
    review_hours = ai_resolved * a.ai_qa_sampling_rate * a.ai_qa_review_minutes / 60
    ai_qa = (a.ai_qa_base_hours + review_hours) / hours
    gap_hours = a.knowledge_hours_per_1000_ai * ai_resolved / 1000
    knowledge = (a.knowledge_base_hours + gap_hours) / hours
    scaled_analytics = a.analytics_fte_per_10_agents * a.team_size / 10
    analytics = max(a.analytics_min_fte, scaled_analytics)

    denominator = f"({_num(hours)} h x {_pct(a.target_occupancy)} occupancy)"
    roles = [
        RolePlan(
            FRONTLINE,
            frontline,
            f"frontline: {_num(frontline_contacts)} contacts/month "
            f"({_pct(1 - a.specialist_share)} of the {_num(human)} left to people) x "
            f"{_num(frontline_aht)} min (old {_num(a.old_aht_minutes)} min x "
            f"{_num(a.residual_aht_multiplier)} residual x {_num(frontline_factor)} once "
            f"specialists take the hardest) / 60 / {denominator} = {_num(frontline)} FTE",
        ),
        RolePlan(
            SPECIALIST,
            specialist,
            f"specialist: {_num(specialist_contacts)} contacts/month "
            f"({_pct(a.specialist_share)} of {_num(human)}) x {_num(specialist_aht)} min "
            f"({_num(residual_aht)} min residual x {_num(a.specialist_aht_multiplier)}) "
            f"/ 60 / {denominator} = {_num(specialist)} FTE",
        ),
        RolePlan(
            AI_QA,
            ai_qa,
            f"ai_qa: ({_num(a.ai_qa_base_hours)} h base + {_num(ai_resolved)} AI-resolved x "
            f"{_pct(a.ai_qa_sampling_rate)} sampled x {_num(a.ai_qa_review_minutes)} min / 60 "
            f"= {_num(review_hours)} h) / {_num(hours)} h = {_num(ai_qa)} FTE",
        ),
        RolePlan(
            KNOWLEDGE_OPS,
            knowledge,
            f"knowledge_ops: ({_num(a.knowledge_base_hours)} h base + "
            f"{_num(a.knowledge_hours_per_1000_ai)} h x {_num(ai_resolved / 1000)} thousand "
            f"AI-resolved = {_num(gap_hours)} h) / {_num(hours)} h = {_num(knowledge)} FTE",
        ),
        RolePlan(
            ANALYTICS,
            analytics,
            f"analytics: max({_num(a.analytics_min_fte)} minimum, "
            f"{_num(a.analytics_fte_per_10_agents)} per 10 agents x {_num(a.team_size)} "
            f"agents today / 10 = {_num(scaled_analytics)}) = {_num(analytics)} FTE",
        ),
    ]
    if a.team_lead_span is not None:
        led = sum(plan.fte for plan in roles)
        leads = led / a.team_lead_span
        roles.append(
            RolePlan(
                TEAM_LEAD,
                leads,
                f"team_lead: {_num(led)} FTE / span {_num(a.team_lead_span)} = {_num(leads)} FTE",
            )
        )
    after_fte = sum(plan.fte for plan in roles)
    before_workload = contacts * a.old_aht_minutes / 60 / handling_hours
    cost_before = a.team_size * a.loaded_cost_per_fte_month / contacts if contacts else math.nan
    cost_after = (
        (after_fte * a.loaded_cost_per_fte_month + ai_resolved * a.ai_cost_per_resolution) / after
        if after
        else math.nan
    )
    ratio = after_fte / a.team_size if a.team_size else math.inf
    explanation = [plan.explanation for plan in roles]
    explanation.append(
        f"contacts: {_num(contacts)}/month today x {_num(a.demand_multiplier)} demand x "
        f"(1 + {_pct(a.demand_uplift)} uplift) = {_num(after)}; the AI resolves "
        f"{_pct(a.ai_resolution_rate)} = {_num(ai_resolved)}, people get {_num(human)}"
    )
    explanation.append(
        f"total: {_num(after_fte)} FTE after vs {_num(a.team_size)} before "
        f"({_pct(ratio)} of today's team)"
    )
    explanation.append(
        f"cost per resolved contact: {_money(cost_before)} before vs {_money(cost_after)} after "
        f"({_num(after_fte)} FTE x {_money(a.loaded_cost_per_fte_month)} + "
        f"{_num(ai_resolved)} x {_money(a.ai_cost_per_resolution)} AI) / {_num(after)}"
    )
    return RoleMix(
        roles=tuple(roles),
        explanation=explanation,
        before_fte=a.team_size,
        before_workload_fte=before_workload,
        after_fte=after_fte,
        contacts_before=contacts,
        contacts_after=after,
        ai_resolved=ai_resolved,
        human_contacts=human,
        cost_per_resolved_before=cost_before,
        cost_per_resolved_after=cost_after,
    )


def apply_changes(assumptions: TeamAssumptions, changes: Mapping[str, float]) -> TeamAssumptions:
    """The assumptions moved by one scenario: shares in :data:`ADDITIVE_FIELDS` add
    (``{"ai_resolution_rate": 0.10}`` is +10 points), every other field multiplies
    (``{"demand_multiplier": 1.2}`` is +20%, ``{"residual_aht_multiplier": 1.15}`` is +15%)."""
    numeric = {
        field.name
        for field in dataclasses.fields(TeamAssumptions)
        if isinstance(getattr(assumptions, field.name), int | float)
    }
    updates: dict[str, float] = {}
    for name, change in changes.items():
        if name not in numeric:
            known = ", ".join(sorted(numeric))
            raise CapacityInputError(
                f"scenario changes {name!r}, which is not a numeric assumption (an unset "
                f"optional one cannot be scaled); use one of: {known}"
            )
        if not math.isfinite(change):
            raise CapacityInputError(f"scenario change for {name} is {change}: use a number")
        current = float(getattr(assumptions, name))
        updates[name] = current + change if name in ADDITIVE_FIELDS else current * change
    return dataclasses.replace(assumptions, **updates)


def what_if(
    assumptions: TeamAssumptions, scenarios: Mapping[str, Mapping[str, float]]
) -> list[ScenarioResult]:
    """The baseline first, then each scenario, each with its role mix and cost per resolved
    contact. See :func:`apply_changes` for how a change is applied."""
    baseline = plan_roles(assumptions)
    results = [ScenarioResult("baseline", {}, assumptions, baseline, baseline)]
    for name, changes in scenarios.items():
        try:
            moved = apply_changes(assumptions, changes)
        except CapacityInputError as error:
            raise CapacityInputError(f"scenario {name!r}: {error}") from error
        results.append(ScenarioResult(name, dict(changes), moved, plan_roles(moved), baseline))
    return results


def format_scenarios(results: list[ScenarioResult]) -> str:
    """A plain-text table: one row per role, one column per scenario."""
    roles: list[str] = []
    for result in results:
        roles.extend(role for role in result.fte_by_role if role not in roles)
    names = [result.name for result in results]
    width = max([14, *(len(name) for name in names)])
    lines = [f"{'':16}" + "".join(f"{name:>{width + 2}}" for name in names)]
    for role in roles:
        cells = "".join(f"{result.mix.fte(role):>{width + 2}.2f}" for result in results)
        lines.append(f"{role:16}{cells}")
    lines.append(
        f"{'total FTE':16}" + "".join(f"{result.total_fte:>{width + 2}.2f}" for result in results)
    )
    lines.append(
        f"{'cost/resolved':16}"
        + "".join(f"{result.cost_per_resolved:>{width + 2}.2f}" for result in results)
    )
    return "\n".join(lines)


def _check_share(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise CapacityInputError(f"{name} is {value}: use a share between 0 and 1, e.g. 0.6")


def _check_non_negative(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise CapacityInputError(f"{name} is {value}: use a number of zero or more")


def _num(value: float) -> str:
    """Numbers for the explanation lines: thousands separated, two decimals below 100."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%" if math.isfinite(value) else "n/a"


def _money(value: float) -> str:
    return f"{value:,.2f}" if math.isfinite(value) else "n/a"
