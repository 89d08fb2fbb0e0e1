#!/usr/bin/env python3
"""Occasional logins beside the wrk mix of scripts/bench-load: RATE logins a second for
DURATION seconds, the customers in turn, each from its own loopback source address
(127.a.b.c), since the portal limits logins per address (30 in 10 minutes), as it would see
them from many homes. Prints how many answered 200 and their latency percentiles.
    logins.py URL CUSTOMERS FIRST_ACCOUNT RATE DURATION
"""
import http.client
import json
import sys
import threading
import time

base, customers, first, rate, duration = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
host, port = base.removeprefix("http://").split(":")
PASSWORD = "Нагрузка-2026!"  # as scripts/load/prepare.py registers them

latencies, statuses, lock = [], {}, threading.Lock()


def login(n):
    source = f"127.{100 + n // 65025 % 100}.{n // 255 % 255}.{1 + n % 254}"
    body = json.dumps({"account": str(first + n % customers), "password": PASSWORD})
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection(host, int(port), timeout=30, source_address=(source, 0))
        conn.request("POST", "/api/login", body=body, headers={"Origin": base, "Content-Type": "application/json"})
        status = conn.getresponse().status
        conn.close()
    except OSError as e:
        status = type(e).__name__
    elapsed = time.perf_counter() - started
    with lock:
        statuses[status] = statuses.get(status, 0) + 1
        latencies.append(elapsed)


threads, start, n = [], time.perf_counter(), 0
while time.perf_counter() - start < duration:
    due = start + n / rate
    time.sleep(max(0.0, due - time.perf_counter()))
    thread = threading.Thread(target=login, args=(n,))
    thread.start()
    threads.append(thread)
    n += 1
for thread in threads:
    thread.join()
latencies.sort()


def pct(p):
    return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000


print(f"logins {n} at {rate:g}/s: statuses {statuses}; latency p50 {pct(50):.1f} ms, p99 {pct(99):.1f} ms, max {latencies[-1] * 1000:.1f} ms")
