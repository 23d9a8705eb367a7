"""Charts for the capacity commands, as PNG or SVG (by the file's suffix).

matplotlib runs headless (Agg) and is imported only when a chart is asked for, so the rest of
Relaydesk never pays for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from relaydesk.capacity.errors import CapacityInputError

FORMATS = (".png", ".svg")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _check_path(path: Path) -> None:
    if path.suffix.lower() not in FORMATS:
        raise CapacityInputError(f"chart {path}: use a .png or .svg file name")
    if not path.parent.exists():
        raise CapacityInputError(f"chart {path}: the folder {path.parent} does not exist")


def _save(plt: Any, figure: Any, path: Path) -> Path:
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


def arrivals_chart(
    path: Path,
    forecast_times: Sequence[datetime],
    forecast: Sequence[float],
    history_times: Sequence[datetime] = (),
    history: Sequence[float] = (),
    title: str = "Arrivals per interval",
) -> Path:
    _check_path(path)
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(11, 4))
    if history:
        axes.plot(history_times, history, color="#888888", linewidth=0.8, label="history")
    axes.plot(forecast_times, forecast, color="#1f77b4", linewidth=1.2, label="forecast")
    axes.set_title(title)
    axes.set_ylabel("contacts")
    axes.legend(loc="upper left")
    return _save(plt, figure, path)


def staffing_chart(
    path: Path,
    times: Sequence[datetime],
    required: Sequence[float],
    scheduled: Sequence[float],
    title: str = "Agents: required on the queue vs scheduled",
) -> Path:
    _check_path(path)
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(11, 4))
    axes.step(times, required, where="post", label="required on the queue", color="#d62728")
    axes.step(times, scheduled, where="post", label="scheduled (with shrinkage)", color="#2ca02c")
    axes.set_title(title)
    axes.set_ylabel("agents")
    axes.legend(loc="upper left")
    return _save(plt, figure, path)


def waits_chart(
    path: Path,
    times: Sequence[datetime],
    mean_wait: Sequence[float],
    half_width: Sequence[float],
    target_seconds: float,
    title: str = "Simulated mean wait per interval (95% CI)",
) -> Path:
    """Mean wait per interval with its confidence band, the target marked."""
    _check_path(path)
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(11, 4))
    means = [0.0 if m != m else m for m in mean_wait]  # NaN: nobody arrived
    low = [max(0.0, m - h) if h == h else m for m, h in zip(means, half_width, strict=True)]
    high = [m + h if h == h else m for m, h in zip(means, half_width, strict=True)]
    axes.fill_between(times, low, high, step="post", color="#1f77b4", alpha=0.25)
    axes.step(times, means, where="post", color="#1f77b4", label="mean wait")
    axes.axhline(target_seconds, color="#d62728", linestyle="--", label=f"{target_seconds:g} s")
    axes.set_title(title)
    axes.set_ylabel("seconds")
    axes.legend(loc="upper left")
    return _save(plt, figure, path)
