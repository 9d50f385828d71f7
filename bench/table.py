#!/usr/bin/python3
"""Prints sealfs-bench results side by side, with ratios.

    bench/table.py RESULT.json ... [--ratio A/B ...]

Each RESULT.json is what `sealfs-bench --json` printed; its column is headed by its label (or
its file name). --ratio A/B adds a column of A's figure divided by B's, A and B being labels.
"""
import argparse
import json
import os
import sys

PHASES = [
    "ior-easy-write", "mdtest-easy-write", "ior-hard-write", "mdtest-hard-write", "find",
    "ior-easy-read", "mdtest-easy-stat", "ior-hard-read", "mdtest-hard-stat",
    "mdtest-easy-delete", "mdtest-hard-read", "mdtest-hard-delete",
]
SCORES = [("bw_score", "GiB/s"), ("md_score", "kIOPS"), ("score", "")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+")
    parser.add_argument("--ratio", action="append", default=[], metavar="A/B")
    args = parser.parse_args()

    columns = []
    for path in args.results:
        with open(path, encoding="utf-8") as f:
            result = json.load(f)
        label = result.get("label") or os.path.splitext(os.path.basename(path))[0]
        columns.append((label, result))
    by_label = dict(columns)
    ratios = []
    for spec in args.ratio:
        a, sep, b = spec.partition("/")
        if not sep or a not in by_label or b not in by_label:
            sys.exit(f"table.py: --ratio {spec}: labels are {', '.join(by_label)}")
        ratios.append((a, b))

    def figure(result, row):
        if row in PHASES:
            phase = result["phases"].get(row)
            return phase["value"] if phase else None
        return result.get(row)

    rows = [(p, next((c[1]["phases"][p]["unit"] for c in columns if p in c[1]["phases"]), ""))
            for p in PHASES] + SCORES
    width = max(12, *(len(label) for label, _ in columns))
    header = f"{'phase':<20} {'unit':<6}" + "".join(f" {label:>{width}}" for label, _ in columns)
    header += "".join(f" {a + '/' + b:>{max(10, len(a) + len(b) + 1)}}" for a, b in ratios)
    print(header)
    for row, unit in rows:
        values = [figure(result, row) for _, result in columns]
        if all(v is None for v in values):
            continue
        line = f"{row:<20} {unit:<6}"
        line += "".join(f" {'-':>{width}}" if v is None else f" {v:>{width}.3f}" for v in values)
        for a, b in ratios:
            va, vb = figure(by_label[a], row), figure(by_label[b], row)
            cell = f"{va / vb:.2f}x" if va and vb else "-"
            line += f" {cell:>{max(10, len(a) + len(b) + 1)}}"
        print(line)


if __name__ == "__main__":
    main()
