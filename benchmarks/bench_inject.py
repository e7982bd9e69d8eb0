#!/usr/bin/env python3
"""Injection speed of ``meshcharts inject`` against real ``istioctl kube-inject`` 1.0.6, in one run.

    python benchmarks/bench_inject.py [--runs 11] [--workloads 200] [--istioctl PATH]

The input is a file of N Deployments (distinct names and labels, one port each). meshcharts runs
as a whole process (rendering the mesh's two ConfigMaps from the chart, then injecting) and in
process (configs ready, injecting only). istioctl, when found (--istioctl, $ISTIOCTL, or
~/.meshref/istioctl-1.0.6, which ../shared/conformance/setup-inject-ref.sh builds), gets the
same injector and mesh configs as files and runs interleaved with meshcharts; medians. Without
istioctl, the figures are set against the target of 2.7 ms per workload (istioctl's time on a
200-Deployment file on the machine the target was measured on).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_MS_PER_WORKLOAD = 2.7


def deployments(count: int) -> str:
    out = []
    for i in range(count):
        out.append(f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{i}
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web-{i}
  template:
    metadata:
      labels:
        app: web-{i}
        version: v1
    spec:
      containers:
      - name: web
        image: registry.example/web:{i}
        ports:
        - containerPort: 8080
          name: http
""")
    return "".join(out)


def find_istioctl(given: str | None) -> Path | None:
    for candidate in (given, os.environ.get("ISTIOCTL"), str(Path.home() / ".meshref" / "istioctl-1.0.6")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


# Processes run as an installed meshcharts runs: with its modules' bytecode cached (the warm-up
# run writes it even where the environment turns that off).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=ENV)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--workloads", type=int, default=200)
    ap.add_argument("--istioctl", help="istioctl 1.0.6 binary (default: $ISTIOCTL or ~/.meshref/istioctl-1.0.6)")
    a = ap.parse_args()

    from meshcharts import render
    from meshcharts.injection.api import build_options, inject_text

    work = Path(tempfile.mkdtemp(prefix="meshcharts-bench-inject-"))
    workload = work / "deployments.yaml"
    text = deployments(a.workloads)
    workload.write_text(text)
    objs = {d.name: d.object for d in render().documents if d.kind == "ConfigMap"}
    (work / "inject-config.yaml").write_text(objs["istio-sidecar-injector"]["data"]["config"])
    (work / "mesh.yaml").write_text(objs["istio"]["data"]["mesh"])

    ours = [sys.executable, "-m", "meshcharts", "inject", str(workload)]
    ours_files = ours[:4] + ["--injector-config", str(work / "inject-config.yaml"),
                             "--mesh-config", str(work / "mesh.yaml"), str(workload)]
    istioctl = find_istioctl(a.istioctl)
    cmds = {"render + inject": ours, "inject (config files)": ours_files}
    if istioctl:
        cmds["istioctl"] = [str(istioctl), "kube-inject", "--injectConfigFile", str(work / "inject-config.yaml"),
                            "--meshConfigFile", str(work / "mesh.yaml"), "-f", str(workload)]
    for cmd in cmds.values():
        run_once(cmd)  # warm caches (compiled templates, page cache)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(a.runs):
        for name, cmd in cmds.items():
            times[name].append(run_once(cmd))
    medians = {k: statistics.median(v) for k, v in times.items()}

    options = build_options()
    inject_text(text, "bench", options)
    in_process = []
    for _ in range(a.runs):
        t = time.perf_counter()
        inject_text(text, "bench", options).text
        in_process.append(time.perf_counter() - t)
    medians["in process"] = statistics.median(in_process)

    n = a.workloads
    ref = medians.get("istioctl")
    print(f"{n} Deployments, medians of {a.runs} interleaved runs"
          + (f"; istioctl: {istioctl}" if istioctl else "; istioctl not found (see --istioctl)"))
    print(f"{'measure':<44} {'total':>9} {'per workload':>13} {'vs istioctl':>12}")
    rows = [("process: meshcharts inject (renders the mesh)", medians["render + inject"]),
            ("process: meshcharts inject --injector-config ...", medians["inject (config files)"]),
            ("in process: inject only (configs ready)", medians["in process"])]
    if ref:
        rows.append(("process: istioctl kube-inject 1.0.6", ref))
    for label, t in rows:
        ratio = f"{t / ref:.2f}" if ref else "-"
        print(f"{label:<44} {t * 1000:>7.1f}ms {t * 1000 / n:>10.2f} ms {ratio:>12}")
    target = ref if ref else TARGET_MS_PER_WORKLOAD * n / 1000
    verdict = "meets" if medians["render + inject"] <= target else "MISSES"
    print(f"target: the whole process at most {'istioctl' if ref else f'{TARGET_MS_PER_WORKLOAD} ms/workload'} "
          f"({target * 1000:.0f} ms): {verdict}")


if __name__ == "__main__":
    main()
