"""The abuse test's clients (issue 16): hostile requests and normal lookups from several processes against a running
server, a latency probe beside them, the server's RSS sampled throughout. Standard library only.

    python3 scripts/abuse.py --base http://127.0.0.1:PORT --pid PID --keys KEYS.json [--seconds 40]
                             [--rss-mb 1024] [--p99-ms 20] [--json OUT.json]

KEYS.json: {"plan_a": "dck_…", "plan_b": "dck_…", "validate": "dck_…"} (keys with those scopes).
Fails (exit 1) unless: the server is still up at the end, no answer had a 5xx status, every 4xx answer was the JSON
error shape, every hostile request got the answer the security fixes promise (see CHECKS), tenant A's plan stayed
readable throughout, the RSS stayed under --rss-mb, and the probe's p99 (GET /health and GET /v1/reverse, one
connection, one request at a time) stayed under --p99-ms. Prints one summary (JSON) for BENCHMARKS.md.
"""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import socket
import sys
import threading
import time
import urllib.parse

# Points inside Vietnam (ward centres of a few provinces) for the normal lookups.
POINTS = [(105.85, 21.03), (106.70, 10.78), (108.22, 16.05), (105.78, 10.03), (106.68, 20.86), (107.59, 16.46),
          (105.69, 18.68), (108.45, 11.94), (104.92, 21.72), (109.19, 12.24)]


class Client:
    """One keep-alive HTTP/1.1 connection, reopened after errors or `Connection: close`."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.conn = None

    def request(self, method, path, body=None, headers=None, timeout=30):
        hdrs = {"Host": f"{self.host}:{self.port}"}
        hdrs.update(headers or {})
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def raw_request(host, port, head: bytes, timeout=10):
    """Sends bytes on a fresh socket, returns (status, body) of the answer (for requests http.client won't send)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(head)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                hdr, _, rest = data.partition(b"\r\n\r\n")
                length = next((int(l.split(b":")[1]) for l in hdr.split(b"\r\n") if l.lower().startswith(b"content-length:")), None)
                if length is not None and len(rest) >= length:
                    break
    if not data.startswith(b"HTTP/1."):
        return 0, data
    hdr, _, rest = data.partition(b"\r\n\r\n")
    return int(hdr.split(b" ")[1]), rest


class Tally:
    def __init__(self, name):
        self.name, self.n, self.statuses, self.failures = name, 0, {}, []

    def fail(self, why):
        if len(self.failures) < 5:
            self.failures.append(why)
        else:
            self.failures.append(None)

    def see(self, what, status, body, expect=None):
        self.n += 1
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if status >= 500 or status == 0:
            self.fail(f"{what}: {status} {body[:200]!r}")
            return False
        if status >= 400:
            try:
                err = json.loads(body)["error"]
                assert isinstance(err["code"], str) and err["message"]
            except (ValueError, KeyError, TypeError, AssertionError):
                self.fail(f"{what}: {status} is not the JSON error shape: {body[:200]!r}")
                return False
        if expect is not None and not expect(status, body):
            self.fail(f"{what}: unexpected answer {status} {body[:200]!r}")
            return False
        return True

    def summary(self):
        shown = [f for f in self.failures if f is not None]
        return {"requests": self.n, "statuses": self.statuses, "failures": len(self.failures), "examples": shown}


# ----- the hostile scenarios: each takes (client, keys, rng) and returns (what, status, body, expect) -----------------

def plan_body(office, fleets, capacity=10, parcels=1, n_ship=1):
    fleet = {"count": 1000, "capacity": capacity, "profile": "motorbike", "shift": {"start": "08:00", "end": "17:00"}}
    return {
        "shipments": [{"id": f"s{i}", "lon": 105.85 + i * 1e-4, "lat": 21.03, "parcels": parcels} for i in range(n_ship)],
        "post_offices": [{"id": office, "couriers": [fleet] * fleets if fleets > 1 else fleet}],
    }


def is_4xx(status, _body):
    return 400 <= status < 500


def many_fleets(c, keys, rng, office):
    """Finding 1: thousands of fleets of 1,000 couriers each, one shipment."""
    body = json.dumps(plan_body(office, 5000)).encode()
    s, _, b = c.request("POST", "/v1/deliveries/plan", body, {"Authorization": f"Bearer {keys['plan_b']}",
                                                             "Content-Type": "application/json"})
    return "many fleets", s, b, is_4xx


def plan_flood(c, keys, rng, office):
    """Finding 2: tenant B floods asynchronous plans (each must be accepted or refused with 429, never evict A's)."""
    body = json.dumps({**plan_body(office, 1), "post_offices": [{"id": office, "couriers": {"count": 1, "capacity": 10,
                      "profile": "motorbike", "shift": {"start": "08:00", "end": "17:00"}}}]}).encode()
    s, _, b = c.request("POST", "/v1/deliveries/plan?async=true", body,
                        {"Authorization": f"Bearer {keys['plan_b']}", "Content-Type": "application/json"})
    return "plan flood", s, b, lambda st, _b: st in (202, 429)


def overflow(c, keys, rng, office):
    """Finding 3: loads at u32::MAX must be refused, not wrapped (sent by tenant B: A's slots stay A's)."""
    body = plan_body(office, 1, capacity=4294967295, parcels=4294967295, n_ship=2)
    body["post_offices"][0]["couriers"] = {"count": 1, "capacity": 4294967295, "profile": "motorbike",
                                           "shift": {"start": "08:00", "end": "17:00"}}
    s, _, b = c.request("POST", "/v1/deliveries/plan", json.dumps(body).encode(),
                        {"Authorization": f"Bearer {keys['plan_b']}", "Content-Type": "application/json"})
    # 400 (over the schema's bounds) or, while B's own flood holds its running slots, 429 plan_quota_exceeded
    # (the slot is taken before the body is read); never a plan with wrapped loads
    return "u32 overflow", s, b, lambda st, body: st == 400 or (st == 429 and b"plan_quota_exceeded" in body)


def host_injection(c, keys, rng, office):
    """Finding 4: the Host header must not reach the style's JSON."""
    evil = 'x.test/","glyphs":"https://evil.example/{fontstack}/{range}.pbf","zz":"'
    s, _, b = c.request("GET", "/styles/diachi.json", headers={"Host": evil, "X-Forwarded-Host": "evil.example"})

    def ok(st, body):
        if st != 200:
            return st == 400
        json.loads(body)
        return b"evil.example" not in body

    return "host injection", s, b, ok


def forwarded_catalog(c, keys, rng, office):
    """Finding 4: X-Forwarded-* from an untrusted peer must not steer the URLs of /catalog and TileJSON."""
    path = rng.choice(["/catalog", "/tiles/wards.json"])
    s, _, b = c.request("GET", path, headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "gopher",
                                              "Forwarded": "host=evil.example;proto=https"})
    return f"forwarded {path}", s, b, lambda st, body: b"evil.example" not in body and b"gopher" not in body


def area_code(c, keys, rng, office):
    """Finding 6: a digital area code covering 16 deg² must be bounded (refused or capped)."""
    code = rng.choice(["VP", "VQ", "VR", "VS", "VT", "UP", "WP"])
    s, _, b = c.request("GET", f"/v1/digital-addresses/{code}?limit=1")
    return "area code", s, b, None


def h3_anywhere(c, keys, rng, office):
    """Finding 6: H3 cells anywhere on Earth (res 0–5) must not fill a cache."""
    res = rng.randint(0, 5)
    # a valid cell index: mode 1, resolution, base cell, digits 0–6, unused digits 7
    base = rng.randint(0, 121)
    cell = (1 << 59) | (res << 52) | (base << 45)
    for r in range(1, 16):
        digit = rng.randint(0, 6) if r <= res else 7
        cell |= digit << (3 * (15 - r))
    s, _, b = c.request("GET", f"/v1/h3/{cell:x}")
    return "h3 anywhere", s, b, None


def blank_lines(c, keys, rng, office):
    """Finding 6: an NDJSON batch of nothing but newlines (4 MiB) must be refused early."""
    s, _, b = c.request("POST", "/v1/addresses/validate/batch", b"\n" * (4 << 20),
                        {"Authorization": f"Bearer {keys['validate']}", "Content-Type": "application/x-ndjson"})
    return "blank lines", s, b, lambda st, body: st >= 400 or b"error" in body


def long_uri(c, keys, rng, office):
    """Finding 6: a 100 KB URI gets a JSON error."""
    s, b = raw_request(c.host, c.port, f"GET /v1/reverse?lon=105.8&lat=21.0&x={'a' * 100_000} HTTP/1.1\r\n"
                       f"Host: localhost\r\nConnection: close\r\n\r\n".encode())
    return "long uri", s, b, is_4xx


def big_header(c, keys, rng, office):
    """Finding 6: a 160 KB header, or 120 headers, get a JSON error (431), not an empty answer."""
    if rng.random() < 0.5:
        extra = f"X-Junk: {'j' * 160_000}\r\n"
    else:
        extra = "".join(f"X-Junk-{i}: j\r\n" for i in range(120))
    s, b = raw_request(c.host, c.port, f"GET /health HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n".encode())
    return "big header", s, b, is_4xx


def unknown_keys(c, keys, rng, office):
    """Finding 6: well-formed unknown key ids are refused (401/403), cheaply."""
    key = "dck_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8)) + "_" + "x" * 43
    s, _, b = c.request("POST", "/v1/addresses/validate", b'{"address":"1 Hang Bac, Ha Noi"}',
                        {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    return "unknown key", s, b, lambda st, _b: st in (401, 403, 429)


HOSTILE = [many_fleets, plan_flood, overflow, host_injection, forwarded_catalog, area_code, h3_anywhere, blank_lines,
           long_uri, big_header, unknown_keys]


def normal(c, keys, rng, office):
    lon, lat = rng.choice(POINTS)
    lon += rng.uniform(-0.02, 0.02)
    lat += rng.uniform(-0.02, 0.02)
    kind = rng.randrange(5)
    if kind == 0:
        path = f"/v1/reverse?lon={lon:.5f}&lat={lat:.5f}"
    elif kind == 1:
        path = f"/v1/postcodes?lon={lon:.5f}&lat={lat:.5f}"
    elif kind == 2:
        path = f"/v1/addresses/nearest?lon={lon:.5f}&lat={lat:.5f}&k=5"
    elif kind == 3:
        path = f"/v1/post-offices/nearest?lon={lon:.5f}&lat={lat:.5f}"
    else:
        import math
        z = rng.randint(6, 14)
        x = int((lon + 180) / 360 * 2**z)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
        path = f"/tiles/wards/{z}/{x}/{y}"
    s, _, b = c.request("GET", path)
    return "normal " + path.split("?")[0].rsplit("/", 3)[0], s, b, lambda st, _b: st in (200, 204)


# ----- processes --------------------------------------------------------------------------------------------------

def worker(name, scenarios, base, keys, office, deadline, seed, out):
    os.nice(10)  # the attackers stand for other machines: they must not take the probe's or the server's core
    rng = random.Random(seed)
    c = Client(base)
    tally = Tally(name)
    while time.monotonic() < deadline:
        scenario = rng.choice(scenarios)
        try:
            what, s, b, expect = scenario(c, keys, rng, office)
        except (OSError, http.client.HTTPException) as e:
            tally.see(scenario.__name__, 0, repr(e).encode())
            continue
        tally.see(what, s, b, expect)
    out.put((name, tally.summary()))


def probe(base, deadline, out):
    rng = random.Random(1)
    c = Client(base)
    tally = Tally("probe")
    lat_ms = []
    while time.monotonic() < deadline:
        if rng.random() < 0.5:
            path = "/health"
        else:
            lon, lat = rng.choice(POINTS)
            path = f"/v1/reverse?lon={lon + rng.uniform(-0.01, 0.01):.5f}&lat={lat + rng.uniform(-0.01, 0.01):.5f}"
        t = time.perf_counter()
        try:
            s, _, b = c.request("GET", path, timeout=10)
        except (OSError, http.client.HTTPException) as e:
            s, b = 0, repr(e).encode()
        lat_ms.append((time.perf_counter() - t) * 1000)
        tally.see("probe " + path.split("?")[0], s, b, lambda st, _b: st == 200)
        time.sleep(0.01)  # pacing of the probe (one request every ~10 ms), not synchronisation
    out.put(("probe", {**tally.summary(), "latencies_ms": lat_ms}))


def tenant_a(base, keys, office, deadline, out):
    """Tenant A queues one plan first, then reads it back all through the test: it must never disappear."""
    c = Client(base)
    tally = Tally("tenant A")
    body = json.dumps({**plan_body(office, 1), "post_offices": [{"id": office, "couriers": {"count": 1, "capacity": 10,
                      "profile": "motorbike", "shift": {"start": "08:00", "end": "17:00"}}}]}).encode()
    auth = {"Authorization": f"Bearer {keys['plan_a']}"}
    s, h, b = c.request("POST", "/v1/deliveries/plan?async=true", body, {**auth, "Content-Type": "application/json"})
    if not tally.see("tenant A queues", s, b, lambda st, _b: st == 202):
        out.put(("tenant A", tally.summary()))
        return
    href = json.loads(b)["href"]
    out.put(("tenant A started", {}))
    while time.monotonic() < deadline:
        s, _, b = c.request("GET", href, headers=auth)
        tally.see("tenant A reads its plan", s, b, lambda st, _b: st == 200)
        time.sleep(0.25)  # polling interval, not synchronisation
    out.put(("tenant A", tally.summary()))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--rss-mb", type=float, default=1024)
    ap.add_argument("--p99-ms", type=float, default=20)
    ap.add_argument("--baseline-seconds", type=float, default=5, help="the probe alone first, as the baseline")
    ap.add_argument("--hostile", type=int, default=6, help="hostile client processes")
    ap.add_argument("--normal", type=int, default=2, help="normal client processes")
    ap.add_argument("--json", help="write the summary here too")
    a = ap.parse_args()
    with open(a.keys) as f:
        keys = json.load(f)

    c = Client(a.base)
    s, _, b = c.request("GET", "/v1/post-offices/nearest?lon=105.85&lat=21.03")
    office = json.loads(b)["results"][0]["id"]
    idle_rss = rss_mb(a.pid)

    # the baseline of the same run: the probe alone against the idle server
    out = mp.Queue()
    probe(a.base, time.monotonic() + a.baseline_seconds, out)
    quiet = out.get(timeout=30)[1]
    quiet_lat = quiet.pop("latencies_ms")

    deadline = time.monotonic() + a.seconds
    procs = [mp.Process(target=tenant_a, args=(a.base, keys, office, deadline, out))]
    procs[0].start()
    started = out.get(timeout=30)  # tenant A's plan is queued before the flood begins
    if started[0] != "tenant A started":
        print(json.dumps(started, indent=1))
        sys.exit(1)
    procs.append(mp.Process(target=probe, args=(a.base, deadline, out)))
    for i in range(a.hostile):
        procs.append(mp.Process(target=worker, args=(f"hostile {i}", HOSTILE, a.base, keys, office, deadline, 100 + i, out)))
    for i in range(a.normal):
        procs.append(mp.Process(target=worker, args=(f"normal {i}", [normal], a.base, keys, office, deadline, 200 + i, out)))
    for p in procs[1:]:
        p.start()

    peak = idle_rss
    samples = 0
    while time.monotonic() < deadline:
        try:
            peak = max(peak, rss_mb(a.pid))
        except FileNotFoundError:
            break
        samples += 1
        time.sleep(0.1)  # sampling interval of the RSS, not synchronisation
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)

    alive = os.path.exists(f"/proc/{a.pid}")
    if alive:
        try:
            s, _, _ = Client(a.base).request("GET", "/health", timeout=5)
            alive = s == 200
        except OSError:
            alive = False
    lat = results["probe"].pop("latencies_ms")
    p99 = percentile(lat, 99)
    totals = {}
    for name, r in results.items():
        for st, n in r.get("statuses", {}).items():
            totals[st] = totals.get(st, 0) + n
    if quiet.get("failures"):
        results["probe alone"] = quiet
    failures = {name: r for name, r in results.items() if r.get("failures")}
    summary = {
        "seconds": a.seconds, "clients": {"hostile": a.hostile, "normal": a.normal, "probe": 1, "tenant_a": 1},
        "requests": sum(r.get("requests", 0) for r in results.values()), "statuses": totals,
        "rss_mb": {"idle": round(idle_rss), "peak": round(peak), "bound": a.rss_mb},
        "probe": {"requests": len(lat), "p50_ms": round(percentile(lat, 50), 2), "p99_ms": round(p99, 2),
                  "max_ms": round(max(lat), 2) if lat else None, "bound_ms": a.p99_ms},
        "probe_alone": {"seconds": a.baseline_seconds, "requests": len(quiet_lat),
                        "p50_ms": round(percentile(quiet_lat, 50), 2), "p99_ms": round(percentile(quiet_lat, 99), 2),
                        "max_ms": round(max(quiet_lat), 2) if quiet_lat else None},
        "server_up": alive, "failures": failures,
    }
    text = json.dumps(summary, indent=1, ensure_ascii=False)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    problems = []
    if not alive:
        problems.append("the server is down")
    if failures:
        problems.append(f"{sum(r['failures'] for r in failures.values())} wrong answers ({', '.join(failures)})")
    if peak > a.rss_mb:
        problems.append(f"RSS peaked at {peak:.0f} MB > {a.rss_mb:.0f} MB")
    if not p99 < a.p99_ms:
        problems.append(f"probe p99 {p99:.1f} ms >= {a.p99_ms} ms")
    if problems:
        print("abuse test FAILED: " + "; ".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"abuse test passed: {summary['requests']} requests, RSS peak {peak:.0f} MB, probe p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
