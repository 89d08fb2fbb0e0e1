#!/usr/bin/env python3
"""Cross-check of scripts/coldstart/bench.py through cargo-lambda's own Runtime API emulator
(`cargo lambda watch --only-lambda-apis`, started by scripts/bench-coldstart): each release
bootstrap is started by hand against it (AWS_LAMBDA_RUNTIME_API=http://HOST:PORT/.rt,
AWS_LAMBDA_FUNCTION_NAME=_) and invoked at once through the emulator's invoke endpoint; the
time is exec → the invoke's answer as a client sees it (init + first invoke + the emulator's
own hops). That emulator gives no separate init time, hence bench.py for the table. The
bootstrap's AWS requests go through bench.py's timing proxy: the table says how long moto was
answering one of them meanwhile (for a read begun at init on a second thread, beside the
init's own work, so it is shown and not taken off).
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--moto-url", required=True)
    ap.add_argument("--watch", required=True, help="host:port of cargo lambda watch")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", required=True)
    ap.add_argument("names", nargs="+")
    args = ap.parse_args()

    bin_dir = Path(args.bin_dir).resolve()
    out = Path(args.out)
    args.names = [n for n in args.names if (bin_dir / n).is_file()]
    functions = bench.template_functions(args.moto_url)
    routes = bench.http_routes()
    home = "/tmp"
    times = {n: [] for n in [bench.HELLO] + args.names}
    moto = {n: [] for n in [bench.HELLO] + args.names}
    for r in range(args.runs):
        for name in [bench.HELLO] + args.names + [bench.HELLO]:
            if name == bench.HELLO:
                path, memory, fenv, event = (
                    bin_dir / "examples" / bench.HELLO, 256, {}, bench.apigw_v2_event("GET", "/hello")
                )
            else:
                memory, _, fenv = functions[name]
                path, event = bin_dir / name, bench.apigw_v2_event(*routes[name])
            env = bench.lambda_env(name, memory, f"http://{args.watch}/.rt", args.moto_url, home)
            env.update(fenv)
            env["AWS_LAMBDA_FUNCTION_NAME"] = "_"
            run = bench.Run(None, 0)
            proxy = bench.Server.serving(bench.ServiceProxy, run, args.moto_url)
            env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{proxy.server_address[1]}"
            request = urllib.request.Request(
                f"http://{args.watch}/2015-03-31/functions/_/invocations",
                data=json.dumps(event).encode(),
                method="POST",
                headers={"Content-Type": "application/json"},
            )
            with open(out / "logs" / f"watch-{name}.log", "ab") as log:
                # Into the page cache first, as bench.py does: the disk is not the subject.
                with open(path, "rb") as binary:
                    while binary.read(1 << 20):
                        pass
                t0 = time.perf_counter_ns()
                proc = subprocess.Popen([str(path)], env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status = json.loads(answer.read()).get("statusCode")
                    t1 = time.perf_counter_ns()
                    ms = (t1 - t0) / 1e6
                finally:
                    proc.kill()
                    proc.wait()
                    proxy.close()
            busy = bench.busy_ns(list(run.service_spans), t0, t1) / 1e6
            times[name].append(ms)
            moto[name].append(busy)
            print(
                f"watch round {r + 1}/{args.runs} {name:24} exec → answer {ms:8.2f} ms"
                f" (moto {busy:5.2f} ms)  {status}",
                flush=True,
            )
    hello = statistics.median(times[bench.HELLO])
    lines = [
        "",
        "Through `cargo lambda watch --only-lambda-apis`: exec → the first invoke's answer, median",
        "",
        "| function | cold start | ÷ hello | moto answering meanwhile |",
        "|---|---|---|---|",
    ]
    for name in [bench.HELLO] + args.names:
        m = statistics.median(times[name])
        lines.append(f"| {name} | {m:.1f} ms | {m / hello:.1f}× | {statistics.median(moto[name]):.1f} ms |")
    with open(out / "table.md", "a") as f:
        f.write("\n".join(lines) + "\n")
    (out / "watch.json").write_text(json.dumps({"exec_to_answer_ms": times, "moto_busy_ms": moto}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
