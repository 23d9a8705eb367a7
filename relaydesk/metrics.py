"""Prometheus metrics, one registry per app so that several apps can live in one process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "relaydesk_http_requests_total",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "relaydesk_http_request_seconds",
            "HTTP request latency.",
            ["method", "route"],
            registry=self.registry,
        )
        self.messages = Counter(
            "relaydesk_messages_total",
            "Inbound messages by channel and decided route.",
            ["channel", "route"],
            registry=self.registry,
        )
        # Bounded labels: rule ids come from the policy file, arms are three words.
        self.decisions = Counter(
            "relaydesk_decisions_total",
            "Decisions by the rule that decided, the route, the policy version and pilot arm.",
            ["rule", "route", "policy_version", "arm"],
            registry=self.registry,
        )
        # Every action asked for, wherever (the message path, a delegated agent, an approval):
        # bounded labels, as actions come from the registry and statuses are five words.
        self.actions = Counter(
            "relaydesk_actions_total",
            "Actions asked for, by action, what happened, and the kind of actor asking.",
            ["action", "status", "actor_kind"],
            registry=self.registry,
        )
        self.replays = Counter(
            "relaydesk_idempotent_replays_total",
            "Requests answered with the stored result of an earlier delivery.",
            registry=self.registry,
        )
