"""Errors the command line turns into a message and an exit code."""

from __future__ import annotations

import difflib


class UserError(ValueError):
    """Bad input (a file, an option, a name): the message says what to fix. Exit code 2."""


class NotBuilt(RuntimeError):
    """The dbt models are not there yet: the message says which command builds them."""


def did_you_mean(name: str, known: list[str]) -> str:
    """` (did you mean GP?)` for a near miss, ignoring case; empty when nothing is close.

    Of two known names that differ only in case (the old job's RSI_14 and TA-Lib's rsi_14),
    the one whose case is closer to ``name``'s is offered.
    """
    by_upper: dict[str, str] = {}
    for k in known:
        if k.upper() not in by_upper or difflib.SequenceMatcher(None, name, k).ratio() > (
            difflib.SequenceMatcher(None, name, by_upper[k.upper()]).ratio()
        ):
            by_upper[k.upper()] = k
    close = difflib.get_close_matches(name.upper(), list(by_upper), n=2)
    return f" (did you mean {' or '.join(by_upper[c] for c in close)}?)" if close else ""
