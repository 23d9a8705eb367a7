"""The features a decision needs, each with a score and the evidence for it."""

from relaydesk.signals.detect import detect_signals
from relaydesk.signals.types import CategorySignal, Signal, Signals

__all__ = ["CategorySignal", "Signal", "Signals", "detect_signals"]
