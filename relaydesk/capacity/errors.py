"""The one error the capacity models raise for bad input: it says what to fix."""

from __future__ import annotations


class CapacityInputError(ValueError):
    """An input the models cannot use (a negative rate, a missing column, an impossible
    target). The message names the input and what a valid one looks like."""
