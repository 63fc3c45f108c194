"""The corporate actions table (contract section 5): its layout, and loading a CSV into it.

A file holds the contract's columns `scrip, ex_date, kind, ratio, price`. Every row is checked
before anything is written, the scrips against the source price table; any bad row stops the
load, and the message names each one by its line in the file. The rows then go in one
transaction: a row whose key (scrip, ex_date, kind) is in the table replaces that row, so
loading a file twice changes nothing and a corrected file replaces the old values.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import psycopg
from psycopg import sql

from dse_indicators import source_table
from dse_indicators.errors import UserError, did_you_mean
from dse_indicators.project import ActionsTable, Source

KINDS = ("bonus", "split", "rights")
COLUMNS = ("scrip", "ex_date", "kind", "ratio", "price")
REQUIRED = COLUMNS[:4]  # a file without a price column holds no rights issue
TYPES = ("text", "date", "text", "numeric", "numeric")
KEY = COLUMNS[:3]
MOST_PROBLEMS_SHOWN = 20


class BadActionsFile(UserError):
    """A file that cannot be loaded as it is; nothing was written."""


@dataclasses.dataclass(frozen=True)
class Action:
    """One row of the table, with the line of the file it came from."""

    scrip: str
    ex_date: datetime.date
    kind: str
    ratio: Decimal
    price: Decimal | None
    line: int = 0

    @property
    def key(self) -> tuple[str, datetime.date, str]:
        return self.scrip, self.ex_date, self.kind

    def values(self) -> tuple:
        return self.scrip, self.ex_date, self.kind, self.ratio, self.price


@dataclasses.dataclass(frozen=True)
class Parsed:
    """A file's good rows, and what is wrong with the others, by line."""

    path: Path
    actions: list[Action]
    problems: list[tuple[int, str]]


@dataclasses.dataclass(frozen=True)
class LoadReport:
    rows: int
    inserted: int
    replaced: int

    @property
    def unchanged(self) -> int:
        return self.rows - self.inserted - self.replaced


def table_name(table: ActionsTable) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(table.schema), sql.Identifier(table.table))


def create(conn: psycopg.Connection, table: ActionsTable) -> None:
    """Create the table in the contract's layout if it is missing."""
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(table.schema)))
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
        for name, kind in zip(COLUMNS, TYPES, strict=True)
    )
    conn.execute(
        sql.SQL("create table if not exists {} ({}, primary key ({}))").format(
            table_name(table), columns, sql.SQL(", ").join(map(sql.Identifier, KEY))
        )
    )


def exists(conn: psycopg.Connection, table: ActionsTable) -> bool:
    found = conn.execute("select to_regclass(%s)", [table_name(table).as_string(conn)])
    return found.fetchone()[0] is not None


# --------------------------------------------------------------------------- reading a file


def read_file(path: Path) -> Parsed:
    """The file's rows, checked one by one; BadActionsFile when it cannot be read at all."""
    if not path.is_file():
        raise BadActionsFile(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise BadActionsFile(
                f"{path}: empty file; its first line names the columns {', '.join(COLUMNS)}"
            )
        names = [name.strip().lower() for name in header]
        missing = [name for name in REQUIRED if name not in names]
        unknown = [name for name in names if name not in COLUMNS]
        if missing or unknown or len(set(names)) != len(names):
            raise BadActionsFile(
                f"{path}: line 1 names the columns {', '.join(header)}; the file needs "
                f"{', '.join(COLUMNS)} (price may be left out when no row is a rights issue)"
            )
        problems: list[tuple[int, str]] = []
        actions: list[Action] = []
        first_line: dict[tuple, int] = {}
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            line = reader.line_num
            if len(cells) != len(names):
                problems.append((line, f"{len(cells)} cells, the header names {len(names)}"))
                continue
            row = dict(zip(names, (cell.strip() for cell in cells), strict=True))
            action, problem = parse_row(row, line)
            if problem:
                problems.append((line, problem))
                continue
            if action.key in first_line:
                problems.append(
                    (
                        line,
                        f"{action.scrip} {action.ex_date} {action.kind} is already on line "
                        f"{first_line[action.key]} (one row per scrip, ex_date and kind)",
                    )
                )
                continue
            first_line[action.key] = line
            actions.append(action)
    return Parsed(path, actions, problems)


def parse_row(row: dict[str, str], line: int) -> tuple[Action | None, str | None]:
    """One row's action, or what is wrong with it."""
    scrip = row["scrip"]
    if not scrip:
        return None, "no scrip"
    try:
        ex_date = datetime.date.fromisoformat(row["ex_date"])
    except ValueError:
        return None, f"ex_date {row['ex_date']!r} is not a date written YYYY-MM-DD"
    kind = row["kind"].lower()
    if kind not in KINDS:
        return None, f"kind {row['kind']!r} is none of {', '.join(KINDS)}"
    ratio = _number(row["ratio"])
    if ratio is None or ratio <= 0:
        return None, f"ratio {row['ratio']!r} is not a number above 0 ({RATIO_MEANS[kind]})"
    price_text = row.get("price", "")
    price = _number(price_text)
    if kind == "rights":
        if price is None or price <= 0:
            return None, (
                f"a rights issue needs its subscription price above 0 in the column price "
                f"(found {price_text!r})"
            )
    elif price_text:
        return None, f"price {price_text!r} is given for a {kind}; only rights issues have one"
    return Action(scrip, ex_date, kind, ratio, price, line), None


RATIO_MEANS = {
    "bonus": "percent of held shares: 10 for 10 new shares per 100",
    "split": "new shares per old share: 10 for a face value of 100 becoming 10",
    "rights": "new shares per held share: 0.5 for 1R:2",
}


def _number(text: str) -> Decimal | None:
    """A finite decimal number, or None."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _problems(path: Path, problems: list[tuple[int, str]]) -> str:
    shown = [f"line {line}: {problem}" for line, problem in sorted(problems)[:MOST_PROBLEMS_SHOWN]]
    more = len(problems) - len(shown)
    tail = [f"  ... and {more} more"] if more else []
    rows = f"{len(problems)} bad row{'' if len(problems) == 1 else 's'}"
    head = f"{path}: {rows}; nothing was loaded:"
    return "\n".join([head, *(f"  {p}" for p in shown), *tail])


# --------------------------------------------------------------------------- loading


def check_scrips(
    conn: psycopg.Connection, path: Path, actions: list[Action], source: Source
) -> list[tuple[int, str]]:
    """The lines whose scrip the source price table does not hold, and why."""
    if not actions:
        return []
    if not source_table.exists(conn, source):
        raise BadActionsFile(
            f"{path}: the scrips cannot be checked: there is no source table "
            f"{source.schema}.{source.table} (load the prices first: dse-indicators load ...)"
        )
    wanted = sorted({action.scrip for action in actions})
    query = sql.SQL("select distinct {scrip} from {table} where {scrip} = any(%s)").format(
        scrip=sql.Identifier(source.column("scrip")), table=source_table.table_name(source)
    )
    known = {row[0] for row in conn.execute(query, [wanted])}
    unknown = [action for action in actions if action.scrip not in known]
    if not unknown:
        return []
    all_scrips: list[str] | None = None
    problems = []
    for action in unknown:
        if all_scrips is None:
            query = sql.SQL("select distinct {} from {}").format(
                sql.Identifier(source.column("scrip")), source_table.table_name(source)
            )
            all_scrips = [row[0] for row in conn.execute(query) if row[0] is not None]
        hint = did_you_mean(action.scrip, all_scrips)
        problems.append(
            (
                action.line,
                f"scrip {action.scrip!r} has no prices in {source.schema}.{source.table}{hint}",
            )
        )
    return problems


def load(
    conn: psycopg.Connection,
    path: Path,
    table: ActionsTable,
    source: Source,
    parsed: Parsed | None = None,
) -> LoadReport:
    """Check the file (`parsed`, when read already) and load it in one transaction;
    BadActionsFile naming every bad row, and nothing written."""
    parsed = parsed or read_file(path)
    actions = parsed.actions
    with conn.transaction():
        problems = parsed.problems + check_scrips(conn, path, actions, source)
        if problems:
            raise BadActionsFile(_problems(path, problems))
        create(conn, table)
        statement = sql.SQL(
            "insert into {table} as t ({columns}) values (%s, %s, %s, %s, %s)"
            " on conflict ({key}) do update set ratio = excluded.ratio, price = excluded.price"
            " where (t.ratio, t.price) is distinct from (excluded.ratio, excluded.price)"
            " returning xmax = 0"
        ).format(
            table=table_name(table),
            columns=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
            key=sql.SQL(", ").join(map(sql.Identifier, KEY)),
        )
        inserted = replaced = 0
        with conn.cursor() as cursor:
            for action in actions:
                cursor.execute(statement, action.values())
                written = cursor.fetchone()
                if written is not None:
                    inserted += written[0]
                    replaced += not written[0]
    return LoadReport(len(actions), inserted, replaced)
