"""A one-line progress report on stderr for long work, redrawn in place on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Call `show()` as often as you like: the line is redrawn at most ten times a second.

    Drawn only when the stream is a terminal, so that cron logs and pipes stay clean.
    """

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._width = 0

    def rate(self, count: int) -> float:
        """`count` per second since the start."""
        return count / max(time.monotonic() - self.started, 1e-9)

    def show(self, text: str, force: bool = False) -> None:
        """Redraw the line; `force` for a change of step that must not be skipped."""
        now = time.monotonic()
        if not self.enabled or (now - self._drawn_at < 0.1 and not force):
            return
        self._drawn_at = now
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def close(self) -> None:
        """Erase the line, so that the summary printed next stands alone."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
        self._width = 0


def bar(share: float, width: int = 24) -> str:
    """`[#########...............]` for a share between 0 and 1."""
    filled = round(max(0.0, min(1.0, share)) * width)
    return "[" + "#" * filled + "." * (width - filled) + "]"
