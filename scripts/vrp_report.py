#!/usr/bin/env python3
"""Per-instance table and summary of a `scripts/bench-vrp.sh compare` run.

    scripts/vrp_report.py RESULTS.tsv VRP_DIR

RESULTS.tsv columns: set, instance, solver, wall_ms, vrp_check (ok|FAIL…), independent check (ok|FAIL),
vehicles, distance (both from the independent checker). Gap = (distance − reference) / reference, the reference
being the set's best_known.csv (instances without one, most of homberger_1000, count in no gap against it); every
diachi row is also compared with PyVRP of the same run, instance by instance ("vs PyVRP").
"""

import csv
import statistics
import sys
from collections import OrderedDict


def main(path, vrp_dir):
    rows = [r for r in csv.reader(open(path), delimiter="\t") if r]
    refs = {}
    for s in OrderedDict.fromkeys(r[0] for r in rows):
        try:
            for rec in csv.DictReader(open(f"{vrp_dir}/{s}/best_known.csv")):
                refs[(s, rec["instance"].lower())] = (int(rec["vehicles"]), float(rec["distance"]))
        except OSError:
            pass
    solvers = list(OrderedDict.fromkeys(r[2] for r in rows))
    res = {(r[0], r[1], r[2]): r for r in rows}
    for s in OrderedDict.fromkeys(r[0] for r in rows):
        insts = list(OrderedDict.fromkeys(r[1] for r in rows if r[0] == s))
        print(f"\n### {s}\n")
        head = "| instance | reference |" + "".join(f" {v} |" for v in solvers) + " checks |"
        print(head)
        print("|---|---|" + "---|" * len(solvers) + "---|")
        for i in insts:
            ref = refs.get((s, i.lower()))
            cells, checks = [], []
            pv = res.get((s, i, "pyvrp"))
            pv_dist = float(pv[7]) if pv and pv[5] == "ok" else None
            for v in solvers:
                r = res.get((s, i, v))
                if not r:
                    cells.append("–")
                    continue
                ok = r[4] == "ok" and r[5] == "ok"
                checks.append("ok" if ok else f"{v}: {r[4]} / {r[5]}")
                veh, dist = int(r[6]), float(r[7])
                if ref:
                    g = f"{(dist - ref[1]) / ref[1] * 100:+.2f} %"
                elif pv_dist and v != "pyvrp":
                    g = f"{(dist - pv_dist) / pv_dist * 100:+.2f} % vs PyVRP"
                else:
                    g = ""
                cells.append(f"{veh} / {dist:.2f} ({g}){'' if ok else ' INFEASIBLE'}")
            reftxt = f"{ref[0]} / {ref[1]:.2f}" if ref else "–"
            chk = "both ok" if all(c == "ok" for c in checks) else "; ".join(c for c in checks if c != "ok")
            print(f"| {i} | {reftxt} | " + " | ".join(cells) + f" | {chk} |")
        print(f"\n{s}, summary (gaps against the reference where the set has one, and against PyVRP of the same run):\n")
        print(
            "| solver | feasible (both checks) | vehicles in all | reference vehicles | median gap | mean gap | worst gap "
            "| median vs PyVRP | vs PyVRP, vehicles then distance: better / same / worse | mean wall ms |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for v in solvers:
            rs = [res[(s, i, v)] for i in insts if (s, i, v) in res]
            feas = [r for r in rs if r[4] == "ok" and r[5] == "ok"]
            veh = sum(int(r[6]) for r in rs)
            with_ref = [r for r in rs if (s, r[1].lower()) in refs]
            refveh = sum(refs[(s, r[1].lower())][0] for r in with_ref)
            gaps, vs_pyvrp = [], []
            lex = [0, 0, 0]  # better, same, worse than PyVRP on (vehicles, distance), where both are feasible
            for r in feas:
                ref = refs.get((s, r[1].lower()))
                if ref:
                    gaps.append((float(r[7]) - ref[1]) / ref[1] * 100)
                pv = res.get((s, r[1], "pyvrp"))
                if v != "pyvrp" and pv and pv[4] == "ok" and pv[5] == "ok":
                    vs_pyvrp.append((float(r[7]) - float(pv[7])) / float(pv[7]) * 100)
                    mine, theirs = (int(r[6]), round(float(r[7]), 2)), (int(pv[6]), round(float(pv[7]), 2))
                    lex[0 if mine < theirs else 1 if mine == theirs else 2] += 1

            def fmt(x):
                return f"{x:+.2f} %"

            n_ref = f" ({len(gaps)} with a reference)" if len(gaps) < len(feas) else ""
            med = fmt(statistics.median(gaps)) + n_ref if gaps else "–"
            mean = fmt(statistics.fmean(gaps)) if gaps else "–"
            worst = fmt(max(gaps)) if gaps else "–"
            vp = fmt(statistics.median(vs_pyvrp)) if vs_pyvrp else "–"
            lx = " / ".join(map(str, lex)) if v != "pyvrp" else "–"
            wall = statistics.fmean(float(r[3]) for r in rs) if rs else 0
            print(
                f"| {v} | {len(feas)}/{len(rs)} | {veh} | {refveh if with_ref else '–'} "
                f"({len(with_ref)} instances) | {med} | {mean} | {worst} | {vp} | {lx} | {wall:.0f} |"
            )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
