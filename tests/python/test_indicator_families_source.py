"""The family macros address their state by slot name only (no database)."""

from __future__ import annotations

import re
from pathlib import Path

FAMILIES = Path(__file__).resolve().parents[2] / "macros" / "indicators"


def test_no_family_writes_a_state_position():
    """A written position would not move with the fragment; the plan places named slots."""
    found = [
        f"{path.name}: {line.strip()}"
        for path in sorted(FAMILIES.glob("*.sql"))
        for line in path.read_text().splitlines()
        if re.search(r"\bstate\[[0-9]|\b(st|seed)__\w+\[|'\[([0-9]|' ~)", line)
    ]
    assert found == []
