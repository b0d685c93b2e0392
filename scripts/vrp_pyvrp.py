#!/usr/bin/env python3
"""Solve one Solomon / Gehring-Homberger instance with PyVRP (PyPI `pyvrp`) and write its routes.

    scripts/vrp_pyvrp.py INSTANCE.txt SECONDS [SEED] [vehicles|distance] > ROUTES.txt

Runs in the venv that scripts/bench-vrp.sh makes (`pip install pyvrp`); PyVRP's search is single-threaded (one
core). Objective `vehicles` (default): vehicles first, through a fixed cost per vehicle larger than any total
distance, then distance; `distance`: no cost per vehicle, least total distance with up to the file's fleet.
PyVRP works in integers, so coordinates, times and distances are scaled by 1,000: distances rounded to the nearest
unit, travel times rounded *up* (so a schedule PyVRP finds feasible is feasible in exact arithmetic too; the
windows and service times of these files are integers, exact after scaling). The routes are printed as
`Route #k: customers` (Solomon numbering, depot left out) with the exact distance recomputed by the independent
checker, not here. The time limit covers PyVRP's search only (MaxRuntime), not reading the file.
"""

import math
import sys

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

SCALE = 1000


def read(path):
    fleet = capacity = None
    nodes = []
    with open(path) as f:
        for line in f:
            try:
                nums = [float(x) for x in line.split()]
            except ValueError:
                continue
            if len(nums) == 2 and fleet is None:
                fleet, capacity = int(nums[0]), int(nums[1])
            elif len(nums) == 7:
                nodes.append(nums)
    return fleet, capacity, np.array(nodes)


def main():
    path, seconds = sys.argv[1], float(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    objective = sys.argv[4] if len(sys.argv) > 4 else "vehicles"
    if objective not in ("vehicles", "distance"):
        sys.exit(f"objective is vehicles or distance, not {objective}")
    fleet, capacity, nodes = read(path)
    xy = nodes[:, 1:3]
    euclid = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) * SCALE
    dist = np.rint(euclid).astype(np.int64)
    dur = np.ceil(euclid - 1e-9).astype(np.int64)
    horizon = int(nodes[0, 5]) * SCALE
    # vehicles first: a vehicle costs more than any tour's distance; distance only: vehicles are free
    big = int(dist.sum(axis=1).max() * 2 + 1) if objective == "vehicles" else 0
    locations = [pyvrp.Location(x=int(x * SCALE), y=int(y * SCALE)) for x, y in xy]
    depots = [pyvrp.Depot(location=0, tw_early=int(nodes[0, 4]) * SCALE, tw_late=horizon)]
    clients = [
        pyvrp.Client(
            location=i,
            delivery=[int(nodes[i, 3])],
            service_duration=int(nodes[i, 6]) * SCALE,
            tw_early=int(nodes[i, 4]) * SCALE,
            tw_late=int(nodes[i, 5]) * SCALE,
        )
        for i in range(1, len(nodes))
    ]
    vtypes = [
        pyvrp.VehicleType(
            num_available=fleet, capacity=[capacity], fixed_cost=big, tw_early=int(nodes[0, 4]) * SCALE, tw_late=horizon
        )
    ]
    data = pyvrp.ProblemData(locations, clients, depots, vtypes, [dist], [dur])
    result = pyvrp.solve(data, stop=MaxRuntime(seconds), seed=seed, collect_stats=False, display=False)
    sol = result.best
    print(f"# pyvrp {seconds:g} s seed {seed} objective {objective}: feasible {sol.is_feasible()}, iterations {result.num_iterations}")
    for k, route in enumerate(sol.routes(), 1):
        # an activity's idx counts the clients from 0; the Solomon file numbers them from 1 (0 is the depot)
        print(f"Route #{k}: {' '.join(str(a.idx + 1) for a in route if a.is_client())}")


if __name__ == "__main__":
    main()
