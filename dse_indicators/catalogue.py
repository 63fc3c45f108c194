"""The catalogue of indicator keys, read from its one home: seeds/indicator_catalogue.csv.

dbt loads the same file as a seed (`dbt docs generate` shows it); the helper, the numpy
reference and the tests read the key list here instead of keeping copies of it, and a fast
test holds the indicator plan's keys and warm-ups to it (tests/python/test_catalogue.py).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from dse_indicators import paths

COLUMNS = ("key", "set", "family", "talib_call", "inputs", "first_row", "meaning")


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message names the row and what is wrong."""


@dataclass(frozen=True)
class Key:
    key: str
    set: str  # which contract table defines it (section 3): `talib`, or `backfill` (the old job)
    family: str
    talib_call: str  # empty for the old job's keys
    inputs: tuple[str, ...]
    # 1-based row of a scrip's accepted series from which the key has a value (a `backfill`
    # key is in every document, JSON null before it)
    first_row: int
    meaning: str


def path() -> Path:
    return paths.checkout() / "seeds" / "indicator_catalogue.csv"


def read(file: Path) -> tuple[Key, ...]:
    """Every row of a catalogue file, checked: CatalogueError on a malformed one."""
    with open(file, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise CatalogueError(f"{file}: the columns must be {', '.join(COLUMNS)}")
        keys: list[Key] = []
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            key = (row["key"] or "").strip()
            if not key:
                raise CatalogueError(f"{file}, line {line}: the key is empty")
            if key in seen:
                raise CatalogueError(f"{file}, line {line}: the key {key} appears twice")
            seen.add(key)
            first_row = (row["first_row"] or "").strip()
            if not first_row.isdigit() or int(first_row) < 1:
                raise CatalogueError(
                    f"{file}, line {line}: first_row of {key} must be a positive integer, "
                    f"not {first_row!r}"
                )
            keys.append(
                Key(
                    key=key,
                    set=row["set"],
                    family=row["family"],
                    talib_call=row["talib_call"],
                    inputs=tuple(row["inputs"].split()),
                    first_row=int(first_row),
                    meaning=row["meaning"],
                )
            )
    return tuple(keys)


@functools.cache
def load() -> tuple[Key, ...]:
    """The project's catalogue, in its order (the order of the `features` column too)."""
    return read(path())


def keys(key_set: str | None = None) -> tuple[str, ...]:
    """The keys in catalogue order; only those of one set (e.g. `talib`) if named."""
    return tuple(k.key for k in load() if key_set is None or k.set == key_set)
