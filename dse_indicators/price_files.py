"""Reading DSE price files of the common layouts, in batches, into the source table's columns.

Nothing here touches a database. A `PriceFile` knows its layout (from the header, or from
`--map`), reads the file in batches of strings (CSV with pyarrow's streaming reader, Parquet
by row groups) and `clean()` turns each batch into the text PostgreSQL's COPY expects:
ISO dates, numbers without thousands separators, NULL for empty and `--` cells. Bad input
raises `BadPriceFile` with the file, the data row and the value.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from dse_indicators.errors import UserError

FIELDS = ("scrip", "date", "open", "high", "low", "close", "volume")
TARGETS = {field: f"txn_{field}" for field in FIELDS}  # the source table's column names
BATCH_ROWS = 65_536
CSV_BLOCK_BYTES = 4 << 20
# Cells meaning "no value": empty, and dsebd.org's `--`.
NO_VALUE = ["", "--"]
DECIMAL = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
# Prices may also say NaN or Infinity: the cleaning rules reject those rows, with a reason.
NUMBER = DECIMAL + r"|^(?i:[+-]?(nan|inf|infinity))$"
# Date formats tried in this order; the first that reads every date of the first batch wins.
DATE_FORMATS = {
    "%Y-%m-%d": "YYYY-MM-DD",
    "%d-%m-%Y": "DD-MM-YYYY",
    "%d/%m/%Y": "DD/MM/YYYY",
    "%Y/%m/%d": "YYYY/MM/DD",
    "%d-%b-%Y": "DD-Mon-YYYY",
    "%d %b %Y": "DD Mon YYYY",
}
TIME_OF_DAY = r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
FIRST_YEAR, LAST_YEAR = 1950, 2100  # DSE opened in 1954: anything else is a misread date


class BadPriceFile(UserError):
    """A file that cannot be read as prices, with what is wrong and what to do."""


@dataclasses.dataclass(frozen=True)
class Layout:
    """A known file layout: for each field, the (normalised) column that holds it."""

    name: str
    columns: dict[str, str]
    description: str

    @property
    def scrip_from_file_name(self) -> bool:
        return "scrip" not in self.columns


def _layout(name: str, description: str, *columns: str) -> Layout:
    fields = FIELDS if len(columns) == 7 else FIELDS[1:]
    return Layout(name, dict(zip(fields, columns, strict=True)), description)


# Most specific first: bdshare's columns include the one-file-per-scrip ones.
LAYOUTS = (
    _layout("source", "txn_scrip, txn_date, txn_open, ... (the source table)", *TARGETS.values()),
    _layout(
        "dsebd",
        "DATE, TRADING CODE, OPENP, HIGH, LOW, CLOSEP, VOLUME (dsebd.org archive, stocksurferbd)",
        "trading_code", "date", "openp", "high", "low", "closep", "volume",
    ),
    _layout(
        "jibon-k",
        "trading_code, date, openning_price, high, low, closing_price, volume",
        "trading_code", "date", "openning_price", "high", "low", "closing_price", "volume",
    ),
    _layout(
        "bdshare",
        "date, symbol, open, high, low, close, volume (bdshare)",
        "symbol", "date", "open", "high", "low", "close", "volume",
    ),
    _layout(
        "per-scrip",
        "Date, Open, High, Low, Close, Volume (one file per scrip, named after it)",
        "date", "open", "high", "low", "close", "volume",
    ),
)  # fmt: skip
HEADERLESS = LAYOUTS[2]  # jibon-k's yearly files: the same columns without a header line


def normalise(name: str) -> str:
    """`TRADING CODE` -> trading_code, `CLOSEP*` -> closep, `VALUE (mn)` -> value_mn."""
    return re.sub(r"[^0-9a-z]+", "_", name.replace("\ufeff", "").lower()).strip("_")


def parse_map(text: str | None) -> dict[str, str]:
    """`--map 'txn_close=CLOSEP,scrip=CODE'` as {field: normalised column}."""
    if not text:
        return {}
    mapping = {}
    for item in text.split(","):
        target, sep, column = item.partition("=")
        field = normalise(target).removeprefix("txn_")
        if not sep or field not in FIELDS or not column.strip():
            raise UserError(
                f"--map: cannot read {item.strip()!r}; write target=COLUMN pairs separated by "
                f"commas, targets among {', '.join(TARGETS.values())} "
                "(e.g. --map 'txn_close=CLOSEP,txn_scrip=TRADING CODE')"
            )
        mapping[field] = normalise(column)
    return mapping


@dataclasses.dataclass(frozen=True)
class ReadingRules:
    """What the user said about the files: --map, --date-format, --bad-numbers-as-null."""

    column_map: dict[str, str] = dataclasses.field(default_factory=dict)
    date_format: str | None = None
    bad_numbers_as_null: bool = False


@dataclasses.dataclass
class PriceFile:
    """One input file: where each field is, and how to read it in batches."""

    path: Path
    columns: list[str]  # the file's column names (jibon-k's when it has no header line)
    fields: dict[str, str]  # field -> file column name
    layout: str
    has_header: bool
    scrip: str | None = None  # taken from the file name when no column holds it
    date_format: str | None = None
    rounded_volumes: int = 0
    bad_numbers_as_null: bool = False
    nulled_numbers: int = 0

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def describe(self) -> str:
        scrip = f"; scrip {self.scrip} from the file name" if self.scrip else ""
        return f"layout {self.layout}{scrip}"

    def batches(self) -> Iterator[tuple[pa.Table, int]]:
        """Batches of the needed columns as strings, named by field, with the bytes read so far."""
        wanted = list(dict.fromkeys(self.fields.values()))
        if self.path.suffix.lower() == ".parquet":
            yield from self._parquet_batches(wanted)
        else:
            yield from self._csv_batches(wanted)

    def _csv_batches(self, wanted: list[str]) -> Iterator[tuple[pa.Table, int]]:
        with pa.OSFile(str(self.path)) as source:
            try:
                reader = pa_csv.open_csv(
                    source,
                    read_options=pa_csv.ReadOptions(
                        column_names=self.columns,
                        skip_rows=1 if self.has_header else 0,
                        block_size=CSV_BLOCK_BYTES,
                    ),
                    parse_options=pa_csv.ParseOptions(invalid_row_handler=_skip_blank_rows),
                    convert_options=pa_csv.ConvertOptions(
                        include_columns=wanted,
                        column_types=dict.fromkeys(wanted, pa.string()),
                        strings_can_be_null=False,
                    ),
                )
                for batch in reader:
                    yield self._by_field(pa.Table.from_batches([batch])), source.tell()
            except pa.ArrowInvalid as error:
                raise BadPriceFile(
                    f"{self.path}: {error}; fix that line and load again; nothing was loaded"
                ) from error

    def _parquet_batches(self, wanted: list[str]) -> Iterator[tuple[pa.Table, int]]:
        parquet = pq.ParquetFile(self.path)
        total, done = self.size, 0
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            done += batch.num_rows
            table = pa.Table.from_batches([batch])
            strings = pa.table({name: pc.cast(table[name], pa.string()) for name in wanted})
            yield self._by_field(strings), total * done // max(parquet.metadata.num_rows, 1)

    def _by_field(self, table: pa.Table) -> pa.Table:
        columns = {field: table[column] for field, column in self.fields.items()}
        if self.scrip:
            columns["scrip"] = pa.array([self.scrip] * table.num_rows, pa.string())
        return pa.table({field: columns[field] for field in FIELDS})


def _skip_blank_rows(row) -> str:
    """Blank lines and a DOS end-of-file mark (Ctrl-Z, jibon-k's 2020.csv) are not rows."""
    return "skip" if not row.text.strip(" \t\r\n\x1a") else "error"


def open_price_file(path: Path, rules: ReadingRules | None = None) -> PriceFile:
    """Recognise the file's layout from its header (or first row); BadPriceFile if unknown."""
    if not path.is_file():
        raise BadPriceFile(f"{path}: no such file")
    rules = rules or ReadingRules()
    column_map = rules.column_map
    header, has_header = _read_header(path)
    by_normal = {normalise(name): name for name in header}
    missing = [column for column in column_map.values() if column not in by_normal]
    if missing:
        raise BadPriceFile(
            f"{path}: --map names column(s) {', '.join(missing)} that the file does not have "
            f"(its columns: {', '.join(header)})"
        )
    for layout in LAYOUTS if has_header else (HEADERLESS,):
        columns = {**layout.columns, **column_map}
        if all(column in by_normal for column in columns.values()) and (
            "scrip" in columns or layout.scrip_from_file_name
        ):
            name = layout.name + (" with --map" if column_map else "")
            break
    else:
        if set(column_map) >= set(FIELDS[1:]):
            columns, name = column_map, "--map"
        else:
            raise BadPriceFile(_unknown_columns(path, header, column_map))
    fields = {field: by_normal[column] for field, column in columns.items()}
    scrip = None if "scrip" in fields else path.stem.upper()
    return PriceFile(
        path,
        header,
        fields,
        name,
        has_header,
        scrip,
        date_format=rules.date_format,
        bad_numbers_as_null=rules.bad_numbers_as_null,
    )


def _read_header(path: Path) -> tuple[list[str], bool]:
    """The column names, and whether the file has a header line (jibon-k's yearly files don't)."""
    if path.suffix.lower() == ".parquet":
        try:
            return pq.ParquetFile(path).schema_arrow.names, True
        except (pa.ArrowInvalid, OSError) as error:
            raise BadPriceFile(f"{path}: not a readable Parquet file ({error})") from error
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        first = next(csv.reader(handle), None)
    if not first:
        raise BadPriceFile(f"{path}: the file is empty")
    names = [name.strip() for name in first]
    if _looks_like_data(names):
        return list(HEADERLESS.columns.values()), False  # in the order of the file
    return names, True


def _looks_like_data(cells: list[str]) -> bool:
    """jibon-k's headerless rows: a code, a date, then five numbers."""
    if len(cells) != len(HEADERLESS.columns):
        return False
    date = re.fullmatch(r"\d{1,4}[-/]\d{1,2}[-/]\d{1,4}", cells[1])
    numbers = all(re.fullmatch(r"[\d.,]+|--|", cell) for cell in cells[2:])
    return bool(date and numbers)


def _unknown_columns(path: Path, header: list[str], column_map: dict[str, str]) -> str:
    known = "\n".join(f"  {layout.name}: {layout.description}" for layout in LAYOUTS)
    separator = next((s for s in (";", "\t", "|") if len(header) == 1 and s in header[0]), None)
    if separator:
        return (
            f"{path}: the columns seem separated by {separator!r}; only comma-separated files "
            "are read: convert it (e.g. with pandas: read_csv(sep=...).to_csv(...)) and load again"
        )
    return (
        f"{path}: unknown columns {', '.join(header)}.\nKnown layouts:\n{known}\n"
        "Name the columns yourself with --map, e.g. "
        "--map 'txn_scrip=CODE,txn_date=DAY,txn_open=O,txn_high=H,txn_low=L,txn_close=C,"
        "txn_volume=V'"
    )


# --------------------------------------------------------------------------- cleaning


def clean(batch: pa.Table, price_file: PriceFile, first_row: int) -> pa.Table:
    """The batch as COPY text in the source table's columns; BadPriceFile on unreadable cells.

    `first_row` is the data row number of the batch's first row (from 1), for messages.
    """
    cleaned = {"txn_scrip": _no_value(batch["scrip"])}
    cleaned["txn_date"] = _dates(_no_value(batch["date"]), price_file, first_row)
    for field in ("open", "high", "low", "close"):
        number = pc.replace_substring(_no_value(batch[field]), ",", "")  # thousands separators
        number = _check(number, NUMBER, price_file, first_row, f"{field} price")
        cleaned[TARGETS[field]] = number
    volume = pc.replace_substring(_no_value(batch["volume"]), ",", "")
    volume = _check(volume, DECIMAL, price_file, first_row, "volume")
    # Sector indices of the DSE archive carry fractional volumes: round them to whole shares.
    exact = pc.cast(volume, pa.float64())
    whole = pc.round(exact, round_mode="half_up")
    price_file.rounded_volumes += pc.sum(pc.not_equal(exact, whole)).as_py() or 0
    cleaned["txn_volume"] = pc.cast(pc.cast(whole, pa.int64()), pa.string())
    return pa.table(cleaned)


def _no_value(column: pa.ChunkedArray) -> pa.ChunkedArray:
    trimmed = pc.utf8_trim_whitespace(column)
    return pc.if_else(pc.is_in(trimmed, pa.array(NO_VALUE)), None, trimmed)


def _check(column, pattern: str, price_file: PriceFile, first_row: int, what: str):
    """The column, its unreadable numbers made null (--bad-numbers-as-null) or reported."""
    bad = pc.fill_null(pc.invert(pc.match_substring_regex(column, pattern)), False)
    if price_file.bad_numbers_as_null:
        price_file.nulled_numbers += pc.sum(bad).as_py() or 0
        return pc.if_else(bad, None, column)
    hint = "or add --bad-numbers-as-null to load it as no value (dbt then rejects its row)"
    _raise_at_first(bad, column, price_file, first_row, f"{what} {{value!r}} is not a number", hint)
    return column


def _raise_at_first(bad, values, price_file, first_row: int, message: str, hint: str = "") -> None:
    """BadPriceFile naming the first row where `bad` is true (nulls count as fine)."""
    bad = pc.fill_null(bad, False)
    if not pc.any(bad).as_py():
        return
    index = pc.index(bad, True).as_py()
    value = values[index].as_py()
    raise BadPriceFile(
        f"{price_file.path}: data row {first_row + index}: {message.format(value=value)}. "
        f"Fix the file {hint or '(or give --date-format / --map)'} and load again; "
        "nothing was loaded"
    )


def detect_date_format(dates: pa.ChunkedArray) -> str | None:
    """The first format of DATE_FORMATS that reads every date given; None if none does."""
    present = pc.drop_null(dates)
    if not len(present):
        return None
    for fmt in DATE_FORMATS:
        parsed = pc.strptime(present, format=fmt, unit="s", error_is_null=True)
        if parsed.null_count == 0:
            return fmt
    return None


def _dates(column: pa.ChunkedArray, price_file: PriceFile, first_row: int) -> pa.ChunkedArray:
    column = pc.replace_substring_regex(column, TIME_OF_DAY, "")
    if price_file.date_format is None:
        price_file.date_format = detect_date_format(column)
        if price_file.date_format is None and pc.drop_null(column).to_pylist():
            sample = pc.drop_null(column)[0].as_py()
            formats = ", ".join(DATE_FORMATS.values())
            raise BadPriceFile(
                f"{price_file.path}: dates like {sample!r} match none of {formats}; "
                "name the format with --date-format (e.g. --date-format '%m/%d/%Y'); "
                "nothing was loaded"
            )
    fmt = price_file.date_format or "%Y-%m-%d"
    parsed = pc.strptime(column, format=fmt, unit="s", error_is_null=True)
    # strptime rolls 31-02 over into March: a real date formats back to what was written.
    written_back = pc.equal(_canonical(pc.strftime(parsed, format=fmt)), _canonical(column))
    unreadable = pc.and_(pc.is_valid(column), pc.invert(pc.fill_null(written_back, False)))
    shown = DATE_FORMATS.get(fmt, fmt)
    message = f"date {{value!r}} does not parse as {shown}"
    _raise_at_first(unreadable, column, price_file, first_row, message)
    year = pc.year(parsed)
    odd = pc.or_(pc.less(year, FIRST_YEAR), pc.greater(year, LAST_YEAR))
    message = f"date {{value!r}} read as {shown} lies outside {FIRST_YEAR}..{LAST_YEAR}"
    _raise_at_first(odd, column, price_file, first_row, message)
    return pc.cast(pc.cast(parsed, pa.date32()), pa.string())


def _canonical(dates: pa.ChunkedArray) -> pa.ChunkedArray:
    """Lower case, no leading zeros: `03-Aug-2020` and `3-aug-2020` compare equal."""
    return pc.replace_substring_regex(pc.utf8_lower(dates), r"(^|[^0-9])0+([0-9])", r"\1\2")
