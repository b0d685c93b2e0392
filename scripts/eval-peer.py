#!/usr/bin/env python3
"""Peer evaluation of the PyPI package `vietnamadminunits` on a labelled set.

Run through scripts/eval-peer.sh (which makes the venv). Each input line:
  {"n":0,"input":"...","form":"new"|"old","expected":{"ward_code":"00004","province_code":"01",...},"noise":[...]}

form "new" -> vietnamadminunits.parse_address(text, mode=FROM_2025)   (34-province parser)
form "old" -> vietnamadminunits.convert_address(text, mode=CONVERT_2025) (63-province parse + old->new mapping)

The package's output is mapped to our new ward codes (data/ward_centroids.csv.gz):
its own ward code when it is one of ours in the same province, otherwise by
(province, ward name). Writes target/eval-peer/predictions.jsonl and summary.json,
and prints the summary on stdout.

Geocoding: for an old ward that was split between several new wards, and only
when the address has a street part, convert_address asks ArcGIS (a web service)
to geocode the old address and picks the nearest new ward. By default this
script replaces that lookup with "no result", which makes the package use its
own documented fallback (the default new ward of the split). --geocode keeps
the real lookup (needs internet access beyond PyPI; its time is then counted in
the package time).
"""

import argparse
import gzip
import csv
import json
import os
import platform
import re
import statistics
import sys
import time
import traceback
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- normalising

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng
_PREFIXES = ("thanh pho ", "tinh ", "phuong ", "xa ", "dac khu ", "thi tran ", "tp ", "tp. ", "p. ", "x. ")


def fold(s):
    """Lower case, NFC, tone-placement independent ("Hoà" == "Hòa", "Thuỷ" == "Thủy").

    Each word's tone mark is moved to the end of the word; other diacritics
    (â, ă, ê, ô, ơ, ư, đ) are kept, so "Hà" != "Hạ" != "Ha".
    """
    s = unicodedata.normalize("NFD", s.lower().replace("\u0110", "đ"))
    s = re.sub(r"[\s\-–,.]+", " ", s).strip()
    words = []
    for w in s.split(" "):
        tones = "".join(c for c in w if c in _TONES)
        base = "".join(c for c in w if c not in _TONES)
        words.append(unicodedata.normalize("NFC", base) + tones)
    return " ".join(words)


def strip_marks(s):
    """Lower case, no diacritics at all (đ -> d)."""
    s = unicodedata.normalize("NFD", s.lower()).replace("đ", "d")
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return re.sub(r"[\s\-–,.]+", " ", s).strip()


def strip_unit_prefix(name):
    """'Phường Ba Đình' -> 'Ba Đình', 'Thành phố Hà Nội' -> 'Hà Nội', 'Đặc khu Côn Đảo' -> 'Côn Đảo'."""
    n = unicodedata.normalize("NFC", name).strip()
    plain = strip_marks(n)
    for p in _PREFIXES:
        if plain.startswith(p):
            # cut the same number of words from the original
            k = len(p.strip().split(" "))
            rest = n.split(None, k)
            return rest[k] if len(rest) > k else n
    return n


# ---------------------------------------------------------------- our tables


class WardTable:
    def __init__(self, path):
        self.wards = {}  # code -> row
        self.provinces = {}  # province_code -> province_name
        self.by_name = defaultdict(list)  # (prov, fold(name)) -> [codes]
        self.by_plain = defaultdict(list)  # (prov, strip_marks(name)) -> [codes]
        self.prov_by_name = {}  # fold(name) / strip_marks(name) -> code
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                code, prov = r["code"], r["province_code"]
                self.wards[code] = r
                self.provinces[prov] = r["province_name"]
                self.by_name[(prov, fold(r["name"]))].append(code)
                self.by_plain[(prov, strip_marks(r["name"]))].append(code)
        for code, name in self.provinces.items():
            self.prov_by_name[fold(name)] = code
            self.prov_by_name[strip_marks(name)] = code

    def map_province(self, unit):
        """-> (code|None, how)"""
        code = getattr(unit, "province_code", None)
        name = getattr(unit, "province", None)
        if code and code in self.provinces:
            if not name or self.prov_by_name.get(fold(strip_unit_prefix(name))) in (None, code):
                return code, "pkg_code"
        if name:
            short = strip_unit_prefix(name)
            c = self.prov_by_name.get(fold(short)) or self.prov_by_name.get(strip_marks(short))
            if c:
                return c, "name"
            return None, "unmapped"
        return None, "none"

    def map_ward(self, unit, prov):
        """-> (code|None, how). how in pkg_code, name, name_plain, unmapped, ambiguous, none."""
        ward = getattr(unit, "ward", None)
        code = getattr(unit, "ward_code", None)
        if not ward and not code:
            return None, "none"
        short = getattr(unit, "short_ward", None) or (strip_unit_prefix(ward) if ward else None)
        wtype = (getattr(unit, "ward_type", None) or "").lower()
        if code and code in self.wards:
            row = self.wards[code]
            same_prov = prov is None or row["province_code"] == prov
            same_name = not short or fold(short) == fold(row["name"])
            if same_prov and same_name:
                return code, "pkg_code"
        if not short or not prov:
            return None, "unmapped"
        for index, key, how in (
            (self.by_name, fold(short), "name"),
            (self.by_plain, strip_marks(short), "name_plain"),
        ):
            cands = index.get((prov, key), [])
            if len(cands) > 1 and wtype:
                typed = [c for c in cands if self.wards[c]["type"] == wtype]
                if typed:
                    cands = typed
            if len(cands) == 1:
                return cands[0], how
            if len(cands) > 1:
                return None, "ambiguous"
        return None, "unmapped"


# ---------------------------------------------------------------- scoring


class Tally:
    def __init__(self):
        self.n = 0
        self.ward_ok = 0
        self.prov_ok = 0
        self.ward_pred = 0
        self.errors = 0

    def add(self, ward_ok, prov_ok, has_ward, error):
        self.n += 1
        self.ward_ok += ward_ok
        self.prov_ok += prov_ok
        self.ward_pred += has_ward
        self.errors += error

    def to_json(self):
        d = lambda a: round(a / self.n, 4) if self.n else None
        return {
            "n": self.n,
            "ward_accuracy": d(self.ward_ok),
            "province_accuracy": d(self.prov_ok),
            "ward_correct": self.ward_ok,
            "province_correct": self.prov_ok,
            "ward_predicted": self.ward_pred,
            "exceptions": self.errors,
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", nargs="?", default=str(ROOT / "testdata/addresses-noisy.jsonl"))
    ap.add_argument("--wards", default=str(ROOT / "data/ward_centroids.csv.gz"))
    ap.add_argument("--out-dir", default=str(ROOT / "target/eval-peer"))
    ap.add_argument("--limit", type=int, default=0, help="only the first N lines")
    ap.add_argument("--geocode", action="store_true",
                    help="let convert_address call ArcGIS for split old wards (needs internet beyond PyPI)")
    ap.add_argument("--no-pin-cpu", action="store_true", help="do not pin this process to one CPU")
    args = ap.parse_args()

    pinned_cpu = None
    if not args.no_pin_cpu and hasattr(os, "sched_setaffinity"):
        try:
            cpu = min(os.sched_getaffinity(0))
            os.sched_setaffinity(0, {cpu})
            pinned_cpu = cpu
        except OSError:
            pass

    t_wall0 = time.perf_counter()

    t = time.perf_counter()
    import vietnamadminunits as vau
    from vietnamadminunits import ParseMode, ConvertMode
    import vietnamadminunits.converter.converter_2025 as conv_mod
    import_seconds = time.perf_counter() - t
    try:
        from importlib.metadata import version
        vau_version = version("vietnamadminunits")
    except Exception:
        vau_version = getattr(vau, "__version__", "unknown")

    geocode_calls = 0
    real_geo = conv_mod.get_geo_location

    def geo(addr):
        nonlocal geocode_calls
        geocode_calls += 1
        return real_geo(addr) if args.geocode else None

    conv_mod.get_geo_location = geo

    table = WardTable(args.wards)

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    if not os.path.exists(args.input):
        sys.exit(f"eval-peer: labelled set not found: {args.input}")
    rows = []
    with open(args.input, encoding="utf-8") as f:
        for i, line in enumerate(f):
            line = line.strip()
            if not line:
                continue
            rows.append(json.loads(line))
            if args.limit and len(rows) >= args.limit:
                break

    tallies = defaultdict(Tally)  # "overall", "form:new", "form:old", "noise:x", "noise:none"
    ward_how = Counter()
    prov_how = Counter()
    error_kinds = Counter()
    pkg_seconds = 0.0
    per_call = []
    # geocode calls are made inside convert_address; count which lines hit it
    geocoded_lines = 0

    with open(out_dir / "predictions.jsonl", "w", encoding="utf-8") as pf:
        for r in rows:
            text = r.get("input", "")
            form = r.get("form", "new")
            exp = r.get("expected") or {}
            unit, err = None, None
            g0 = geocode_calls
            t = time.perf_counter()
            try:
                if form == "old":
                    unit = vau.convert_address(text, mode=ConvertMode.CONVERT_2025)
                else:
                    unit = vau.parse_address(text, mode=ParseMode.FROM_2025, keep_street=True, level=2)
            except Exception as e:  # the package's own failure, counted
                err = f"{type(e).__name__}: {e}"
            dt = time.perf_counter() - t
            pkg_seconds += dt
            per_call.append(dt)
            geocoded = geocode_calls > g0
            geocoded_lines += geocoded

            prov = ward = None
            w_how = p_how = "error"
            if unit is not None:
                prov, p_how = table.map_province(unit)
                ward, w_how = table.map_ward(unit, prov)
                if ward and not prov:
                    prov = table.wards[ward]["province_code"]
            else:
                error_kinds[err.split(":")[0]] += 1
            ward_how[w_how] += 1
            prov_how[p_how] += 1

            ward_ok = bool(ward) and ward == exp.get("ward_code")
            prov_ok = bool(prov) and prov == exp.get("province_code")
            keys = ["overall", f"form:{form}"]
            noise = r.get("noise") or []
            keys += [f"noise:{x}" for x in noise] or ["noise:none"]
            for k in keys:
                tallies[k].add(ward_ok, prov_ok, ward is not None, err is not None)

            rec = {
                "n": r.get("n"),
                "ward_code": ward,
                "province_code": prov,
                "error": err,
                "form": form,
                "ward_ok": ward_ok,
                "province_ok": prov_ok,
                "ward_map": w_how,
                "geocode_asked": geocoded,
                "pkg": None if unit is None else {
                    "ward": unit.ward, "ward_code": unit.ward_code, "province": unit.province,
                    "province_code": unit.province_code, "street": unit.street,
                },
            }
            pf.write(json.dumps(rec, ensure_ascii=False) + "\n")

    wall = time.perf_counter() - t_wall0
    n = len(rows)
    by_form = {k.split(":", 1)[1]: v.to_json() for k, v in sorted(tallies.items()) if k.startswith("form:")}
    by_noise = {k.split(":", 1)[1]: v.to_json() for k, v in sorted(tallies.items()) if k.startswith("noise:")}
    overall = tallies["overall"].to_json() if n else Tally().to_json()
    unmapped = ward_how["unmapped"] + ward_how["ambiguous"]
    summary = {
        "peer": "vietnamadminunits",
        "peer_version": vau_version,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "input": os.path.relpath(os.path.abspath(args.input), ROOT),
        "n": n,
        "calls": {
            "new": "parse_address(text, mode=ParseMode.FROM_2025, keep_street=True, level=2)",
            "old": "convert_address(text, mode=ConvertMode.CONVERT_2025)",
        },
        "overall": overall,
        "by_form": by_form,
        "by_noise": by_noise,
        "exceptions": sum(error_kinds.values()),
        "exception_kinds": dict(error_kinds),
        "mapping": {
            "ward": dict(ward_how),
            "province": dict(prov_how),
            "ward_unmapped": unmapped,
            "note": "pkg_code: package's ward code is ours; name/name_plain: matched by (province, name); "
                    "none: package gave no ward; unmapped/ambiguous: package gave a ward we could not map",
        },
        "geocoder": {
            "enabled": bool(args.geocode),
            "lines_that_asked": geocoded_lines,
            "note": "convert_address geocodes split old wards with a street via ArcGIS; "
                    "disabled -> package falls back to the split's default new ward",
        },
        "timing": {
            "single_process": True,
            "pinned_cpu": pinned_cpu,
            "package_seconds": round(pkg_seconds, 4),
            "addresses_per_second": round(n / pkg_seconds, 1) if pkg_seconds > 0 else None,
            "first_call_ms": round(per_call[0] * 1000, 2) if per_call else None,
            "median_call_ms": round(statistics.median(per_call) * 1000, 3) if per_call else None,
            "p99_call_ms": round(sorted(per_call)[min(len(per_call) - 1, int(len(per_call) * 0.99))] * 1000, 3)
            if per_call else None,
            "import_seconds": round(import_seconds, 3),
            "wall_seconds": round(wall, 3),
        },
        "outputs": {
            "predictions": str(out_dir / "predictions.jsonl"),
            "summary": str(out_dir / "summary.json"),
        },
    }
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    (out_dir / "summary.json").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(1)
