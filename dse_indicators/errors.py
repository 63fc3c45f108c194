"""Errors the command line turns into a message and an exit code."""

from __future__ import annotations

import difflib


class UserError(ValueError):
    """Bad input (a file, an option, a name): the message says what to fix. Exit code 2."""


class NotBuilt(RuntimeError):
    """The dbt models are not there yet: the message says which command builds them."""


def did_you_mean(name: str, known: list[str]) -> str:
    """` (did you mean GP?)` for a near miss, ignoring case; empty when nothing is close."""
    by_upper = {k.upper(): k for k in known}
    close = difflib.get_close_matches(name.upper(), list(by_upper), n=2)
    return f" (did you mean {' or '.join(by_upper[c] for c in close)}?)" if close else ""
