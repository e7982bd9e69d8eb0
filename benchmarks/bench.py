#!/usr/bin/env python3
"""Render speed of meshcharts against real Helm, on this machine, in one run.

    python benchmarks/bench.py [--runs 15] [--ref ~/.meshref]

With a Helm reference (the conformance kit's setup-ref.sh: a venv with helm-python-sdk and the
upstream chart) every figure is printed beside Helm's and as a ratio; without one, the project's
own figures only. Medians of interleaved runs; machines are noisy, so compare within one run.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIT = ROOT.parent / "shared" / "conformance"
PY = sys.executable

# Timed inside the reference venv: Helm's load + render of one case, in process.
HELM_IN_PROCESS = r"""
import sys, json, time, statistics, yaml
import helm_python as helm
chart, runs = sys.argv[1], int(sys.argv[2])
vals = {}
for f in sys.argv[3:]:
    vals.update(yaml.safe_load(open(f)) or {})
times = []
for _ in range(runs):
    t = time.perf_counter()
    with helm.Chart.load(chart) as ch:
        ch.render(vals, name="istio", namespace="istio-system")
    times.append(time.perf_counter() - t)
print(json.dumps(statistics.median(times)))
"""

OURS_IN_PROCESS = r"""
import sys, json, time, statistics
from meshcharts.api import RenderOptions, render_options
runs = int(sys.argv[1])
opts = RenderOptions(profile=sys.argv[2], values_files=tuple(sys.argv[3:]))
render_options(opts)  # load the chart and compile once: the warm case
times = []
for _ in range(runs):
    t = time.perf_counter()
    render_options(opts).text
    times.append(time.perf_counter() - t)
print(json.dumps(statistics.median(times)))
"""

# Validation of each fresh demo render (warm: schemas and parsed documents cached), beside the render.
OURS_VALIDATE_IN_PROCESS = r"""
import sys, json, time, statistics
from meshcharts.api import RenderOptions, render_options
from meshcharts.validate import validate_manifest
runs = int(sys.argv[1])
opts = RenderOptions(profile="demo", kube_version="v1.15.0")
validate_manifest(render_options(opts), opts.kube_version)
renders, checks = [], []
for _ in range(runs):
    t = time.perf_counter()
    manifest = render_options(opts)
    manifest.text
    renders.append(time.perf_counter() - t)
    t = time.perf_counter()
    validate_manifest(manifest, opts.kube_version)
    checks.append(time.perf_counter() - t)
print(json.dumps([statistics.median(renders), statistics.median(checks)]))
"""


APP_IN_PROCESS = """
import statistics, sys, time
from meshcharts import render
runs, files = int(sys.argv[1]), sys.argv[2:]
render(chart="mesh-app", namespace="default", values_files=files)
times = []
for _ in range(runs):
    t = time.perf_counter(); render(chart="mesh-app", namespace="default", values_files=files)
    times.append(time.perf_counter() - t)
print(statistics.median(times))
"""


def timed(cmd: list[str], runs: int, env: dict | None = None) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def interleaved(cmds: dict[str, list[str]], runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def gateways_file(directory: Path, count: int) -> Path:
    """A values file with ``count`` user-defined gateways, each with ports and autoscaling."""
    gws = {}
    for i in range(count):
        gws[f"gw-{i:04d}"] = {
            "enabled": True, "labels": {"app": f"gw-{i}", "istio": f"gw-{i}"}, "replicaCount": 1,
            "autoscaleMin": 1, "autoscaleMax": 3, "cpu": {"targetAverageUtilization": 80},
            "resources": {"requests": {"cpu": "10m"}}, "type": "ClusterIP",
            "ports": [{"port": 80, "targetPort": 80, "name": "http"}, {"port": 443, "name": "https"}],
            "secretVolumes": [{"name": f"gw-{i}-certs", "secretName": f"gw-{i}-certs", "mountPath": "/etc/certs"}],
        }
    path = directory / f"gateways-{count}.yaml"
    path.write_text(json.dumps({"gateways": gws}))  # JSON is YAML
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--ref", type=Path, default=Path(os.environ.get("REF_HOME", Path.home() / ".meshref")))
    a = ap.parse_args()
    ref_py = a.ref / "refenv" / "bin" / "python"
    ref_chart = a.ref / "chart" / "install" / "kubernetes" / "helm" / "istio"
    have_helm = ref_py.exists() and ref_chart.is_dir() and (KIT / "helm_render.py").exists()
    # Bytecode for the project's own modules, as an installed wheel has (an editable install may not).
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "meshcharts")], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([PY, "-m", "meshcharts", "render", "--profile", "demo"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    subprocess.run([PY, "-m", "meshcharts", "validate", "--profile", "demo", "--kube-version", "v1.15.0"],
                   stdout=subprocess.DEVNULL, check=True)
    rows = []

    def row(name: str, ours: float, helm: float | None, target: str) -> None:
        ratio = f"{ours / helm:.2f}" if helm else "-"
        rows.append((name, f"{ours * 1000:.1f} ms", f"{helm * 1000:.1f} ms" if helm else "-", ratio, target))

    vrows = []

    def vrow(name: str, validating: float, rendering: float, target: str) -> None:
        vrows.append((name, f"{validating * 1000:.1f} ms", f"{rendering * 1000:.1f} ms",
                      f"{validating / rendering:.2f}", target))

    cmds = {"ours": [PY, "-m", "meshcharts", "render", "--profile", "demo"],
            "validate": [PY, "-m", "meshcharts", "validate", "--profile", "demo", "--kube-version", "v1.15.0"],
            "imports": [PY, "-c", "import jinja2, yaml, jsonschema"]}
    if have_helm:
        cmds["helm"] = [str(ref_py), str(KIT / "helm_render.py"), str(ref_chart), "--profile", "demo"]
    t = interleaved(cmds, a.runs)
    row("process: render --profile demo", t["ours"], t.get("helm"), "<= 0.60")
    vrow("process: `validate --profile demo --kube-version v1.15.0` against `render --profile demo`", t["validate"],
         t["ours"], "<= 2.00 (checks <= render)")
    row("process: Python importing jinja2, yaml and jsonschema (none of which a cached render loads)", t["imports"],
        t.get("helm"), "(reference)")

    profile_file = ref_chart / "values-istio-demo.yaml"
    ours_warm = float(subprocess.run([PY, "-c", OURS_IN_PROCESS, str(max(60, a.runs * 5)), "demo"], capture_output=True,
                                     text=True, check=True).stdout)
    helm_warm = None
    if have_helm:
        helm_warm = float(subprocess.run([str(ref_py), "-c", HELM_IN_PROCESS, str(ref_chart), str(a.runs),
                                          str(profile_file)], capture_output=True, text=True, check=True).stdout)
    row("in process: warm render, demo", ours_warm, helm_warm, "<= 0.25")
    render_time, check_time = json.loads(subprocess.run([PY, "-c", OURS_VALIDATE_IN_PROCESS, str(max(60, a.runs * 5))],
                                                        capture_output=True, text=True, check=True).stdout)
    vrow("in process: checking a fresh demo render (v1.15.0) against rendering it", check_time, render_time, "<= 1.00")

    with tempfile.TemporaryDirectory() as tmp:
        for count in (200, 400, 800):
            values = gateways_file(Path(tmp), count)
            ours = float(subprocess.run([PY, "-c", OURS_IN_PROCESS, "5", "default", str(values)], capture_output=True,
                                        text=True, check=True).stdout)
            helm = None
            if have_helm:
                helm = float(subprocess.run([str(ref_py), "-c", HELM_IN_PROCESS, str(ref_chart), "3", str(values)],
                                            capture_output=True, text=True, check=True).stdout)
            row(f"in process: {count} user gateways", ours, helm, "<= 0.50" if count == 800 else "(linear)")

    # The service-onboarding chart (no Helm counterpart: its templates are Jinja2): the book's
    # onboarding values with a traffic shift, as one process and warm in process.
    book = ROOT / "examples" / "book"
    app_flags = ["--chart", "mesh-app", "--namespace", "default", "-f", str(book / "onboard.yaml"),
                 "-f", str(book / "shift-70-30.yaml")]
    row("process: render --chart mesh-app (book onboarding + 70/30)",
        timed([PY, "-m", "meshcharts", "render", *app_flags], a.runs), None, "(reference)")
    app_warm = float(subprocess.run([PY, "-c", APP_IN_PROCESS, str(max(30, a.runs * 2)), *app_flags[5::2]],
                                    capture_output=True, text=True, check=True).stdout)
    row("in process: warm render, mesh-app (book onboarding + 70/30)", app_warm, None, "< 20 ms")

    help_time = timed([PY, "-m", "meshcharts", "--help"], a.runs)
    row("process: meshcharts --help", help_time, None, "< 100 ms")

    print(f"machine: {os.uname().machine}, {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
          f"medians of {a.runs} runs{'' if have_helm else '; no Helm reference found'}")
    print("| measure | meshcharts | Helm | ratio | target |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print("| validation | validating | rendering | ratio | target |")
    print("|---|---|---|---|---|")
    for r in vrows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
