"""The wheel carries the chart, values and profiles: install it in a fresh virtual environment
outside the repository and render from there."""
from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_renders_demo_outside_the_repository(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("meshcharts-*.whl"))
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    # meshcharts itself comes only from the wheel, installed first: pip would otherwise see the
    # test environment's own meshcharts (when it is installed there, not editable) through the
    # line below, call the wheel already installed and skip it.
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)
    # The dependencies come from where this test environment has them: a .pth line each, which
    # goes after the new environment's own site-packages (so the wheel's meshcharts wins) and does
    # not run that environment's .pth files (so an editable meshcharts stays out).
    import jinja2
    import yaml
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dep_dirs = sorted({str(Path(m.__file__).resolve().parent.parent) for m in (jinja2, yaml)})
    (Path(site) / "meshcharts-test-deps.pth").write_text("\n".join(dep_dirs) + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    proc = subprocess.run([str(py), "-m", "meshcharts", "render", "--profile", "demo"], cwd=work,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    located = subprocess.run([str(py), "-c", "import meshcharts, sys; print(meshcharts.__file__)"], cwd=work,
                             capture_output=True, text=True, check=True).stdout
    assert str(env_dir) in located  # the installed copy, not the checkout
    from meshcharts import render
    assert proc.stdout == render("demo").text
    script = env_dir / "bin" / "meshcharts"
    listed = subprocess.run([str(script), "profiles"], cwd=work, capture_output=True, text=True, check=True).stdout
    assert "demo" in listed and "auth" in listed
    # the schemas ship in the wheel: validation works offline from the installed copy
    checked = subprocess.run([str(script), "validate", "--profile", "demo", "--kube-version", "v1.16.0", "--output",
                              "json"], cwd=work, capture_output=True, text=True)
    assert checked.returncode == 1 and '"errors": 12' in checked.stdout, checked.stderr
    # The second bundled chart ships in the wheel too, selected by name.
    example = ROOT / "examples" / "bookinfo" / "virtual-service-reviews-80-20.yaml"
    app = subprocess.run([str(script), "render", "--chart", "mesh-app", "--namespace", "default", "-f", str(example)],
                         cwd=work, capture_output=True, text=True)
    assert app.returncode == 0, app.stderr
    assert app.stdout == render(chart="mesh-app", namespace="default", values_files=[example]).text
    assert "mesh-app" in subprocess.run([str(script), "charts"], cwd=work, capture_output=True, text=True,
                                        check=True).stdout
