"""Cost of the runtime: wall time of two benchmark scripts under the
launcher (with the test listener consuming the events) divided by their
plain wall time, from interleaved runs; prints one line per benchmark and a
JSON summary line. `python3 test/python/bench_runtime.py [--runs N] [--method M]`.

Targets (DESIGN, Performance): queue flood <= 1.15x, CPU-bound Pool.map <= 1.03x (wall time).
Also printed: the ratio of CPU seconds of the whole process tree, less sensitive to other load
on the machine, and the load average (wall ratios on a busy 2-core machine are noise)."""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import listener as L  # noqa: E402

BENCH = os.path.join(L.ROOT, "bench")  # the scripts `npm run bench` runs (one copy)
# name, script, its arguments before the start method, target
CASES = [("queue_flood", "queue_flood.py", ["100000", "4"], 1.15), ("pool_map_cpu", "pool_cpu.py", ["2", "64"], 1.03)]


def timed(cmd, env):
    """Wall seconds, CPU seconds of the whole process tree (user+system), stdout."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit("benchmark failed: %s\n%s" % (cmd, r.stderr.decode()))
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return dt, cpu, r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--method", default="fork")
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    plain_env = dict(os.environ)
    plain_env.pop("FORKSCOPE_RUNTIME", None)
    summary = {}
    for name, script, args, target in CASES:
        path = os.path.join(BENCH, script)
        args = args + [a.method]
        plain, inst, pcpu, icpu, events = [], [], [], [], 0
        timed([a.python, path] + args, plain_env)  # warm the page cache
        for i in range(a.runs):
            lst = L.Listener(keep=False)
            try:
                order = [0, 1] if i % 2 == 0 else [1, 0]
                for which in order:
                    if which == 0:
                        dt, cpu, out_p = timed([a.python, path] + args, plain_env)
                        plain.append(dt)
                        pcpu.append(cpu)
                    else:
                        dt, cpu, out_i = timed([a.python, L.LAUNCHER, path] + args, lst.env(plain_env))
                        inst.append(dt)
                        icpu.append(cpu)
                lst.wait_idle(5)
                events += lst.count
            finally:
                lst.close()
            if out_p != out_i:
                raise SystemExit("%s: output differs under the runtime" % name)
        mp_, mi = statistics.median(plain), statistics.median(inst)
        ratio = mi / mp_
        cpu_ratio = statistics.median(icpu) / statistics.median(pcpu)
        summary[name] = {"plainSeconds": round(mp_, 3), "instrumentedSeconds": round(mi, 3), "ratio": round(ratio, 3), "cpuRatio": round(cpu_ratio, 3), "target": target, "eventsPerRun": events // a.runs, "loadAverage": round(os.getloadavg()[0], 2)}
        print("%-14s plain %.3fs  instrumented %.3fs  ratio %.3f (target <= %.2f)  cpu ratio %.3f  %d events/run  load %.1f" % (name, mp_, mi, ratio, target, cpu_ratio, events // a.runs, os.getloadavg()[0]))
    print(json.dumps({"bench": "runtime", "method": a.method, "runs": a.runs, "results": summary}))


if __name__ == "__main__":
    main()
