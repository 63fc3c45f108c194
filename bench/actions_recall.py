"""How often `dse-indicators actions suggest` is right, on real DSE prices.

    python -m bench.actions_recall [--reference ../shared/reference/dse] [--keep | --reuse]

It loads the jibon-k archive (all years, unadjusted) into a database of its own with
`dse-indicators load`, runs `suggest` over every scrip, and holds its candidates to the ground
truth of the tashreef sample (MIT): its prices are adjusted for bonus issues and splits, so
tashreef's close over jibon-k's on the same date is each scrip's cumulative factor, and the
dates where that factor steps and stays are the real ex-dates. Where both sources have the
scrip (2012-10-01 .. 2021-09-26 without 2019) it counts the candidates that are real ex-dates
(true), those that are not (false) and the real ex-dates missed, and whether the suggested
ratio is the real one. A step across the 2019 hole is listed but not counted: no price shows it.

Neither archive is copied into the repository: both are read where they lie
(docs/corporate-actions.md has the figures).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from bench import data as bench_data
from dse_indicators import actions_suggest, database, paths, project

TRUTH_SCRIPS = ("SQURPHARMA", "BATBC", "GP", "1JANATAMF", "AAMRANET")  # tashreef's equities
STEP = 0.01  # a factor step: more than 1 % from one day to the next, and still there 5 rows on
HOLE_DAYS = actions_suggest.HOLE_DAYS
# Rows a step needs on each side: the sources disagree on a listing's first day (AAMRANET).
EDGE_ROWS = 3


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclasses.dataclass(frozen=True)
class Step:
    scrip: str
    ex_date: dt.date
    last_date: dt.date
    factor: float  # the cumulative factor's step: 1.3 for a 30 % bonus, 10 for a split of 10

    @property
    def observable(self) -> bool:
        return (self.ex_date - self.last_date).days <= HOLE_DAYS

    @property
    def kind_ratio(self) -> tuple[str, float]:
        if self.factor >= 5:
            return "split", round(self.factor)
        return "bonus", round((self.factor - 1) * 200) / 2  # to the nearest half percent


def factor_steps(scrip: str, adjusted: pd.Series, raw: pd.Series) -> list[Step]:
    """The persistent steps of adjusted / raw over their common dates (ascending)."""
    both = pd.concat([adjusted.rename("adjusted"), raw.rename("raw")], axis=1, join="inner")
    both = both[(both.raw > 0) & (both.adjusted > 0)].sort_index()
    factor = (both.adjusted / both.raw).to_numpy()
    dates = list(both.index)
    steps = []
    for i in range(EDGE_ROWS, len(factor) - EDGE_ROWS + 1):
        day_step = factor[i] / factor[i - 1]
        before = np.median(factor[max(0, i - 5) : i])
        after = np.median(factor[i : i + 5])
        if abs(np.log(day_step)) > STEP and abs(np.log(after / before)) > STEP:
            steps.append(Step(scrip, dates[i], dates[i - 1], float(after / before)))
    return steps


def read_tashreef(reference: Path, scrip: str) -> pd.Series:
    frame = pd.read_csv(reference / "tashreef-dse-eod-sample" / "Unadjusted" / f"{scrip}.csv")
    return pd.Series(frame["Close"].to_numpy(float), index=pd.to_datetime(frame["Date"]).dt.date)


def read_raw(conn, scrip: str) -> pd.Series:
    """jibon-k's closes as `suggest` reads them: trading rows, one per date."""
    rows = conn.execute(
        "select distinct on (txn_date) txn_date, txn_close::float8"
        " from public.ws_dse_daily_prices"
        " where txn_scrip = %s and txn_close > 0 and txn_volume > 0"
        " order by txn_date, txn_volume desc, txn_close desc",
        [scrip],
    ).fetchall()
    return pd.Series([r[1] for r in rows], index=[r[0] for r in rows], dtype=float)


def load_archive(reference: Path, env: dict[str, str]) -> None:
    archive = reference / "jibon-k-dse-eod"
    files = [*sorted((archive / "csv").glob("*.csv")), archive / "2021.csv"]
    command = [str(Path(sys.executable).with_name("dse-indicators")), "load", *map(str, files)]
    log(f"dse-indicators load {len(files)} jibon-k files --bad-numbers-as-null")
    subprocess.run([*command, "--bad-numbers-as-null"], env=env, check=True, stdout=sys.stderr)


def evaluate(conn, reference: Path) -> dict:
    """The candidates against the truth, per scrip, and the counts over all scrips."""
    started = time.monotonic()
    found = actions_suggest.suggest(conn, project.source(), project.actions())
    seconds = time.monotonic() - started
    per_scrip = {}
    totals = Counter()
    for scrip in TRUTH_SCRIPS:
        adjusted = read_tashreef(reference, scrip)
        raw = read_raw(conn, scrip)
        common = sorted(set(adjusted.index) & set(raw.index))
        first, last = common[0], common[-1]
        steps = factor_steps(scrip, adjusted, raw)
        truth = {s.ex_date: s for s in steps if s.observable}
        hidden = [s for s in steps if not s.observable]
        mine = {
            c.ex_date: c for c in found.candidates if c.scrip == scrip and first < c.ex_date <= last
        }
        hits = sorted(set(mine) & set(truth))
        right_ratio = [
            d for d in hits if (mine[d].kind, float(mine[d].ratio)) == truth[d].kind_ratio
        ]
        per_scrip[scrip] = {
            "window": (first, last),
            "truth": sorted(truth),
            "hidden": [(s.last_date, s.ex_date, s.factor) for s in hidden],
            "true": hits,
            "false": sorted(set(mine) - set(truth)),
            "missed": sorted(set(truth) - set(mine)),
            "ratio_right": right_ratio,
            "suggested": {d: f"{c.kind} {c.ratio}" for d, c in mine.items()},
            "real": {d: "{} {:g}".format(*s.kind_ratio) for d, s in truth.items()},
        }
        for key in ("true", "false", "missed", "ratio_right"):
            totals[key] += len(per_scrip[scrip][key])
    by_year = Counter(c.ex_date.year for c in found.candidates)
    kinds = Counter((c.ex_date == dt.date(2011, 12, 4), c.kind) for c in found.candidates)
    return {
        "per_scrip": per_scrip,
        "totals": totals,
        "all_candidates": len(found.candidates),
        "scrips": found.scrips,
        "sessions": found.sessions,
        "by_year": dict(sorted(by_year.items())),
        "splits_on_2011_12_04": kinds[(True, "split")],
        "splits": sum(n for (_, kind), n in kinds.items() if kind == "split"),
        "seconds": seconds,
    }


def report(found: dict) -> str:
    lines = []
    for scrip, r in found["per_scrip"].items():
        first, last = r["window"]
        lines.append(f"{scrip} ({first} .. {last}): {len(r['truth'])} real ex-dates")
        for day in sorted(set(r["truth"]) | set(r["suggested"])):
            what = "true " if day in r["true"] else "false" if day in r["suggested"] else "MISSED"
            real = r["real"].get(day, "-")
            said = r["suggested"].get(day, "-")
            lines.append(f"  {day}  {what}  real {real:<12} suggested {said}")
        for before, after, factor in r["hidden"]:
            lines.append(f"  {before} .. {after}: a step of {factor:.4f} in the hole, not counted")
    t = found["totals"]
    suggested = t["true"] + t["false"]
    real = t["true"] + t["missed"]
    lines += [
        "",
        f"candidates on the {len(TRUTH_SCRIPS)} scrips: {suggested}, of which {t['true']} real "
        f"ex-dates: precision {t['true'] / max(suggested, 1):.0%}",
        f"real ex-dates: {real}, of which {t['true']} found: recall {t['true'] / max(real, 1):.0%}",
        f"ratio as the real one: {t['ratio_right']} of {t['true']} found",
        f"all scrips: {found['all_candidates']:,} candidates over {found['scrips']} scrips and "
        f"{found['sessions']:,} sessions in {found['seconds']:.1f} s; splits "
        f"{found['splits']}, {found['splits_on_2011_12_04']} of them on 2011-12-04",
        "candidates per year: " + ", ".join(f"{year} {n}" for year, n in found["by_year"].items()),
    ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.actions_recall",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=paths.checkout().parent / "shared" / "reference" / "dse",
        help="the folder holding jibon-k-dse-eod/ and tashreef-dse-eod-sample/",
    )
    parser.add_argument(
        "--database", default="dse_actions_recall", help="dropped and created anew, unless --reuse"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="use the database a --keep run left, as it is"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not (args.reference / "jibon-k-dse-eod").is_dir():
        print(f"no jibon-k archive under {args.reference} (--reference)", file=sys.stderr)
        return 2
    env = database.environment()
    if not args.reuse:
        bench_data.recreate_database(env, args.database)
        load_archive(args.reference, {**os.environ, **env, "PGDATABASE": args.database})
    try:
        with bench_data.connect(env, args.database) as conn:
            print(report(evaluate(conn, args.reference)))
    finally:
        if not (args.keep or args.reuse):
            bench_data.drop_database(env, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
