"""Waits until URL answers 200, up to a deadline; fails early when the server process PID has exited.

    python3 scripts/wait-ready.py URL PID SECONDS

Used by scripts/schemathesis.sh and scripts/browser-test.sh (a polling loop with a deadline, not a fixed sleep).
"""
import os
import sys
import time
import urllib.request

url, pid, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the server exited before it was ready")
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(f"{url} was not ready within {sys.argv[3]} s")
