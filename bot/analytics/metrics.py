"""Support metrics from conversations and tickets: pure functions, no I/O (definitions in the README,
"Support analytics").

Conversations count on the WIB day their first customer message was sent and on the channel of that
message; tickets on the WIB day they were created and on their channel. Rates are fractions (0..1) and
``None`` when there is nothing to divide by. Durations are operating time (``bot.tickets.sla``) in minutes.
"""
from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from bot.analytics.conversations import FALLBACK_KINDS, Conversation
from bot.handoff.model import LEFT, Handoff
from bot.tickets.model import CATEGORIES, PRIORITIES, WIB
from bot.tickets.sla import RESPONSE_TARGETS, OperatingHours

SELF_SERVICE_WINDOW = timedelta(hours=24)
CSAT_SCALE = (1, 2, 3, 4, 5)
PERCENTILES = (50, 90)


@dataclass(frozen=True)
class Period:
    """``[since, until)``, both aware."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            if getattr(self, name).utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.until <= self.since:
            raise ValueError("the period must end after it starts")

    def contains(self, at: datetime) -> bool:
        return self.since <= at < self.until

    def days(self) -> List[date]:
        """Every WIB calendar day the period touches, in order."""
        first, last = wib_day(self.since), wib_day(self.until - timedelta(microseconds=1))
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


@dataclass(frozen=True)
class TicketRecord:
    """What the metrics need of a ticket and its live handoff (None for tickets without one)."""

    id: str
    customer_id: str
    channel: str
    category: str
    priority: str
    created_at: datetime
    sla_due_at: datetime
    handoff: Optional[Handoff] = None


@dataclass(frozen=True)
class AgentSideWarning:
    """A secrets warning the handoff gate sent while an agent held the conversation (no tracker event)."""

    at: datetime
    channel: str


def to_datetime(seconds: float) -> datetime:
    """Seconds since the epoch as an aware WIB datetime."""
    return datetime.fromtimestamp(seconds, tz=WIB)


def wib_day(at: datetime) -> date:
    """The calendar day of ``at`` in WIB."""
    return at.astimezone(WIB).date()


def rate(part: int, whole: int) -> Optional[float]:
    """``part / whole`` rounded to 4 decimals; None when ``whole`` is 0."""
    return round(part / whole, 4) if whole else None


def percentiles(values: Sequence[float], points: Sequence[int] = PERCENTILES) -> Dict[str, Optional[float]]:
    """``{"p50": ..., "p90": ...}`` (linear interpolation, rounded to 0.1); None for no values."""
    if not values:
        return {f"p{point}": None for point in points}
    found = np.percentile(np.asarray(values, dtype=float), list(points))
    return {f"p{point}": round(float(value), 1) for point, value in zip(points, found, strict=True)}


def minutes(span: timedelta) -> float:
    return span.total_seconds() / 60.0


# ---------------------------------------------------------------- conversations

def ticket_times_by_customer(tickets: Iterable[TicketRecord]) -> Dict[str, List[float]]:
    """Creation times (epoch seconds, sorted) of every ticket, per customer id."""
    times: Dict[str, List[float]] = defaultdict(list)
    for ticket in tickets:
        times[ticket.customer_id].append(ticket.created_at.timestamp())
    for values in times.values():
        values.sort()
    return dict(times)


def ticket_within_window(conversation: Conversation, ticket_times: Mapping[str, List[float]],
                         window: timedelta = SELF_SERVICE_WINDOW) -> bool:
    """Whether the conversation created a ticket, or the customer got one from the conversation's start
    until ``window`` after its last knowledge answer."""
    if conversation.tickets:
        return True
    times = ticket_times.get(conversation.sender_id) or []
    last_answer = conversation.answers[-1].at if conversation.answers else conversation.started_at
    index = bisect.bisect_left(times, conversation.started_at)
    return index < len(times) and times[index] < last_answer + window.total_seconds()


def is_self_served(conversation: Conversation, ticket_times: Mapping[str, List[float]]) -> bool:
    """A knowledge answer and no ticket within 24 h (see :func:`ticket_within_window`)."""
    return conversation.answered and not ticket_within_window(conversation, ticket_times)


def count_and_rate(part: int, whole: int) -> Dict[str, Any]:
    return {"count": part, "rate": rate(part, whole)}


def conversation_metrics(conversations: Sequence[Conversation],
                         ticket_times: Mapping[str, List[float]]) -> Dict[str, Any]:
    """Volume, self-service, handoff, clarification, fallback, mood and secrets figures of a group (one pass)."""
    answered = served = confirmed = handoff = clarification = fallback = 0
    upset = panic = upset_or_panic = warnings = warned = helpful = not_helpful = 0
    fallback_kinds: Counter = Counter()
    secret_kinds: Counter = Counter()
    for c in conversations:
        if c.answers:
            answered += 1
            if not ticket_within_window(c, ticket_times):
                served += 1
                confirmed += c.confirmed_helpful
        handoff += bool(c.tickets)
        clarification += bool(c.clarifications)
        if c.fallbacks:
            fallback += 1
            for item in c.fallbacks:
                fallback_kinds[item.kind] += 1
        if c.moods:
            is_upset, is_panicking = c.upset, c.panicking
            upset += is_upset
            panic += is_panicking
            upset_or_panic += is_upset or is_panicking
        if c.secret_warnings:
            warnings += c.secret_warnings
            warned += 1
        for kind in c.secret_kinds:
            secret_kinds[kind] += 1
        for feedback in c.feedback:
            if feedback.helpful:
                helpful += 1
            else:
                not_helpful += 1
    total = len(conversations)
    return {
        "conversations": total,
        "knowledge_answered": count_and_rate(answered, total),
        "self_service": count_and_rate(served, total),
        "self_service_confirmed": count_and_rate(confirmed, total),
        "handoff": count_and_rate(handoff, total),
        "clarification": count_and_rate(clarification, total),
        "fallback": {**count_and_rate(fallback, total),
                     "messages": {kind: fallback_kinds.get(kind, 0) for kind in FALLBACK_KINDS}},
        "upset_or_panic": {**count_and_rate(upset_or_panic, total), "upset": upset, "panic": panic},
        "secrets": {"warnings": warnings, "conversations": warned, "kinds": dict(sorted(secret_kinds.items()))},
        "feedback": {"helpful": helpful, "not_helpful": not_helpful},
    }


def article_metrics(conversations: Sequence[Conversation], titles: Mapping[str, str]) -> List[Dict[str, Any]]:
    """Per article: answers, "Ya, membantu", "Belum membantu" and its rate (per answer); most answered first."""
    answers: Counter = Counter()
    helpful: Counter = Counter()
    not_helpful: Counter = Counter()
    for c in conversations:
        for answer in c.answers:
            answers[answer.article_id] += 1
        for feedback in c.feedback:
            (helpful if feedback.helpful else not_helpful)[feedback.article_id] += 1
    rows = [{"article_id": article_id, "title": titles.get(article_id, article_id), "answers": count,
             "helpful": helpful.get(article_id, 0), "not_helpful": not_helpful.get(article_id, 0),
             "not_helpful_rate": rate(not_helpful.get(article_id, 0), count)}
            for article_id, count in answers.items()]
    return sorted(rows, key=lambda row: (-row["answers"], row["article_id"]))


# ---------------------------------------------------------------- tickets and the live handoff

def response_status(ticket: TicketRecord, as_of: datetime) -> str:
    """``within`` (first reply by the SLA deadline), ``breached`` (later, or still none when the deadline has
    passed), ``waiting`` (none yet, deadline ahead) or ``left`` (the customer went back to the bot before any
    reply: no response was owed). Tickets without a handoff count as never answered."""
    handoff = ticket.handoff
    reply = handoff.first_reply_at if handoff else None
    if reply is not None:
        return "within" if reply <= ticket.sla_due_at else "breached"
    if handoff is not None and handoff.state == LEFT:
        return "left"
    return "breached" if ticket.sla_due_at <= as_of else "waiting"


Spans = Tuple[Optional[float], Optional[float]]  # (first response, resolution) in operating minutes
Durations = Mapping[str, Spans]


def ticket_durations(tickets: Iterable[TicketRecord], hours: OperatingHours) -> Dict[str, Spans]:
    """Per ticket id: (first response, resolution) in operating minutes, None while not reached."""
    found: Dict[str, Spans] = {}
    for ticket in tickets:
        handoff = ticket.handoff
        first = handoff.first_response_time(hours) if handoff else None
        resolved = handoff.resolution_time(hours) if handoff else None
        found[ticket.id] = (minutes(first) if first is not None else None,
                            minutes(resolved) if resolved is not None else None)
    return found


def first_response_metrics(tickets: Sequence[TicketRecord], as_of: datetime, durations: Durations) -> Dict[str, Any]:
    """FRT p50/p90 in operating minutes and the SLA outcome, overall and per priority."""
    def block(group: Sequence[TicketRecord]) -> Dict[str, Any]:
        spans = [span for span in (durations[t.id][0] for t in group) if span is not None]
        statuses = Counter(response_status(t, as_of) for t in group)
        decided = statuses["within"] + statuses["breached"]
        return {"answered": len(spans), **{f"{k}_minutes": v for k, v in percentiles(spans).items()},
                "within_sla": statuses["within"], "breached": statuses["breached"], "waiting": statuses["waiting"],
                "left": statuses["left"], "within_sla_rate": rate(statuses["within"], decided)}

    by_priority = {priority: {**block([t for t in tickets if t.priority == priority]),
                              "target_minutes": minutes(RESPONSE_TARGETS[priority])} for priority in PRIORITIES}
    return {**block(tickets), "by_priority": by_priority}


def resolution_metrics(tickets: Sequence[TicketRecord], durations: Durations) -> Dict[str, Any]:
    """Resolution time p50/p90 (ticket created → resolved by the agent) in operating minutes."""
    spans = [span for span in (durations[t.id][1] for t in tickets) if span is not None]
    return {"resolved": len(spans), **{f"{k}_minutes": v for k, v in percentiles(spans).items()}}


def csat_metrics(tickets: Sequence[TicketRecord]) -> Dict[str, Any]:
    """Average rating, distribution 1–5, surveys sent and the share answered."""
    handoffs = [t.handoff for t in tickets if t.handoff is not None]
    sent = [h for h in handoffs if h.survey_sent_at is not None]
    ratings = [h.rating for h in sent if h.rating in CSAT_SCALE]
    counts = Counter(ratings)
    return {"surveys_sent": len(sent), "responses": len(ratings), "response_rate": rate(len(ratings), len(sent)),
            "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "distribution": {str(score): counts.get(score, 0) for score in CSAT_SCALE}}


def ticket_metrics(tickets: Sequence[TicketRecord], as_of: datetime, hours: OperatingHours,
                   durations: Optional[Durations] = None) -> Dict[str, Any]:
    """Tickets by category and priority, first response and resolution times, CSAT (``durations`` from
    :func:`ticket_durations`, computed here when not given)."""
    durations = durations if durations is not None else ticket_durations(tickets, hours)
    categories, priorities = Counter(t.category for t in tickets), Counter(t.priority for t in tickets)
    return {
        "tickets": len(tickets),
        "by_category": {name: categories.get(name, 0) for name in CATEGORIES},
        "by_priority": {name: priorities.get(name, 0) for name in PRIORITIES},
        "first_response": first_response_metrics(tickets, as_of, durations),
        "resolution": resolution_metrics(tickets, durations),
        "csat": csat_metrics(tickets),
    }


# ---------------------------------------------------------------- one group, then per day and per channel

def group_metrics(conversations: Sequence[Conversation], tickets: Sequence[TicketRecord],
                  agent_side_warnings: Sequence[AgentSideWarning], ticket_times: Mapping[str, List[float]],
                  as_of: datetime, hours: OperatingHours, durations: Optional[Durations] = None) -> Dict[str, Any]:
    """Every metric of one group (the whole period, a day or a channel)."""
    figures = conversation_metrics(conversations, ticket_times)
    figures["secrets"]["warnings"] += len(agent_side_warnings)
    figures["secrets"]["during_handoff"] = len(agent_side_warnings)
    figures.update(ticket_metrics(tickets, as_of, hours, durations))
    return figures


def summarise(conversations: Sequence[Conversation], tickets: Sequence[TicketRecord],
              agent_side_warnings: Sequence[AgentSideWarning], period: Period,
              ticket_times: Mapping[str, List[float]], as_of: datetime, hours: OperatingHours,
              titles: Mapping[str, str]) -> Dict[str, Any]:
    """Totals, per day, per channel, volume per day and channel, and per article.

    ``conversations``, ``tickets`` and ``agent_side_warnings`` are those of the period (and channel);
    ``ticket_times`` holds every ticket that may fall in a conversation's 24-hour window.
    """
    first_days = {id(c): wib_day(to_datetime(c.started_at)) for c in conversations}

    def day_of_conversation(c: Conversation) -> date:
        return first_days[id(c)]

    durations = ticket_durations(tickets, hours)

    def figures(convs: Sequence[Conversation], group_tickets: Sequence[TicketRecord],
                warnings: Sequence[AgentSideWarning]) -> Dict[str, Any]:
        return group_metrics(convs, group_tickets, warnings, ticket_times, as_of, hours, durations)

    days = period.days()
    channels = sorted({c.channel for c in conversations} | {t.channel for t in tickets}
                      | {w.channel for w in agent_side_warnings})
    conv_by_day = _group(conversations, day_of_conversation)
    conv_by_channel = _group(conversations, lambda c: c.channel)
    tickets_by_day = _group(tickets, lambda t: wib_day(t.created_at))
    tickets_by_channel = _group(tickets, lambda t: t.channel)
    warnings_by_day = _group(agent_side_warnings, lambda w: wib_day(w.at))
    warnings_by_channel = _group(agent_side_warnings, lambda w: w.channel)
    volume = Counter((day_of_conversation(c), c.channel) for c in conversations)
    return {
        "totals": figures(conversations, tickets, agent_side_warnings),
        "by_day": [{"day": day.isoformat(), **figures(conv_by_day.get(day, []), tickets_by_day.get(day, []),
                                                      warnings_by_day.get(day, []))} for day in days],
        "by_channel": [{"channel": channel, **figures(conv_by_channel.get(channel, []),
                                                      tickets_by_channel.get(channel, []),
                                                      warnings_by_channel.get(channel, []))}
                       for channel in channels],
        "volume": [{"day": day.isoformat(), "channel": channel, "conversations": volume.get((day, channel), 0)}
                   for day in days for channel in channels],
        "articles": article_metrics(conversations, titles),
    }


def _group(items: Iterable[Any], key: Any) -> Dict[Any, List[Any]]:
    grouped: Dict[Any, List[Any]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped
