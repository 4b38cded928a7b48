#!/usr/bin/env python3
"""Writes bench/results/latest.md from one `./build.sh bench` run: the C ABI
benchmark's JSON (bench_abi --json), BenchmarkDotNet's *-report-full.json files
and run_workloads.py's JSON. One table; every figure beside the baseline it was
measured against in the same run, their ratio, the goal and whether it is met.

    report.py --c abi.json --bdn BDN_RESULTS_DIR --workloads workloads.json \
              --out bench/results/latest.md --command "./build.sh bench" [--load-before "..."]
"""
import argparse
import datetime
import glob
import json
import os
import platform
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
    """FullName's method part → {"median_ns", "mean_ns", "alloc"}; also the host info."""
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
            }
    return out, host


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--c", required=True)
    ap.add_argument("--bdn", required=True)
    ap.add_argument("--workloads", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="./build.sh bench")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--elapsed", default="")
    args = ap.parse_args()

    # A benchmark that failed leaves no (or a partial) file: its rows say n/a.
    c = read_json(args.c)
    bdn, host = load_bdn(args.bdn)
    wl = read_json(args.workloads)

    def cv(key):
        return (c.get(key) or {}).get("median_ns")

    def cm(key):
        """The C figure with its CPU time, which tells work from waiting for a busy machine."""
        entry = c.get(key) or {}
        wall, cpu = entry.get("median_ns"), entry.get("cpu_median_ns")
        return fmt_time(wall) + (f" (CPU {fmt_time(cpu)})" if wall is not None and cpu is not None else "")

    def bv(key):
        return (bdn.get(key) or {}).get("median_ns")

    def ba(key):
        return (bdn.get(key) or {}).get("alloc")

    def ratio(a, b):
        return a / b if a is not None and b else None

    def met(ok):
        return "n/a" if ok is None else ("**yes**" if ok else "**no**")

    def le(x, limit):
        return None if x is None else x <= limit

    def both(*conds):
        return None if any(x is None for x in conds) else all(conds)

    rows = []  # (what, measured, baseline, ratio, goal, met)

    def row(what, value, base_label, base_value, goal, ok, measured=None, r=None):
        rows.append((what, measured if measured is not None else fmt_time(value),
                     f"{base_label}: {fmt_time(base_value)}",
                     fmt_ratio(r if r is not None else ratio(value, base_value)), goal, met(ok)))

    # ---- C ABI --------------------------------------------------------------------
    v, b = cv("pyproxy_call"), cv("noop_call")
    row("C: `pyproxy_call` of `lambda i: i + 1`, INT arg (per call)", v,
        "no-op C call via function pointer", b, "≤ 200 ns (Pyodide 500–900 ns)", le(v, 200),
        measured=cm("pyproxy_call"))
    v, b = cv("run_python"), cv("pyproxy_length")
    row('C: `pyodide_run_python("1+1")`', v, "`pyproxy_length(globals)` round trip", b,
        "≤ 15 µs (Pyodide ~250 µs)", le(v, 15 * US), measured=cm("run_python"))
    v, b = cv("host_fn_loop"), cv("py_fn_loop")
    row("C: a host function (C, returns its INT argument) called from a Python loop, per call", v,
        "the same loop calling `lambda i: i`", b, "≤ 200 ns", le(v, 200), measured=cm("host_fn_loop"))
    v, b = cv("get_buffer_64m"), cv("get_buffer_1k")
    row("C: `pyproxy_get_buffer`+`pybuffer_release`, 64 MiB bytearray", v, "the same on 1 KiB", b,
        "≤ 1 µs, size-independent (ratio ≤ 1.5) (Pyodide 8–15 µs)", both(le(v, 1 * US), le(ratio(v, b), 1.5)),
        measured=cm("get_buffer_64m"))
    v, b = cv("sum_buffer"), cv("sum_malloc")
    row("C: sum 64 MiB float64 through `pybuffer_t.first`", v, "malloc'd array, same values", b,
        "within 1.2× of the malloc'd array", le(ratio(v, b), 1.2), measured=cm("sum_buffer"))
    v, b = cv("to_js"), cv("to_js_c")
    rel = cv("to_js_release")
    row("C: `pyproxy_to_js` of a 100k-int list" + (f" (+ {fmt_time(rel)} to release)" if rel else ""), v,
        "same INT list built in C", b, "≤ 3 ms (Pyodide 36–58 ms)", le(v, 3 * MS), measured=cm("to_js"))
    v, b = cv("load_destroy"), cv("load_first")
    row("C: `pyodide_load`+`pyodide_destroy`, another runtime alive", v,
        "the process's first `pyodide_load`", b, "≤ 5 ms", le(v, 5 * MS), measured=cm("load_destroy"))
    def mib(key):
        b = (c.get(key) or {}).get("bytes")
        return None if b is None else b / (1 << 20)

    v, b = mib("rss_first"), mib("rss_before")
    rows.append(("C: resident memory the first runtime adds (.NET, Wasmtime, the compiled module, Python)",
                 "n/a" if v is None else f"{v:.1f} MiB", "the process before it: " + ("n/a" if b is None else f"{b:.1f} MiB"),
                 fmt_ratio(ratio(v, b)), "≤ 40 MB", met(le(v, 40e6 / (1 << 20)))))
    v, b = mib("rss_further"), mib("rss_first")
    rows.append(("C: resident memory each further runtime adds (8 alive, one run each)",
                 "n/a" if v is None else f"{v:.1f} MiB", "the first runtime: " + ("n/a" if b is None else f"{b:.1f} MiB"),
                 fmt_ratio(ratio(v, b)), "≤ 15 MB", met(le(v, 15e6 / (1 << 20)))))
    v, b, t = cv("spawn_pyodide_run"), cv("spawn_python3"), cv("spawn_true")
    py_ver = wl.get("python3_version", "")
    row("`out/bin/pyodide-run -c pass`, fork/exec to exit (median of 10)", v,
        f"`python3{(' ' + py_ver) if py_ver else ''} -c pass` (`/bin/true`: {fmt_time(t)})", b, "≤ 50 ms",
        le(v, 50 * MS), measured=cm("spawn_pyodide_run"))

    # ---- managed API ----------------------------------------------------------------
    def with_alloc(key):
        value, alloc = bv(key), ba(key)
        return value, f"{fmt_time(value)}, {fmt_bytes(alloc)}/op"

    v, m = with_alloc("CallBenchmarks.Call")
    b = bv("CallBenchmarks.Delegate")
    row(".NET: `PyProxy.Call(i)` on `lambda i: i + 1`", v, ".NET delegate call", b,
        "≤ 200 ns (Pyodide 500–900 ns)", le(v, 200), measured=m)
    v, m = with_alloc("CallBenchmarks.CallReusedArgs")
    row(".NET: `PyProxy.Call(args)`, argument array built once", v, ".NET delegate call", b,
        "≤ 200 ns", le(v, 200), measured=m)
    v, m = with_alloc("RunPythonBenchmarks.RunPython")
    b = bv("RunPythonBenchmarks.GlobalsLength")
    row('.NET: `RunPython("1+1")`', v, "`Globals.Length` round trip", b,
        "≤ 15 µs (Pyodide ~250 µs)", le(v, 15 * US), measured=m)
    # Allocations on the call and run paths, each case beside what explains it. The goal is
    # judged on the typed forms, which avoid the object? API's boxes and params array.
    typed = [("Call<long, long>(i)", "CallBenchmarks.CallTyped"),
             ('RunPython<long>("1+1")', "RunPythonBenchmarks.RunPythonTyped"),
             ("host `Func<long, long>` from Python", "HostFunctionBenchmarks.TypedHostFunction")]
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
    v, m = with_alloc("CallBenchmarks.CallTyped")
    row(".NET: `PyProxy.Call<long, long>(i)` (typed, no boxing)", v, ".NET delegate call",
        bv("CallBenchmarks.Delegate"), "≤ 200 ns", le(v, 200), measured=m)
    b = bv("HostFunctionBenchmarks.PythonFunction")
    v, m = with_alloc("HostFunctionBenchmarks.TypedHostFunction")
    row(".NET: a `Func<long, long>` host function called from a Python loop, per call", v,
        "the same loop calling `lambda i: i`", b, "≤ 200 ns", le(v, 200), measured=m)
    v, m = with_alloc("HostFunctionBenchmarks.ObjectHostFunction")
    row(".NET: a `PyodideHostFunction` (object form) called from a Python loop, per call", v,
        "the same loop calling `lambda i: i`", b, "(no goal: the typed form above is the fast path)", None, measured=m)
    v, m = with_alloc("GetBufferBenchmarks.Big")
    b = bv("GetBufferBenchmarks.Small")
    row(".NET: `GetBuffer()`+`Dispose`, 64 MiB bytearray", v, "the same on 1 KiB", b,
        "≤ 1 µs, size-independent (ratio ≤ 1.5)", both(le(v, 1 * US), le(ratio(v, b), 1.5)), measured=m)
    v, b = bv("BufferSumBenchmarks.PyBufferSpan"), bv("BufferSumBenchmarks.Managed")
    row(".NET: sum 64 MiB float64 via `AsReadOnlySpan<double>()`", v, "managed `double[]`, same values", b,
        "within 1.2× of the managed array", le(ratio(v, b), 1.2))
    v, m = with_alloc("ToManagedBenchmarks.ToManaged")
    b = bv("ToManagedBenchmarks.Managed")
    row(".NET: `ToManaged()` of a 100k-int list", v, "the same `List<object>` built in .NET", b, "≤ 3 ms",
        le(v, 3 * MS), measured=m)
    v, b = bv("LoadBenchmarks.LoadDispose"), bv("LoadBenchmarks.StartProcess")
    row(".NET: `PyodideRuntime.Load()`+`Dispose`, another runtime alive", v,
        "`Process.Start(\"/bin/true\")`+wait", b, "≤ 5 ms", le(v, 5 * MS))

    v, b = bv("MicropipBenchmarks.Cold"), bv("MicropipBenchmarks.Warm")
    row(".NET: `Install` of 5 requirements (7 wheels, one backtrack) from a local PEP 503 index, empty cache", v,
        "the same with the wheels cached", b, "≤ 2 s, within 2× of the cached install", both(le(v, 2e9), le(ratio(v, b), 2.0)))
    rows.append((".NET: `Install` of the same 5 requirements, wheels cached (index pages fetched, wheels hashed)",
                 fmt_time(b), "—", "—", "≤ 1 s", met(le(b, 1e9))))

    # ---- interpreter ------------------------------------------------------------------
    for name, r in sorted((wl.get("workloads") or {}).items()):
        rows.append((f"interpreter: `bench/workloads/{name}.py` under pyodide-run",
                     fmt_time(r["pyodide_s"] * 1e9), f"python3: {fmt_time(r['python3_s'] * 1e9)}",
                     fmt_ratio(r["ratio"]), "(in the geometric mean)", "—"))
    g = wl.get("geomean")
    rows.append(("interpreter: geometric mean of the workload ratios", fmt_ratio(g),
                 f"python3 {py_ver}".strip(), fmt_ratio(g), "≤ 2.0× native python3", met(le(g, 2.0))))

    # ---- write --------------------------------------------------------------------------
    reps = (c.get("pyproxy_call") or {}).get("reps", "?")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    runtime = host.get("RuntimeVersion", "")
    lines = [
        "# Pyodide.Native benchmarks — latest run",
        "",
        f"- Date: {now}",
        f"- Machine: {machine()}",
        f"- Load average (1/5/15 min) when the run started: {args.load_before or 'unknown'}"
        " — other builds and tests share this machine, so absolute figures are noisy;"
        " each ratio is against a baseline measured in the same process, interleaved or moments apart;"
        " C rows also give the CPU time the process (or, for pyodide-run, the child) spent per operation:"
        " wall time well above it is waiting, for the machine's CPUs or for other threads",
        f"- Command: `{args.command}`" + (f" ({args.elapsed})" if args.elapsed else ""),
        f"- Tree: {git_state(args.root)}; {runtime or '.NET unknown'}; native python3 {py_ver or 'unknown'}"
        f" ({wl.get('python3', '?')}); pyodide-run runs CPython 3.11.2 (wasm32-wasi)",
        f"- Figures are medians: C ABI from `bench/c/bench_abi.c` ({reps} repetitions), .NET from BenchmarkDotNet"
        " (`bench/Pyodide.Benchmarks`, 7 iterations, allocation per operation from `[MemoryDiagnoser]`),"
        " interpreter from `bench/run_workloads.py` (each workload timed inside the script with"
        " `time.perf_counter()`, start-up excluded)",
        "",
        "| what | measured | baseline (same run) | ratio | goal | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append("| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |")
    lines.append("")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    unmet = sum(1 for r in rows if r[5] == "**no**")
    missing = sum(1 for r in rows if r[5] == "n/a")
    print(f"[bench] wrote {args.out}: {len(rows)} rows, {unmet} goals unmet, {missing} not measured")


if __name__ == "__main__":
    main()
