"""The `dse-indicators` command: the tools around the dbt project.

Exit codes, the same for every subcommand: 0 done; 1 something is behind or not built yet
(`status`, and any command that needs a table dbt has not created); 2 bad input (a file, an
option, a scrip or key); 3 no database to talk to.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shlex
import sys
import time
import warnings
from pathlib import Path

from dse_indicators import database, embedded, project, source_table, target
from dse_indicators.errors import NotBuilt, UserError
from dse_indicators.progress import Progress, bar

# The embedded server's package warns about a missing XDG_RUNTIME_DIR on servers; it is harmless.
warnings.filterwarnings("ignore", module="platformdirs")

EXIT_BEHIND, EXIT_BAD_INPUT, EXIT_NO_DATABASE = 1, 2, 3


def _n(count: int, noun: str) -> str:
    """`1 row`, `2 rows`, `14,548 rows`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _print_environment(env: dict[str, str]) -> None:
    for name, value in env.items():
        print(f"export {name}={shlex.quote(value)}")


# --------------------------------------------------------------------------- db, sample, show


def cmd_db(args: argparse.Namespace) -> int:
    if args.action == "start":
        server = embedded.start()
        print(f"embedded PostgreSQL running, data in {server.data_dir}", file=sys.stderr)
        _print_environment(server.environment())
        return 0
    if args.action == "stop":
        stopped = embedded.stop()
        print("stopped" if stopped else "not running", file=sys.stderr)
        return 0
    server = embedded.running()
    if server is None:
        print("embedded PostgreSQL: not running (start it: dse-indicators db start)")
        return 1 if args.action == "status" else EXIT_NO_DATABASE
    if args.action == "env":
        _print_environment(server.environment())
    else:
        print(f"embedded PostgreSQL: running, data in {server.data_dir}")
        _print_environment(server.environment())
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from dse_indicators.sample import generate_prices

    source = project.source(args.vars)
    data = generate_prices(args.scrips, args.days, seed=args.seed, end=args.end)
    with database.connect() as conn:
        source_table.create(conn, source)
        existing = source_table.count_rows(conn, source)
        if existing and not (args.replace or args.append):
            raise UserError(
                f"the source table already holds {existing} rows: add --replace to empty it "
                "first or --append to add to it"
            )
        if args.replace:
            conn.execute(f"truncate {source_table.table_name(source).as_string(conn)}")
        written = source_table.copy_frame(conn, data.prices, source)
    print(
        f"wrote {written} generated price rows ({args.scrips} scrips x {args.days} trading days "
        f"to {data.calendar[-1]}, seed {args.seed}; {len(data.expected_rejects)} of them dirty "
        "on purpose)"
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from dse_indicators import show

    schema = target.schema_name(args.schema)
    with database.connect() as conn:
        target.indicators_table(conn, schema)
        rows, scrips, first, last = show.table_summary(conn, schema)
        print(f"{schema}.indicators: {rows} rows, {scrips} scrips, {first} .. {last}")
        print(show.format_rows(show.latest_rows(conn, schema, args.limit)))
    return 0


# --------------------------------------------------------------------------- load


def cmd_load(args: argparse.Namespace) -> int:
    from dse_indicators import cleaning, loader
    from dse_indicators.price_files import parse_map

    source = project.source(args.vars)
    rules = loader.ReadingRules(parse_map(args.map), args.date_format, args.bad_numbers_as_null)
    paths = [Path(p) for p in args.files]
    loader.inspect_files(paths, rules)  # bad files fail here, before any connection
    database.environment()  # no database: say so before dbt is asked anything
    try:
        reject_counts = cleaning.render_reject_counts(args.vars)
    except cleaning.RulesUnavailable as error:
        reject_counts = None
        print(
            f"warning: rejected rows are not counted: dbt could not render the cleaning "
            f"rules ({error}); the load goes on",
            file=sys.stderr,
        )
    progress = Progress()
    file_started = [time.monotonic()]  # for a rate per file

    def on_progress(price_file, bytes_read: int, rows: int, read: bool) -> None:
        name = price_file.path.name
        if read:
            progress.show(f"loading {name}: {rows:,} rows read, comparing with the table", True)
            file_started[0] = time.monotonic()
            return
        seconds = time.monotonic() - file_started[0]
        progress.show(
            f"loading {name} {bar(bytes_read / max(price_file.size, 1))} {rows:,} rows "
            f"({rows / max(seconds, 1e-3):,.0f} rows/s)"
        )

    try:
        with database.connect() as conn:
            report = loader.load_files(conn, paths, rules, on_progress, source, reject_counts)
    finally:
        progress.close()
    for file in report.files:
        print(
            f"{file.path}: {_n(file.rows_read, 'row')} read ({file.layout}); "
            f"{file.rows_written:,} written ({_n(file.rows_replaced, 'old row')} replaced), "
            f"{file.rows_unchanged:,} unchanged"
        )
        if file.rounded_volumes:
            print(f"  {_n(file.rounded_volumes, 'fractional volume')} rounded to whole shares")
        if file.nulled_numbers:
            print(f"  {_n(file.nulled_numbers, 'unreadable number')} loaded as no value")
        if file.rejects:
            reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(file.rejects.items()))
            print(
                f"  {_n(sum(file.rejects.values()), 'row')} will be rejected by the cleaning rules "
                f"({reasons}); dbt keeps them in price_rejects"
            )
    rate = report.rows_read / max(report.seconds, 1e-9)
    print(
        f"loaded {_n(len(report.files), 'file')}: {_n(report.rows_read, 'row')} read, "
        f"{report.rows_written:,} written in {report.seconds:.1f} s ({rate:,.0f} rows/s)"
    )
    return 0


# --------------------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace) -> int:
    from dse_indicators import status

    schema = target.schema_name(args.schema)
    with database.connect() as conn:
        try:
            found = status.read_status(conn, schema)
        except NotBuilt as error:
            if args.json:
                print(json.dumps({"schema": schema, "up_to_date": False, "error": str(error)}))
            else:
                print(error)
            return EXIT_BEHIND
    if args.json:
        print(json.dumps(found.as_dict(), indent=1))
    else:
        print(status.format_status(found, all_scrips=args.all))
    return 0 if found.up_to_date else EXIT_BEHIND


# --------------------------------------------------------------------------- export


def cmd_export(args: argparse.Namespace) -> int:
    from dse_indicators import export

    request = export.ExportRequest(
        out_dir=Path(args.output),
        since=args.since,
        scrips=_names(args.scrips),
        keys=_names(args.keys),
        schema=target.schema_name(args.schema),
        jobs=args.jobs,
        rebuild=args.rebuild,
    )
    progress = Progress()

    def on_progress(scrips_done: int, scrips_total: int, rows: int) -> None:
        progress.show(
            f"exporting {bar(scrips_done / max(scrips_total, 1))} {scrips_done}/{scrips_total} "
            f"scrips, {rows:,} rows ({progress.rate(rows):,.0f} rows/s)"
        )

    try:
        result = export.export(request, on_progress)
    finally:
        progress.close()
    if result.stale_rows:
        print(
            f"warning: {request.out_dir} holds {_n(result.stale_rows, 'row')} that dbt "
            "recomputed after they were exported (late or corrected prices); add --rebuild "
            "to export everything again",
            file=sys.stderr,
        )
    if not result.rows:
        print(f"nothing new to export: {request.out_dir} is up to date")
        return 0
    rate = result.rows / max(result.seconds, 1e-9)
    print(
        f"exported {_n(result.rows, 'row')} ({_n(result.scrips, 'scrip')}, "
        f"{_n(len(result.keys), 'key')}, {result.first_date} .. {result.last_date}) to "
        f"{request.out_dir} in "
        f"{_n(len(result.files), 'file')}, {result.seconds:.1f} s ({rate:,.0f} rows/s)"
    )
    return 0


def _names(values: list[str] | None) -> list[str] | None:
    """`--scrips GP BATBC` and `--scrips GP,BATBC` alike."""
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


# --------------------------------------------------------------------------- plot


def cmd_plot(args: argparse.Namespace) -> int:
    from dse_indicators import plot

    out = Path(args.output)
    if not out.parent.is_dir():
        raise UserError(f"-o {out}: the folder {out.parent} does not exist")
    if out.suffix.lower().lstrip(".") not in plot.IMAGE_FORMATS:
        raise UserError(f"-o {out}: name an image file: .png, .svg or .pdf")
    schema = target.schema_name(args.schema)
    with database.connect() as conn:
        frame = plot.read_series(conn, schema, args.scrip, args.start, args.end)
    drawn = plot.draw(frame, args.scrip, out, raw=args.raw)
    missing = [key for key in plot.PLOTTED_KEYS if key not in drawn]
    note = f" ({', '.join(missing)} not in the table, not drawn)" if missing else ""
    first, last = frame.index[0].date(), frame.index[-1].date()
    marks = plot.ex_dates(frame)
    if marks:
        note += f"; ex-dates marked: {', '.join(str(d.date()) for d in marks)}"
    print(f"wrote {out}: {args.scrip}, {len(frame)} trading days {first} .. {last}{note}")
    return 0


# --------------------------------------------------------------------------- actions


def cmd_actions_load(args: argparse.Namespace) -> int:
    from dse_indicators import actions

    table = project.actions(args.vars)
    source = project.source(args.vars)
    path = Path(args.file)
    found = actions.read_file(path)  # an unreadable file fails here, before any connection
    with database.connect() as conn:
        report = actions.load(conn, path, table, source, found)
    print(
        f"{path}: {_n(report.rows, 'action')} read; {report.inserted:,} new, "
        f"{report.replaced:,} replaced, {report.unchanged:,} unchanged in {table}"
    )
    return 0


def cmd_actions_suggest(args: argparse.Namespace) -> int:
    from dse_indicators import actions_suggest

    table = project.actions(args.vars)
    source = project.source(args.vars)
    with database.connect() as conn:
        found = actions_suggest.suggest(conn, source, table, _names(args.scrips))
    if args.csv:
        sys.stdout.write(actions_suggest.format_csv(found))
        for line in actions_suggest.summary(found):
            print(line, file=sys.stderr)
    else:
        print(actions_suggest.format_table(found))
    return 0


ACTIONS_DESCRIPTION = """\
The corporate actions table (contract section 5; public.ws_dse_corporate_actions,
or the vars actions_schema and actions_table): bonus issues, splits and rights
issues, by which dbt back-adjusts the prices when run with
--vars '{adjust_prices: true}'. Find candidates in the prices with `suggest`,
check them against the companies' announcements, record them with `load`.
"""

ACTIONS_LOAD_DESCRIPTION = """\
Load a CSV of corporate actions into the actions table (created if missing).
Columns: scrip, ex_date, kind, ratio, price (price only for rights issues).
Every row is checked first; a bad row is named by its line and nothing is
written. A row whose (scrip, ex_date, kind) is in the table replaces it: loading
a file twice changes nothing. One transaction.
"""

ACTIONS_LOAD_EPILOG = """\
columns:
  scrip    as in the price table (checked against it)
  ex_date  YYYY-MM-DD: the first session priced after the action (on DSE, the
           session after the record date)
  kind     bonus, split or rights
  ratio    bonus: percent of held shares (10 = 10 new per 100); split: new
           shares per old share (10 for a face value of 100 becoming 10);
           rights: new shares per held share (0.5 for 1R:2)
  price    rights only: the subscription price

example file:
  scrip,ex_date,kind,ratio,price
  SQURPHARMA,2013-08-27,bonus,30,
  SQURPHARMA,2011-12-04,split,10,
  ABBANK,2014-05-04,rights,0.5,10
"""

ACTIONS_SUGGEST_DESCRIPTION = """\
Candidate actions that the raw prices show and the actions table lacks: a scrip
that misses a market session (its record date) and then opens or closes near
1/(1 + b) of its last close for a usual bonus rate b (5, 7, 7.5, 10, 12.5, 15,
20, 25, 30, 40, 50, 100, 200 %), and drops to about a tenth (the 2011 face-value
change, a split of 10). The ratios are divided by the market's move over the
same sessions. A cash dividend's record date can look like a small bonus:
check each candidate before you load it. How it decides and how often it is
right: docs/corporate-actions.md.
"""


def _add_actions(commands) -> None:
    group = _command(
        commands,
        "actions",
        help="corporate actions (bonus, split, rights): load a file, suggest candidates",
        description=ACTIONS_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = group.add_subparsers(dest="actions_command", required=True, metavar="ACTION")
    load = _command(
        verbs,
        "load",
        help="load a CSV of actions into the actions table, idempotently",
        description=ACTIONS_LOAD_DESCRIPTION,
        epilog=ACTIONS_LOAD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument("file", metavar="FILE.csv", help="scrip, ex_date, kind, ratio, price")
    load.set_defaults(handler=cmd_actions_load)
    suggest = _command(
        verbs,
        "suggest",
        help="candidate actions the prices show and the table lacks",
        description=ACTIONS_SUGGEST_DESCRIPTION,
        epilog="Example: dse-indicators actions suggest --scrips SQURPHARMA --csv > actions.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    suggest.add_argument(
        "--csv",
        action="store_true",
        help="print CSV that `actions load` accepts (once checked); the summary goes to stderr",
    )
    suggest.add_argument(
        "--scrips", nargs="+", metavar="SCRIP", help="only these scrips (default all)"
    )
    suggest.set_defaults(handler=cmd_actions_suggest)


# --------------------------------------------------------------------------- the parser


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _command(commands, *args, **kwargs) -> argparse.ArgumentParser:
    """A subcommand that also takes --vars after its name, as dbt does."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--vars", metavar="YAML", default=argparse.SUPPRESS, help=VARS_HELP)
    return commands.add_parser(*args, parents=[common], **kwargs)


SCHEMA_HELP = "target schema dbt builds into (default $DBT_SCHEMA, else public)"
VARS_HELP = (
    "dbt vars as a YAML mapping, as for dbt run: where the source table is and what its columns "
    "are called (source_schema, source_table, col_scrip, col_date, col_open, col_high, col_low, "
    "col_close, col_volume; defaults in dbt_project.yml), run_date, the date `load` counts "
    "future rows from, and actions_schema, actions_table, where `actions` keeps the corporate "
    "actions. E.g. --vars '{source_table: daily_prices, col_close: closep}'"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dse-indicators",
        description="Tools around the dse-indicators dbt project. The database is the one "
        "the PG* variables name (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), else the "
        "embedded one.",
        epilog="Exit codes: 0 done, 1 behind or not built yet, 2 bad input, 3 no database.",
    )
    parser.add_argument("--vars", metavar="YAML", help=VARS_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = _command(commands, "db", help="the embedded PostgreSQL: start, stop, status, env")
    db.add_argument("action", choices=["start", "stop", "status", "env"])
    db.set_defaults(handler=cmd_db)

    sample = _command(commands, "sample", help="write generated DSE-like prices to the source")
    sample.add_argument("--scrips", type=int, default=20, help="number of scrips (default 20)")
    sample.add_argument("--days", type=int, default=300, help="trading days (default 300)")
    sample.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sample.add_argument(
        "--end",
        type=_date,
        default=datetime.date.today(),
        help="last calendar day, YYYY-MM-DD (default today); a few dirty rows lie after it",
    )
    mode = sample.add_mutually_exclusive_group()
    mode.add_argument("--replace", action="store_true", help="empty the source table first")
    mode.add_argument("--append", action="store_true", help="add to a non-empty source table")
    sample.set_defaults(handler=cmd_sample)

    _add_load(commands)
    _add_status(commands)
    _add_export(commands)
    _add_plot(commands)
    _add_migrate(commands)
    _add_compare(commands)
    _add_audit(commands)
    _add_actions(commands)

    show_cmd = _command(commands, "show", help="print the newest indicators of a few scrips")
    show_cmd.add_argument("--limit", type=int, default=10, help="how many scrips (default 10)")
    show_cmd.add_argument("--schema", help=SCHEMA_HELP)
    show_cmd.set_defaults(handler=cmd_show)
    return parser


LOAD_DESCRIPTION = """\
Load price files into the source table (public.ws_dse_daily_prices, or the
table and columns --vars names). Each file's rows replace the rows of the same
(scrip, date) already there: loading a file twice changes nothing, a corrected
file replaces the old values. Every file is checked first and all load in one
transaction: on any error nothing is written. Then it counts, per file, the rows
of its keys that dbt run will reject: dbt renders the cleaning rules once
(a few seconds), with the same --vars (run_date included).
"""

LOAD_LAYOUTS = """\
layouts, recognised by their header:
  source     txn_scrip, txn_date, txn_open, txn_high, txn_low, txn_close, txn_volume
  dsebd      dsebd.org's day-end archive and stocksurferbd: DATE, TRADING CODE,
             OPENP, HIGH, LOW, CLOSEP, VOLUME (CLOSEP is the close, not LTP)
  bdshare    date, symbol, open, high, low, close, volume
  jibon-k    trading_code, date, openning_price, high, low, closing_price, volume
             (its yearly files have no header and DD-MM-YYYY dates: also fine)
  per-scrip  Date, Open, High, Low, Close, Volume; the file name is the scrip
Thousands separators are removed; an empty cell or `--` means no value.

examples:
  dse-indicators load archive/2021.csv prices/GP.csv
  dse-indicators load surfer.csv --map txn_close=LTP     (LTP rather than CLOSEP)
  dse-indicators load odd.csv --map 'scrip=CODE,date=DAY,open=O,high=H,low=L,close=C,volume=V'
"""


def _add_load(commands) -> None:
    load = _command(
        commands,
        "load",
        help="load CSV or Parquet price files into the source table, idempotently",
        description=LOAD_DESCRIPTION,
        epilog=LOAD_LAYOUTS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument("files", nargs="+", metavar="FILE", help="CSV or .parquet price files")
    load.add_argument(
        "--map",
        metavar="TARGET=COLUMN,...",
        help="name the file's columns yourself, e.g. 'txn_close=LTP' (overrides the layout) "
        "or all of txn_scrip, txn_date, txn_open, txn_high, txn_low, txn_close, txn_volume "
        "for an unknown layout",
    )
    load.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="strptime format of the dates, e.g. '%%m/%%d/%%Y' (default: detected among "
        "YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY, YYYY/MM/DD, DD-Mon-YYYY)",
    )
    load.add_argument(
        "--bad-numbers-as-null",
        action="store_true",
        help="load a price or volume that is not a number (e.g. '1781..50') as no value "
        "instead of stopping; the cleaning rules then reject its row, kept in price_rejects",
    )
    load.set_defaults(handler=cmd_load)


def _add_status(commands) -> None:
    status = _command(
        commands,
        "status",
        help="is the indicators table up to date? (exit 1 when not: for cron)",
        description="Compare the accepted price rows with the indicators table: rows not yet "
        "computed (new or corrected prices), scrips behind their newest price, rejected rows, "
        "and when dbt last wrote. Exit code 1 when anything is behind or the table is not "
        "built yet, 0 when all is up to date.",
        epilog="Cron example: dse-indicators status --json > status.json || mail -s 'DSE "
        "indicators behind' ops@example.com < status.json",
    )
    status.add_argument("--schema", help=SCHEMA_HELP)
    status.add_argument("--json", action="store_true", help="print JSON for machines")
    status.add_argument(
        "--all", action="store_true", help="list every scrip, not only those behind"
    )
    status.set_defaults(handler=cmd_status)


def _add_export(commands) -> None:
    export = _command(
        commands,
        "export",
        help="the feature matrix for training, as Parquet (incremental)",
        description="Write the indicators as Parquet files partitioned by year "
        "(DIR/year=YYYY/part-*.parquet): scrip, trading_date, price_open .. price_volume and "
        "one float64 column per indicator key (null during its warm-up). A second export into "
        "the same DIR appends only the rows newer than what DIR holds (DIR/_manifest.json "
        "records it). Read it with pandas.read_parquet(DIR).",
        epilog="Example: dse-indicators export --since 2020-01-01 --keys rsi_14 macd -o features",
    )
    export.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    export.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="only rows from then")
    export.add_argument(
        "--scrips", nargs="+", metavar="SCRIP", help="only these scrips (default all)"
    )
    export.add_argument(
        "--keys", nargs="+", metavar="KEY", help="only these indicator keys (default all)"
    )
    export.add_argument("--schema", help=SCHEMA_HELP)
    export.add_argument(
        "--jobs",
        type=_positive,
        default=2,
        metavar="N",
        help="connections reading at once (default 2)",
    )
    export.add_argument(
        "--rebuild",
        action="store_true",
        help="delete what earlier exports wrote to DIR and export everything again",
    )
    export.set_defaults(handler=cmd_export)


def _add_plot(commands) -> None:
    plot = _command(
        commands,
        "plot",
        help="chart one scrip: price, SMA, Bollinger, SAR, volume, RSI, MACD",
        description="Draw one scrip's close with SMA 20/50, Bollinger bands and SAR, its "
        "volume, RSI 14 and MACD 12/26/9 into an image. Keys the table lacks are left out.",
        epilog="Example: dse-indicators plot GP --from 2024-01-01 -o gp.png",
    )
    plot.add_argument("scrip", metavar="SCRIP")
    plot.add_argument(
        "--from", dest="start", type=_date, metavar="YYYY-MM-DD", help="default: a year back"
    )
    plot.add_argument(
        "--to", dest="end", type=_date, metavar="YYYY-MM-DD", help="default: the newest row"
    )
    plot.add_argument("-o", "--output", required=True, metavar="FILE.png", help="image to write")
    plot.add_argument(
        "--raw",
        action="store_true",
        help="with adjust_prices: draw the printed prices, not the adjusted ones",
    )
    plot.add_argument("--schema", help=SCHEMA_HELP)
    plot.set_defaults(handler=cmd_plot)


def cmd_audit(args: argparse.Namespace) -> int:
    from psycopg import sql

    from dse_indicators import audit

    schema = target.schema_name(args.schema)
    with database.connect() as conn:
        target.indicators_table(conn, schema)
        try:
            table = project.actions(args.vars)
            actions = sql.Identifier(table.schema, table.table)
            return audit.run(
                conn,
                schema,
                args.scrip,
                args.sample,
                args.since,
                seed=args.seed,
                actions_table=actions,
            )
        except ValueError as error:
            raise UserError(str(error)) from error


def _add_audit(commands) -> None:
    audit = _command(
        commands,
        "audit",
        help="recompute scrips with the numpy reference and compare with the table",
        description="Recompute scrips from their accepted prices with the numpy reference "
        "(proven equal to TA-Lib) and compare every key of every row with the table, to "
        "1e-9. Prints each mismatch and exits 1 on any; 0 when the table is exact.",
        epilog="Example: dse-indicators audit --sample 20 --since 2025-01-01",
    )
    which = audit.add_mutually_exclusive_group()
    which.add_argument("--scrip", action="append", metavar="X", help="this scrip (repeatable)")
    which.add_argument("--sample", type=int, metavar="N", help="N scrips chosen at random")
    audit.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    audit.add_argument(
        "--since", type=_date, metavar="YYYY-MM-DD", help="compare rows from this date on"
    )
    audit.add_argument("--schema", help=SCHEMA_HELP)
    audit.set_defaults(handler=cmd_audit)


# --------------------------------------------------------------------------- migrate, compare


def cmd_migrate(args: argparse.Namespace) -> int:
    from dse_indicators import migrate

    with database.connect() as conn:
        done = migrate.migrate(conn, target.schema_name(args.schema))
    for old, new in (done.renamed or {}).items():
        print(f"index {old} -> {new}")
    print(done.message)
    return 0


def _add_migrate(commands) -> None:
    migrate = _command(
        commands,
        "migrate",
        help="keep the old backfill job's table as indicators_legacy",
        description="Rename the table the old backfill_indicators.py job wrote (indicators, "
        "without dbt's state and features columns) to indicators_legacy, with its indexes and "
        "primary key, in one transaction; the next dbt run builds the new indicators table. "
        "Nothing to do (exit 0) when there is no old table or it was migrated already; a "
        "failure changes nothing.",
        epilog="Then: dbt run, and dse-indicators compare --against indicators_legacy",
    )
    migrate.add_argument("--schema", help=SCHEMA_HELP)
    migrate.set_defaults(handler=cmd_migrate)


def cmd_compare(args: argparse.Namespace) -> int:
    from dse_indicators import compare

    schema = target.schema_name(args.schema)
    with database.connect() as conn:
        target.indicators_table(conn, schema)
        found = compare.compare(conn, schema, args.against)
    if args.json:
        print(json.dumps(found.as_dict(), indent=1))
    else:
        print(compare.format_comparison(found))
    return 0


def _add_compare(commands) -> None:
    compare = _command(
        commands,
        "compare",
        help="compare indicators key by key with another table",
        description="For each key of either table's documents: the rows compared (both "
        "documents hold the key), the rows whose values differ beyond 1e-9 x max(1, |value "
        "in the other table|) "
        "(whole numbers, booleans and null exactly), the largest difference, and the rows "
        "where only one table holds the key. Computed in the database; exit 0 whatever it "
        "finds.",
        epilog="Example: dse-indicators compare --against indicators_legacy",
    )
    compare.add_argument(
        "--against", required=True, metavar="TABLE", help="the other table, in the same schema"
    )
    compare.add_argument("--schema", help=SCHEMA_HELP)
    compare.add_argument("--json", action="store_true", help="print JSON for machines")
    compare.set_defaults(handler=cmd_compare)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except database.DatabaseUnavailable as error:
        print(error, file=sys.stderr)
        return EXIT_NO_DATABASE
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except NotBuilt as error:
        print(error, file=sys.stderr)
        return EXIT_BEHIND
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
