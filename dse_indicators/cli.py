"""The `dse-indicators` command: the tools around the dbt project."""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import sys
import warnings
from pathlib import Path

from dse_indicators import database, embedded, loader, show, source_table

# The embedded server's package warns about a missing XDG_RUNTIME_DIR on servers; it is harmless.
warnings.filterwarnings("ignore", module="platformdirs")


def _print_environment(env: dict[str, str]) -> None:
    for name, value in env.items():
        print(f"export {name}={shlex.quote(value)}")


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
        return 1 if args.action == "status" else 3
    if args.action == "env":
        _print_environment(server.environment())
    else:
        print(f"embedded PostgreSQL: running, data in {server.data_dir}")
        _print_environment(server.environment())
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from dse_indicators.sample import generate_prices

    data = generate_prices(args.scrips, args.days, seed=args.seed, end=args.end)
    with database.connect() as conn:
        source_table.create(conn)
        existing = source_table.count_rows(conn)
        if existing and not (args.replace or args.append):
            print(
                f"the source table already holds {existing} rows: add --replace to empty it "
                "first or --append to add to it",
                file=sys.stderr,
            )
            return 2
        if args.replace:
            conn.execute(f"truncate {source_table.table_name().as_string(conn)}")
        written = source_table.copy_frame(conn, data.prices)
    print(
        f"wrote {written} generated price rows ({args.scrips} scrips x {args.days} trading days "
        f"to {data.calendar[-1]}, seed {args.seed}; {len(data.expected_rejects)} of them dirty "
        "on purpose)"
    )
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    with database.connect() as conn:
        written = loader.load_files(conn, [Path(p) for p in args.files])
    print(f"loaded {written} price rows from {len(args.files)} file(s)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    schema = args.schema or os.environ.get("DBT_SCHEMA", "public")
    with database.connect() as conn:
        rows, scrips, first, last = show.table_summary(conn, schema)
        print(f"{schema}.indicators: {rows} rows, {scrips} scrips, {first} .. {last}")
        print(show.format_rows(show.latest_rows(conn, schema, args.limit)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dse-indicators",
        description="Tools around the dse-indicators dbt project.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="the embedded PostgreSQL: start, stop, status, env")
    db.add_argument("action", choices=["start", "stop", "status", "env"])
    db.set_defaults(handler=cmd_db)

    sample = commands.add_parser("sample", help="write generated DSE-like prices to the source")
    sample.add_argument("--scrips", type=int, default=20, help="number of scrips (default 20)")
    sample.add_argument("--days", type=int, default=300, help="trading days (default 300)")
    sample.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sample.add_argument(
        "--end",
        type=datetime.date.fromisoformat,
        default=datetime.date.today(),
        help="last calendar day, YYYY-MM-DD (default today); a few dirty rows lie after it",
    )
    mode = sample.add_mutually_exclusive_group()
    mode.add_argument("--replace", action="store_true", help="empty the source table first")
    mode.add_argument("--append", action="store_true", help="add to a non-empty source table")
    sample.set_defaults(handler=cmd_sample)

    load = commands.add_parser("load", help="load CSV price files into the source table")
    load.add_argument("files", nargs="+", help="CSV files (source layout or Date,Open,...)")
    load.set_defaults(handler=cmd_load)

    show_cmd = commands.add_parser("show", help="print the newest indicators of a few scrips")
    show_cmd.add_argument("--limit", type=int, default=10, help="how many scrips (default 10)")
    show_cmd.add_argument("--schema", help="target schema (default $DBT_SCHEMA or public)")
    show_cmd.set_defaults(handler=cmd_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except database.DatabaseUnavailable as error:
        print(error, file=sys.stderr)
        return 3
    except loader.BadPriceFile as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
