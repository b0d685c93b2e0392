#!/usr/bin/env bash
# Route quality of the courier router on the academic VRPTW instances (BENCHMARKS.md, "Delivery planning").
#
# 1. Without arguments (as before): the 56 Solomon (100 customers) and 60 Gehring–Homberger (200 customers) instances
#    against their best-known results through `cargo bench --bench vrp_instances`, every solution checked by
#    `vrp::check` before it counts.
#
#      scripts/bench-vrp.sh                       # both sets, 40,000 iterations, each solve capped at 0.95 s
#      VRP_SET=solomon VRP_ITERATIONS=15000 scripts/bench-vrp.sh
#
# 2. `compare`: diachi and PyVRP on the same files in the same run, at equal wall time per instance, every route of
#    both solvers checked twice, with `vrp::check` (crates/vrp/examples/solomon.rs --check) and with the independent
#    scripts/vrp_check.py; prints the per-instance table and the summary (scripts/vrp_report.py).
#
#      scripts/bench-vrp.sh compare homberger_200 homberger_600     # default: homberger_200 homberger_600 homberger_1000
#      VRP_PER_SET=6 scripts/bench-vrp.sh compare homberger_200     # 6 instances a set, spread over the classes
#
#    Solvers (VRP_SOLVERS, default "diachi diachi1 pyvrp"): `diachi` = vrp::solve on VRP_THREADS threads (default: the
#    machine's cores), `diachi1` = the same held to one thread, `pyvrp` = PyVRP from PyPI (one core; vehicles first
#    through a fixed cost per vehicle) in a venv made under target/venv-pyvrp (VRP_VENV), `vrpcli` = vrp-cli, the
#    command line of the vrp-core crate (reinterpretcat/vrp, reads Solomon files itself; its default: fewest tours,
#    then distance; on all cores), cargo-installed the first time into ~/.cache/diachi/vrp-cli-<version> (VRP_CLI
#    names another binary); `vrpcli1` = the same on one thread (`--parallelism 1,1`). vrp-cli is measured with the
#    vehicles objective only (the distance objective needs its own JSON format). Seconds per instance:
#    VRP_SECONDS, or by set: Solomon 1, 200 customers 2, 600 → 8, 1,000 → 15 (issue 18). Routes and the raw results
#    go to target/vrp-bench/<time>/ (VRP_OUT). VRP_SEED (default 1).
#
#    VRP_OBJECTIVE: `vehicles` (default: fewest couriers, then distance; PyVRP through a fixed cost per vehicle larger
#    than any tour) or `distance` (every vehicle of the fleet may go out, least total distance: diachi with
#    `minimize_vehicles: false`, PyVRP with no fixed cost).
#
# VRP_DIR names the folder holding the sets (default ../shared/vrp: the instances are not in the repository; see that
# folder's README for their source and licence). Solve times by size: `cargo bench --bench vrp`.
set -euo pipefail
cd "$(dirname "$0")/.."
export VRP_DIR=${VRP_DIR:-$PWD/../shared/vrp}

if [[ ${1:-} != compare ]]; then
  export VRP_ITERATIONS=${VRP_ITERATIONS:-40000}
  export VRP_SECONDS=${VRP_SECONDS:-0.95}
  [[ -d $VRP_DIR/solomon ]] || { echo "no instances in $VRP_DIR (set VRP_DIR)" >&2; exit 2; }
  exec cargo bench --bench vrp_instances
fi
shift
sets=("$@")
[[ ${#sets[@]} -gt 0 ]] || sets=(homberger_200 homberger_600 homberger_1000)
solvers=(${VRP_SOLVERS:-diachi diachi1 pyvrp})
threads=${VRP_THREADS:-$(nproc)}
seed=${VRP_SEED:-1}
objective=${VRP_OBJECTIVE:-vehicles}
case $objective in
  vehicles) own_flags=() ;;
  distance) own_flags=(--distance-only) ;;
  *) echo "VRP_OBJECTIVE is vehicles or distance, not $objective" >&2; exit 2 ;;
esac
out=${VRP_OUT:-target/vrp-bench/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
target_dir=${CARGO_TARGET_DIR:-target}

cargo build --release -p diachi-vrp --example solomon
cp "$target_dir/release/examples/solomon" "$out/diachi-solomon" # a rebuild during the run does not change the solver
runner=$out/diachi-solomon

if [[ " ${solvers[*]} " == *" vrpcli"* ]]; then
  vrpcli_version=1.25.0
  vrpcli=${VRP_CLI:-${XDG_CACHE_HOME:-$HOME/.cache}/diachi/vrp-cli-$vrpcli_version/bin/vrp-cli}
  if [[ ! -x $vrpcli ]]; then
    cargo install "vrp-cli@$vrpcli_version" --locked --quiet --root "$(dirname "$(dirname "$vrpcli")")"
  fi
fi

if [[ " ${solvers[*]} " == *" pyvrp "* ]]; then
  venv=${VRP_VENV:-target/venv-pyvrp}
  if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import pyvrp' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'pyvrp==0.14.1'
  fi
fi

seconds_for() {
  [[ -n ${VRP_SECONDS:-} ]] && { echo "$VRP_SECONDS"; return; }
  case $1 in solomon) echo 1 ;; *_200) echo 2 ;; *_600) echo 8 ;; *_1000) echo 15 ;; *) echo 2 ;; esac
}

# the instances of a set, VRP_PER_SET of them (all by default) taken in turn from each class (C1, C2, R1, R2, RC1, RC2)
pick() {
  local dir=$VRP_DIR/$1 n=${VRP_PER_SET:-0}
  python3 - "$dir" "$n" <<'PY'
import os, re, sys
d, n = sys.argv[1], int(sys.argv[2])
names = sorted(f[:-4] for f in os.listdir(d) if f.endswith(".txt"))
key = lambda s: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s.lower())]
classes = {}
for s in sorted(names, key=key):
    classes.setdefault(re.match(r"[a-zA-Z]+\d?", s).group(0).lower(), []).append(s)
order = []
while any(classes.values()):
    for c in sorted(classes):
        if classes[c]:
            order.append(classes[c].pop(0))
print("\n".join(order[:n] if n > 0 else sorted(names, key=key)))
PY
}

results=$out/results.tsv
: >"$results"
for set in "${sets[@]}"; do
  secs=$(seconds_for "$set")
  mkdir -p "$out/$set"
  for name in $(pick "$set"); do
    file=$VRP_DIR/$set/$name.txt
    for solver in "${solvers[@]}"; do
      routes=$out/$set/$name.$solver.txt
      t0=$(date +%s%N)
      case $solver in
        diachi) "$runner" "$file" --seconds "$secs" --threads "$threads" --seed "$seed" "${own_flags[@]}" >"$routes" || true ;;
        diachi1) "$runner" "$file" --seconds "$secs" --threads 1 --seed "$seed" "${own_flags[@]}" >"$routes" || true ;;
        vrpcli | vrpcli1)
          [[ $objective == vehicles ]] || continue
          par=(); [[ $solver == vrpcli1 ]] && par=(--parallelism 1,1)
          "$vrpcli" solve solomon "$file" --max-time "$secs" "${par[@]}" --out-result "$routes" >/dev/null 2>&1 || true ;;
        pyvrp) "$venv/bin/python" scripts/vrp_pyvrp.py "$file" "$secs" "$seed" "$objective" >"$routes" || true ;;
        *) echo "unknown solver $solver" >&2; exit 2 ;;
      esac
      ms=$((($(date +%s%N) - t0) / 1000000))
      own=$("$runner" "$file" --check "$routes" | tail -1 | sed 's/^# vrp::check: //') || true
      ind=$(python3 scripts/vrp_check.py --json "$file" "$routes" |
        python3 -c 'import json,sys; r=json.load(sys.stdin); print("ok" if r["feasible"] else "FAIL", r["vehicles"], "%.4f" % r["distance"], sep="\t")') || true
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$name" "$solver" "$ms" "${own:-FAIL}" "$ind" | tee -a "$results" >&2
    done
  done
done
echo "# bench-vrp compare $(date -u +%FT%TZ): sets ${sets[*]}; solvers ${solvers[*]}; objective $objective; diachi threads $threads; seed $seed; per set ${VRP_PER_SET:-all}" | tee "$out/report.md"
python3 scripts/vrp_report.py "$results" "$VRP_DIR" | tee -a "$out/report.md"
