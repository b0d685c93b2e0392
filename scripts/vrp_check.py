#!/usr/bin/env python3
"""Independent checker of VRPTW routes on a Solomon / Gehring-Homberger instance (shares no code with crates/vrp).

    scripts/vrp_check.py INSTANCE.txt ROUTES.txt        # prints one line: ok|FAIL, vehicles, distance
    scripts/vrp_check.py --json INSTANCE.txt ROUTES.txt # the same as one JSON object

ROUTES.txt: one line per route, `Route #k: c1 c2 ...` with customer numbers as in the instance file (1..n, the depot 0
left out); other lines are ignored. Checked: every customer exactly once, the load of each route within the vehicle
capacity, no more routes than the fleet, service starting within each customer's window (waiting allowed, travel time =
Euclidean distance, service times counted), and each vehicle back at the depot by the depot's due time. The distance
is the plain Euclidean sum in double precision, unrounded, as in the references (see the instances' README).
Exit status 0 when feasible, 1 when not, 2 on unreadable input.
"""

import json
import math
import sys

TOL = 1e-6


def read_instance(path):
    with open(path) as f:
        lines = [l.split() for l in f.read().splitlines()]
    fleet = capacity = None
    nodes = []
    for fields in lines:
        try:
            nums = [float(x) for x in fields]
        except ValueError:
            continue
        if len(nums) == 2 and fleet is None:
            fleet, capacity = int(nums[0]), nums[1]
        elif len(nums) == 7:
            nodes.append(nums)
    if fleet is None or len(nodes) < 2:
        raise ValueError(f"{path}: not a Solomon instance")
    for i, n in enumerate(nodes):
        if int(n[0]) != i:
            raise ValueError(f"{path}: node {int(n[0])} out of order at {i}")
    return fleet, capacity, nodes


def read_routes(path):
    routes = []
    with open(path) as f:
        for line in f:
            if line.lower().startswith("route"):
                _, _, rest = line.partition(":")
                routes.append([int(x) for x in rest.split()])
    return routes


def check(instance_path, routes_path):
    fleet, capacity, nodes = read_instance(instance_path)
    routes = [r for r in read_routes(routes_path) if r]
    errors = []
    n = len(nodes) - 1
    seen = [0] * (n + 1)
    depot = nodes[0]
    horizon = depot[5]
    total = 0.0

    def d(a, b):
        return math.sqrt((a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2)

    if len(routes) > fleet:
        errors.append(f"{len(routes)} routes, fleet {fleet}")
    for k, route in enumerate(routes, 1):
        load, clock, at, dist = 0.0, depot[4], depot, 0.0
        for c in route:
            if not 1 <= c <= n:
                errors.append(f"route {k}: no customer {c}")
                break
            seen[c] += 1
            node = nodes[c]
            load += node[3]
            leg = d(at, node)
            dist += leg
            arrival = clock + leg
            start = max(arrival, node[4])
            if start > node[5] + TOL:
                errors.append(f"route {k}: customer {c} served at {start:.4f}, due {node[5]:g}")
            clock = start + node[6]
            at = node
        leg = d(at, depot)
        dist += leg
        back = clock + leg
        if back > horizon + TOL:
            errors.append(f"route {k}: back at the depot at {back:.4f}, due {horizon:g}")
        if load > capacity + TOL:
            errors.append(f"route {k}: load {load:g} over capacity {capacity:g}")
        total += dist
    missing = [c for c in range(1, n + 1) if seen[c] == 0]
    twice = [c for c in range(1, n + 1) if seen[c] > 1]
    if missing:
        errors.append(f"{len(missing)} customers not served (first {missing[:5]})")
    if twice:
        errors.append(f"{len(twice)} customers served more than once (first {twice[:5]})")
    return {"feasible": not errors, "vehicles": len(routes), "distance": total, "errors": errors[:10]}


def main(argv):
    as_json = "--json" in argv
    args = [a for a in argv if a != "--json"]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        result = check(args[0], args[1])
    except (OSError, ValueError) as e:
        print(f"vrp_check: {e}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(result))
    else:
        print(f"{'ok' if result['feasible'] else 'FAIL'} vehicles {result['vehicles']} distance {result['distance']:.4f}")
        for e in result["errors"]:
            print(f"  {e}")
    return 0 if result["feasible"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
