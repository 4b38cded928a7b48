#!/usr/bin/env python3
"""Writes bench/results/latest.md from the runs of one `./build.sh bench`: each
run directory holds the C ABI benchmark's JSON (abi.json, bench_abi --json),
BenchmarkDotNet's *-report-full.json files (bdn/results/) and run_workloads.py's
JSON (workloads.json). One table: every figure beside the baseline it was
measured against in the same run, their ratio, the goal and whether it is met.

A figure is the median over the runs of each run's own median; a ratio is the
median over the runs of each run's ratio. Goals are judged on those medians
across runs, never on one run's figure (the machine is shared: one loaded run
can flip a row).

    report.py --run DIR [--run DIR ...] --out bench/results/latest.md \
              --command "./build.sh bench" [--load-before "..."] [--elapsed "..."]
"""
import argparse
import datetime
import glob
import json
import os
import platform
import statistics
import subprocess

US, MS = 1e3, 1e6


def fmt_time(ns):
    if ns is None:
        return "n/a"
    if ns < 10:
        return f"{ns:.2f} ns"
    if ns < 1e3:
        return f"{ns:.0f} ns"
    if ns < 1e6:
        return f"{ns / US:.{1 if ns < 1e5 else 0}f} µs"
    if ns < 1e9:
        return f"{ns / MS:.{2 if ns < 1e7 else 1}f} ms"
    return f"{ns / 1e9:.2f} s"


def fmt_ratio(r):
    if r is None:
        return "n/a"
    return f"{r:.2f}×" if r < 100 else f"{r:.0f}×"


def fmt_bytes(b):
    return "n/a" if b is None else f"{b:.0f} B"


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    if cpu == "unknown":
        cpu = platform.processor() or cpu
    return f"{os.cpu_count()} cores (nproc), {cpu}{mem}, {platform.system()} {platform.release()}"


def git_state(root):
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return f"{rev}{' + uncommitted changes in the tree' if dirty else ''}"
    except OSError:
        return "unknown"


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def load_bdn(results_dir):
    """"Type.Method" → {"median_ns", "mean_ns", "alloc", "n"}; also the host info."""
    out, host = {}, {}
    for path in sorted(glob.glob(os.path.join(results_dir, "*-report-full.json"))):
        with open(path) as f:
            data = json.load(f)
        host = data.get("HostEnvironmentInfo", host)
        for b in data.get("Benchmarks", []):
            stats = b.get("Statistics") or {}
            if not stats:
                continue
            mem = b.get("Memory") or {}
            out[f"{b['Type']}.{b['Method']}"] = {
                "median_ns": stats.get("Median"),
                "mean_ns": stats.get("Mean"),
                "alloc": mem.get("BytesAllocatedPerOperation"),
                "n": stats.get("N"),
            }
    return out, host


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def span(values):
    values = [v for v in values if v is not None]
    return (min(values), max(values)) if values else None


# Pyodide's own figures, for comparison only: measured once (Pyodide 314.0.7 in
# Node 20, on a machine of this kind) before this project, not in this run.
PYODIDE = "Pyodide†"

# The interpreters of run_workloads.py's JSON, by the labels ./build.sh bench gives them.
BASELINE, UNGUARDED, GUARDED, NODE = "python3", "pyodide-run", "pyodide-run guarded", "Pyodide in Node"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", action="append", required=True, help="a run directory (repeat for several runs)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="./build.sh bench")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--elapsed", default="")
    ap.add_argument("--pyodide-node", default="", help="what the Pyodide-in-Node column ran (versions)")
    args = ap.parse_args()

    # A benchmark that failed leaves no (or a partial) file: its rows say n/a.
    runs = []
    for d in args.run:
        bdn, host = load_bdn(os.path.join(d, "bdn", "results"))
        runs.append({"c": read_json(os.path.join(d, "abi.json")), "bdn": bdn, "host": host,
                     "wl": read_json(os.path.join(d, "workloads.json"))})
    nruns = len(runs)

    # Per-run figures; a row's figure and ratio are medians over the runs.
    def c_of(run, key, field="median_ns"):
        return (run["c"].get(key) or {}).get(field)

    def b_of(run, key, field="median_ns"):
        return (run["bdn"].get(key) or {}).get(field)

    def cv(key):
        return median(c_of(r, key) for r in runs)

    def bv(key):
        return median(b_of(r, key) for r in runs)

    def ba(key):
        return median(b_of(r, key, "alloc") for r in runs)

    def ratio(a, b):
        return a / b if a is not None and b else None

    def c_ratio(key, base):
        return median(ratio(c_of(r, key), c_of(r, base)) for r in runs)

    def b_ratio(key, base):
        return median(ratio(b_of(r, key), b_of(r, base)) for r in runs)

    def spread(values):
        """' (runs: a–b)' when several runs gave figures."""
        sp = span(values)
        if nruns < 2 or sp is None:
            return ""
        return f" (runs: {fmt_time(sp[0])}–{fmt_time(sp[1])})"

    def cm(key):
        """The C figure with its CPU time, which tells work from waiting for a busy machine."""
        wall, cpu = cv(key), median(c_of(r, key, "cpu_median_ns") for r in runs)
        return (fmt_time(wall) + (f" (CPU {fmt_time(cpu)})" if wall is not None and cpu is not None else "")
                + spread(c_of(r, key) for r in runs))

    def met(ok):
        return "n/a" if ok is None else ("**yes**" if ok else "**no**")

    def le(x, limit):
        return None if x is None else x <= limit

    def both(*conds):
        return None if any(x is None for x in conds) else all(conds)

    def c_reps(key):
        reps = sorted({c_of(r, key, "reps") for r in runs} - {None})
        return "/".join(str(x) for x in reps) or "?"

    rows = []  # (what, measured, baseline, ratio, goal, met)

    def row(what, value, base_label, base_value, goal, ok, measured, r):
        rows.append((what, measured, f"{base_label}: {fmt_time(base_value)}", fmt_ratio(r), goal, met(ok)))

    def c_row(what, key, base_label, base, goal, ok_of):
        v, b, r = cv(key), cv(base), c_ratio(key, base)
        row(what, v, base_label, b, goal, ok_of(v, r), cm(key), r)

    # ---- C ABI --------------------------------------------------------------------
    c_row("C: `pyproxy_call` of `lambda i: i + 1`, INT arg (per call)", "pyproxy_call",
          "no-op C call via function pointer", "noop_call", f"≤ 200 ns ({PYODIDE}: 500–900 ns)",
          lambda v, r: le(v, 200))
    c_row('C: `pyodide_run_python("1+1")`', "run_python", "`pyproxy_length(globals)` round trip",
          "pyproxy_length", f"≤ 15 µs ({PYODIDE}: ~250 µs)", lambda v, r: le(v, 15 * US))
    c_row('C: `pyodide_run_python_async("await asyncio.sleep(0)")` (one event-loop pass)',
          "run_python_async", '`pyodide_run_python("1+1")`', "run_python", "(no goal)", lambda v, r: None)
    c_row("C: a host function (C, returns its INT argument) called from a Python loop, per call", "host_fn_loop",
          "the same loop calling `lambda i: i`", "py_fn_loop", "≤ 200 ns", lambda v, r: le(v, 200))
    c_row("C: a C host object's method (`call_method`, returns its INT argument) called from a Python loop, per call",
          "host_method_loop", "the same loop calling a Python object's method", "py_method_loop", "≤ 250 ns",
          lambda v, r: le(v, 250))
    v = cv("interrupt")
    rows.append((f"C: `pyodide_interrupt` from another thread to the return of a call in `while True: f()`"
                 f" ({c_reps('interrupt')} interrupts a run)", cm("interrupt"), "—", "—", "≤ 10 ms",
                 met(le(v, 10 * MS))))
    c_row("Python in the sandbox: `open(p, 'rb').read()` of a 12-byte file in the runtime's home, per call",
          "file_read", "`os.stat(p)` of it (answered by the host, as WASI would)", "file_stat",
          "(no goal: the open, reads and stats are the host's: bridge/files.c)", lambda v, r: None)
    c_row("C: `pyproxy_get_buffer`+`pybuffer_release`, 64 MiB bytearray", "get_buffer_64m",
          "the same on 1 KiB", "get_buffer_1k",
          f"≤ 1 µs, size-independent (ratio ≤ 1.5) ({PYODIDE}: 8–15 µs)",
          lambda v, r: both(le(v, 1 * US), le(r, 1.5)))
    c_row("C: sum 64 MiB float64 through `pybuffer_t.first`", "sum_buffer", "malloc'd array, same values",
          "sum_malloc", "within 1.2× of the malloc'd array", lambda v, r: le(r, 1.2))
    rel = cv("to_js_release")
    c_row("C: `pyproxy_to_js` of a 100k-int list" + (f" (+ {fmt_time(rel)} to release)" if rel else ""), "to_js",
          "same INT list built in C", "to_js_c", f"≤ 3 ms ({PYODIDE}: 36–58 ms)", lambda v, r: le(v, 3 * MS))
    c_row("C: `pyodide_load`+`pyodide_destroy`, another runtime alive", "load_destroy",
          f"a process's first `pyodide_load` (median of {c_reps('load_first')} fresh processes)", "load_first",
          "≤ 5 ms", lambda v, r: le(v, 5 * MS))
    # Snapshots: every runtime starts from the built-in one, baked by the build.
    c_row("C: a process's first runtime, `pyodide_load` to the first `run_python` result (fresh processes)",
          "load_first_run", "its `pyodide_load` alone", "load_first", "≤ 5 ms", lambda v, r: le(v, 5 * MS))
    c_row("C: the same in a host that already runs a second thread (as Go's runtime and most servers do)",
          "load_first_threaded", "a single-threaded process's", "load_first_run", "≤ 5 ms",
          lambda v, r: le(v, 5 * MS))
    c_row('C: each further runtime, `pyodide_load`+`run_python("1")`+`pyodide_destroy`', "load_run_destroy",
          "`pyodide_load`+`pyodide_destroy`", "load_destroy", "≤ 1 ms", lambda v, r: le(v, 1 * MS))
    c_row("C: a runtime with `json, decimal, sqlite3, asyncio, email` imported, from a saved snapshot "
          "(load, one call, destroy)", "snapshot_libs", "loading plain and importing them", "import_libs",
          "≥ 10× faster (ratio ≤ 0.1)", lambda v, r: le(r, 0.1))

    def mib(run, key):
        b = (run["c"].get(key) or {}).get("bytes")
        return None if b is None else b / (1 << 20)

    def mib_row(key, base_key, base_label, goal_mb):
        v = median(mib(r, key) for r in runs)
        b = median(mib(r, base_key) for r in runs)
        r = median(ratio(mib(x, key), mib(x, base_key)) for x in runs)
        what = next(((x["c"].get(key) or {}).get("what") for x in runs if x["c"].get(key)), key)
        rows.append((f"C: {what}", "n/a" if v is None else f"{v:.1f} MiB",
                     f"{base_label}: " + ("n/a" if b is None else f"{b:.1f} MiB"), fmt_ratio(r),
                     f"≤ {goal_mb} MB", met(le(v, goal_mb * 1e6 / (1 << 20)))))

    mib_row("rss_first", "rss_before", "the process before it", 40)
    mib_row("rss_further", "rss_first", "the first runtime", 15)
    snap = median(mib(r, "snapshot_bytes") for r in runs)
    pss = median(mib(r, "pss_snapshot_100") for r in runs)
    rows.append(("C: the snapshot with `json, decimal, sqlite3, asyncio, email` imported: its file; 100 runtimes "
                 "restored from it, alive at once, one call each (proportional set size: "
                 "pages shared with the file or each other counted once)",
                 "n/a" if snap is None or pss is None else f"file {snap:.1f} MiB; 100 runtimes {pss:.0f} MiB "
                 f"({pss / 100:.1f} MiB each)", "—", "—", "(measured, no goal)", "n/a"))
    py_ver = next((x["wl"].get("python3_version") for x in runs if x["wl"].get("python3_version")), "")
    py_path = next((x["wl"].get("python3") for x in runs if x["wl"].get("python3")), "?")
    t = cv("spawn_true")
    c_row(f"`out/bin/pyodide-run -c pass`, posix_spawn to exit (median of {c_reps('spawn_pyodide_run')})",
          "spawn_pyodide_run", f"`{py_path}{(' ' + py_ver) if py_ver else ''} -c pass` (`/bin/true`: {fmt_time(t)})",
          "spawn_python3", "≤ 50 ms, and at most half of python3's (ratio ≤ 0.5)",
          lambda v, r: both(le(v, 50 * MS), le(r, 0.5)))
    c_row(f"`out/bin/pyodide-run -c 'import argparse, collections, dataclasses, datetime, json, logging, pathlib, "
          f"re, subprocess, typing'` (a small script's imports), posix_spawn to exit "
          f"(median of {c_reps('spawn_pyodide_run_imports')})",
          "spawn_pyodide_run_imports", f"`{py_path} -c` with the same imports", "spawn_python3_imports",
          "(no goal)", lambda v, r: None)
    c_row(f"`out/bin/pyodide-run SCRIPT`, where the script imports the 40 modules of a package in its own "
          f"directory (their `.pyc` beside them), posix_spawn to exit (median of {c_reps('spawn_pyodide_run_package')})",
          "spawn_pyodide_run_package", f"`{py_path} SCRIPT`", "spawn_python3_package",
          "(no goal)", lambda v, r: None)
    c_row(f"`out/bin/pyodide-run --mount DIR:/work SCRIPT /work`, where the script writes 200 files of 1 KiB, "
          f"lists the directory and reads them back, posix_spawn to exit (median of {c_reps('spawn_pyodide_run_files')})",
          "spawn_pyodide_run_files", f"`{py_path} SCRIPT DIR`", "spawn_python3_files",
          "(no goal)", lambda v, r: None)
    c_row(f"`out/bin/pyodide-run -c pass` with `PYODIDE_RUN_RESIDENT` (the run handed to a resident pyodide-run), "
          f"posix_spawn to exit (median of {c_reps('spawn_pyodide_run_resident')}; each spawn, python3's too, "
          f"followed by a 30 ms pause in which the server makes the next run's runtime)",
          "spawn_pyodide_run_resident", f"`{py_path} -c pass`, spawned beside it", "spawn_python3_r",
          "at most half of python3's (ratio ≤ 0.5)", lambda v, r: le(r, 0.5))
    c_row(f"`out/bin/pyodide-run --mount DIR:/work SCRIPT /work` (the files script above) with "
          f"`PYODIDE_RUN_RESIDENT`, posix_spawn to exit (median of {c_reps('spawn_pyodide_run_resident_files')})",
          "spawn_pyodide_run_resident_files", f"`{py_path} SCRIPT DIR`, spawned beside it", "spawn_python3_files_r",
          "(no goal)", lambda v, r: None)
    client, server = cv("resident_client_cpu"), cv("resident_server_cpu")
    py_cpu = median(c_of(r, "spawn_python3_r", "cpu_median_ns") for r in runs)
    total = None if client is None or server is None else client + server
    rows.append(("C: CPU a `-c pass` with `PYODIDE_RUN_RESIDENT` costs: the client's, plus the resident "
                 "process's (its making of the next run's runtime included; a mean, from its clock ticks)",
                 "n/a" if total is None else f"{fmt_time(total)} (client {fmt_time(client)}, "
                 f"resident process {fmt_time(server)})",
                 f"`{py_path} -c pass`'s CPU: {fmt_time(py_cpu)}", fmt_ratio(ratio(total, py_cpu)),
                 "(no goal)", "n/a"))

    # ---- managed API ----------------------------------------------------------------
    def bm(key):
        return (f"{fmt_time(bv(key))}, {fmt_bytes(ba(key))}/op" + spread(b_of(r, key) for r in runs))

    def b_row(what, key, base_label, base, goal, ok_of):
        v, b, r = bv(key), bv(base), b_ratio(key, base)
        row(what, v, base_label, b, goal, ok_of(v, r), bm(key), r)

    b_row(".NET: `PyProxy.Call(i)` on `lambda i: i + 1`", "CallBenchmarks.Call", ".NET delegate call",
          "CallBenchmarks.Delegate", f"≤ 200 ns ({PYODIDE}: 500–900 ns)", lambda v, r: le(v, 200))
    b_row(".NET: `PyProxy.Call(args)`, argument array built once", "CallBenchmarks.CallReusedArgs",
          ".NET delegate call", "CallBenchmarks.Delegate", "≤ 200 ns", lambda v, r: le(v, 200))
    b_row('.NET: `RunPython("1+1")`', "RunPythonBenchmarks.RunPython", "`Globals.Length` round trip",
          "RunPythonBenchmarks.GlobalsLength", f"≤ 15 µs ({PYODIDE}: ~250 µs)", lambda v, r: le(v, 15 * US))
    b_row('.NET: `RunPythonAsyncBlocking("await asyncio.sleep(0)")` (one event-loop pass)',
          "AsyncBenchmarks.RunPythonAsyncBlocking", '`RunPython("None")`', "AsyncBenchmarks.RunPython",
          "(no goal)", lambda v, r: None)
    # Allocations on the call and run paths, each case beside what explains it. The goal is
    # judged on the typed forms, which avoid the object? API's boxes and params array.
    typed = [("Call<long, long>(i)", "CallBenchmarks.CallTyped"),
             ('RunPython<long>("1+1")', "RunPythonBenchmarks.RunPythonTyped"),
             ("host `Func<long, long>` from Python", "HostFunctionBenchmarks.TypedHostFunction"),
             ("a .NET object's `long M(long)` from Python", "HostObjectBenchmarks.HostMethod")]
    untyped = [("Call(i)", "CallBenchmarks.Call"), ("Call(args)", "CallBenchmarks.CallReusedArgs"),
               ('RunPython("1+1")', "RunPythonBenchmarks.RunPython"),
               ('RunPython("None")', "RunPythonBenchmarks.RunPythonNone"),
               ("host `PyodideHostFunction` from Python", "HostFunctionBenchmarks.ObjectHostFunction")]
    allocs = [(label, ba(key)) for label, key in typed + untyped]
    measured = ", ".join(f"{label} {fmt_bytes(a)}" for label, a in allocs)
    typed_allocs = [ba(key) for _, key in typed]
    worst = None if any(a is None for a in typed_allocs) else max(typed_allocs)
    rows.append((".NET: managed bytes allocated per call on the call, run and host-function paths: the typed"
                 " forms (judged), then the `object?` forms (a boxed `long` is 24 B, a 1-element"
                 " `object[]` 32 B)", measured,
                 f".NET delegate call: {fmt_bytes(ba('CallBenchmarks.Delegate'))}", "—",
                 "no per-call allocation", met(le(worst, 0))))
    b_row(".NET: `PyProxy.Call<long, long>(i)` (typed, no boxing)", "CallBenchmarks.CallTyped",
          ".NET delegate call", "CallBenchmarks.Delegate", "≤ 200 ns", lambda v, r: le(v, 200))
    b_row(".NET: a `Func<long, long>` host function called from a Python loop, per call",
          "HostFunctionBenchmarks.TypedHostFunction", "the same loop calling `lambda i: i`",
          "HostFunctionBenchmarks.PythonFunction", "≤ 200 ns", lambda v, r: le(v, 200))
    b_row(".NET: a .NET object's typed method `long M(long)` (host object) called from a Python loop, per call",
          "HostObjectBenchmarks.HostMethod", "the same loop calling a Python object's method",
          "HostObjectBenchmarks.PythonMethod", "≤ 300 ns, no per-call allocation",
          lambda v, r: both(le(v, 300), le(ba("HostObjectBenchmarks.HostMethod"), 0)))
    b_row(".NET: a `PyodideHostFunction` (object form) called from a Python loop, per call",
          "HostFunctionBenchmarks.ObjectHostFunction", "the same loop calling `lambda i: i`",
          "HostFunctionBenchmarks.PythonFunction", "(no goal: the typed form above is the fast path)",
          lambda v, r: None)
    b_row(".NET: `GetBuffer()`+`Dispose`, 64 MiB bytearray", "GetBufferBenchmarks.Big", "the same on 1 KiB",
          "GetBufferBenchmarks.Small", "≤ 1 µs, size-independent (ratio ≤ 1.5)",
          lambda v, r: both(le(v, 1 * US), le(r, 1.5)))
    b_row(".NET: sum 64 MiB float64 via `AsReadOnlySpan<double>()`", "BufferSumBenchmarks.PyBufferSpan",
          "managed `double[]`, same values", "BufferSumBenchmarks.Managed", "within 1.2× of the managed array",
          lambda v, r: le(r, 1.2))
    b_row(".NET: `ToManaged()` of a 100k-int list", "ToManagedBenchmarks.ToManaged",
          "the same `List<object>` built in .NET", "ToManagedBenchmarks.Managed", "≤ 3 ms",
          lambda v, r: le(v, 3 * MS))
    b_row(".NET: `PyodideRuntime.Load()`+`Dispose`, another runtime alive", "LoadBenchmarks.LoadDispose",
          '`Process.Start("/bin/true")`+wait', "LoadBenchmarks.StartProcess", "≤ 5 ms", lambda v, r: le(v, 5 * MS))
    b_row(".NET: a runtime with `json, decimal, sqlite3, asyncio, email` imported, from a saved snapshot "
          "(`Load`, one call, `Dispose`)", "SnapshotBenchmarks.LoadFromSnapshot",
          "`Load()` and importing them", "SnapshotBenchmarks.LoadAndImport", "≥ 10× faster (ratio ≤ 0.1)",
          lambda v, r: le(r, 0.1))
    v = bv("PackageLoadBenchmarks.LoadSix")
    rows.append(('.NET: `LoadPackage("six")` from a local index into a fresh runtime', bm("PackageLoadBenchmarks.LoadSix"),
                 "—", "—", f"≤ 20 ms ({PYODIDE}: 200–480 ms)", met(le(v, 20 * MS))))

    b_row(".NET: `Install` of 5 requirements (7 wheels, one backtrack) from a local PEP 503 index, empty cache",
          "MicropipBenchmarks.Cold", "the same with the wheels cached", "MicropipBenchmarks.Warm",
          "≤ 2 s, within 2× of the cached install", lambda v, r: both(le(v, 2e9), le(r, 2.0)))
    b = bv("MicropipBenchmarks.Warm")
    rows.append((".NET: `Install` of the same 5 requirements, wheels cached (index pages fetched, wheels hashed)",
                 bm("MicropipBenchmarks.Warm"), "—", "—", "≤ 1 s", met(le(b, 1e9))))

    # ---- interpreter (its own table below; the summary rows here) -----------------------
    def wl_geomean(run, label):
        return (run["wl"].get("geomean") or {}).get(label)

    g_unguarded = median(wl_geomean(x, UNGUARDED) for x in runs)
    g_guarded = median(wl_geomean(x, GUARDED) for x in runs)
    g_node = median(wl_geomean(x, NODE) for x in runs)
    guard_cost = median(ratio(wl_geomean(x, GUARDED), wl_geomean(x, UNGUARDED)) for x in runs)
    rows.append(("interpreter: geometric mean over the workloads (table below), `pyodide-run` unguarded",
                 fmt_ratio(g_unguarded), f"{py_path} {py_ver}".strip(), fmt_ratio(g_unguarded),
                 f"≤ 1.5× {py_path}", met(le(g_unguarded, 1.5))))
    rows.append(("interpreter: the same, guarded (epoch checks compiled in: the default for library users)",
                 fmt_ratio(g_guarded), f"unguarded: {fmt_ratio(g_unguarded)}", fmt_ratio(guard_cost),
                 "within 10 % of unguarded (ratio ≤ 1.10)", met(le(guard_cost, 1.10))))
    names = sorted({n for x in runs for n in (x["wl"].get("workloads") or {})})

    def wl(name, field, label):
        return [((x["wl"].get("workloads") or {}).get(name) or {}).get(field, {}).get(label) for x in runs]

    # build.ps1 bench runs no Pyodide in Node: then nothing is judged against it.
    compared = [n for n in names if median(wl(n, "ratio", NODE)) is not None]
    slower = [n for n in compared if (median(wl(n, "ratio", UNGUARDED)) or 0) >= median(wl(n, "ratio", NODE))]
    rows.append((f"interpreter: workloads where `pyodide-run` (unguarded) is not faster than {NODE}",
                 (", ".join(f"`{n}`" for n in slower) or "none") if compared else f"{NODE} not run",
                 f"{NODE}: geometric mean {fmt_ratio(g_node)}",
                 "—", "faster on every workload", met(None if not compared else not slower)))

    wl_table = [
        f"## Interpreter: `bench/workloads/*.py`, time per run of the workload against {py_path} {py_ver}",
        "",
        f"Columns: the native baseline; `pyodide-run` as it runs by default (unguarded: no deadline);"
        f" `pyodide-run --timeout` (guarded, as library users get it by default); {args.pyodide_node or NODE}."
        " Each ratio is to the baseline of the same run; \"faster\" compares the unguarded ratio with Pyodide's.",
        "",
        f"| workload | {py_path} | pyodide-run | ratio | guarded | ratio | {NODE} | ratio | faster than Pyodide |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in names:
        def secs(label):
            return fmt_time(median(v * 1e9 if v is not None else None for v in wl(name, "seconds", label)))

        def rat(label):
            return median(wl(name, "ratio", label))

        ours, theirs = rat(UNGUARDED), rat(NODE)
        wl_table.append(f"| `{name}` | {secs(BASELINE)} | {secs(UNGUARDED)} | {fmt_ratio(ours)} | {secs(GUARDED)}"
                        f" | {fmt_ratio(rat(GUARDED))} | {secs(NODE)} | {fmt_ratio(theirs)}"
                        f" | {met(None if ours is None or theirs is None else ours < theirs)} |")
    wl_table.append(f"| geometric mean | | | {fmt_ratio(g_unguarded)} | | {fmt_ratio(g_guarded)} | |"
                    f" {fmt_ratio(g_node)} | |")

    # ---- write --------------------------------------------------------------------------
    iterations = sorted({b.get("n") for x in runs for b in x["bdn"].values()} - {None})
    wl_repeat = sorted({(x["wl"].get("repeat"), x["wl"].get("rounds")) for x in runs if x["wl"]})
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    runtime = next((x["host"].get("RuntimeVersion") for x in runs if x["host"].get("RuntimeVersion")), "")
    lines = [
        "# Pyodide.Native benchmarks — latest run",
        "",
        f"- Date: {now}",
        f"- Machine: {machine()}",
        f"- Load average (1/5/15 min) when the run started: {args.load_before or 'unknown'}"
        " — other builds and tests share this machine, so absolute figures are noisy",
        f"- Command: `{args.command}`" + (f" ({args.elapsed})" if args.elapsed else ""),
        f"- Tree: {git_state(args.root)}; {runtime or '.NET unknown'}; native CPython {py_ver or 'unknown'}"
        f" ({py_path}); pyodide-run runs CPython 3.11.2 (wasm32-wasi)",
        f"- {nruns} run{'s' if nruns != 1 else ''}, one after another. Each figure is the median over the runs"
        " of that run's median, and each ratio the median over the runs of that run's ratio; the goals"
        f" are judged on these medians{' (of one run only: a single loaded run can flip a row)' if nruns < 2 else ''}."
        " Where several runs gave figures, their range follows in parentheses",
        f"- C ABI: `bench/c/bench_abi.c`, {c_reps('pyproxy_call')} repetitions; each figure and its"
        " baseline measured in the same process, interleaved; C rows also give the CPU time the process"
        " (or, for pyodide-run, the child) spent per operation: wall time well above it is waiting,"
        " for the machine's CPUs or for other threads",
        "- .NET: BenchmarkDotNet (`bench/Pyodide.Benchmarks`), "
        + (f"{'/'.join(str(n) for n in iterations)} measured iterations" if iterations else "iterations unknown")
        + " per method, allocation per operation from `[MemoryDiagnoser]`. BenchmarkDotNet runs each method"
        " in a process of its own, one after another: a .NET figure and its baseline come from two processes"
        " measured moments to minutes apart, not interleaved",
        "- Interpreter: `bench/run_workloads.py`, each workload timed inside the script with"
        " `time.perf_counter()` (start-up excluded)"
        + ("; " + ", ".join(f"{rep} timings in each of {rnd} processes per interpreter, run back to back"
                            " in an order that rotates from round to round"
                            for rep, rnd in wl_repeat) if wl_repeat else ""),
        "- † Pyodide's figures in the goal column are dated references, not measured in this run: Pyodide"
        " 314.0.7 in Node 20, measured once on a machine of this kind before this project. "
        + ("The interpreter table's Pyodide column, by contrast, is measured in every run, beside the others"
           if g_node is not None else "This run measured no Pyodide in Node (build.ps1 bench does not run it)"),
        "",
        "| what | measured | baseline (same run) | ratio | goal | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append("| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |")
    lines += [""] + wl_table + [""]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    unmet = sum(1 for r in rows if r[5] == "**no**")
    missing = sum(1 for r in rows if r[5] == "n/a")
    print(f"[bench] wrote {args.out}: {len(rows)} rows from {nruns} run(s), {unmet} goals unmet, {missing} not judged")


if __name__ == "__main__":
    main()
