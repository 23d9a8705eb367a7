"""The one error the capacity models raise for bad input: it says what to fix."""

from __future__ import annotations

import math
import numbers


class CapacityInputError(ValueError):
    """An input the models cannot use (a negative rate, a missing column, an impossible
    target). The message names the input and what a valid one looks like."""


def require_number(name: str, value: object) -> float:
    """``value`` as a float, refusing booleans, non-numbers and NaN by name."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CapacityInputError(f"{name} must be a number, got {value!r}")
    result = float(value)
    if math.isnan(result):
        raise CapacityInputError(f"{name} must be a number, got NaN")
    return result
