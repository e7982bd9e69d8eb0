"""The generate step of the Argo CD config-management plugin (``integrations/argocd/plugin.yaml``):
``python -m meshcharts.argocd`` renders in the Application's source directory and prints the
manifest for Argo CD.

What Argo CD hands a plugin becomes render flags here, in Python rather than in a shell
script, so no parameter is ever read by a shell:

- ``KUBE_VERSION`` → ``--kube-version``, ``KUBE_API_VERSIONS`` (comma-separated) → ``--api-versions``;
- ``ARGOCD_APP_NAMESPACE`` (the destination namespace) → ``--namespace``;
- the parameters of ``spec.source.plugin.parameters`` (``ARGOCD_APP_PARAMETERS``, JSON):
  ``profile`` → ``--profile``, ``values-files`` → ``-f`` (paths inside the source directory only),
  ``set`` → ``--set``, ``set-string`` → ``--set-string``, ``values`` (a map) → one ``--set`` per
  entry, ``release-name`` → ``--name``, ``chart`` → ``--chart``, ``skip-hooks`` → ``--skip-hook``,
  ``no-hooks`` (``"true"``) → ``--no-hooks``.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .errors import MeshchartsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping

ARRAYS = {"values-files": "-f", "set": "--set", "set-string": "--set-string", "skip-hooks": "--skip-hook"}
STRINGS = {"profile": "--profile", "release-name": "--name", "chart": "--chart"}


def _inside(path: str, where: str) -> str:
    """A values file or chart named by a parameter must lie inside the source directory."""
    base = Path.cwd().resolve()
    target = (base / path).resolve()
    if Path(path).is_absolute() or (target != base and base not in target.parents):
        raise MeshchartsError(f"{path!r} is outside the application's source directory", where)
    return path


def render_args(env: Mapping[str, str]) -> list[str]:
    """The ``meshcharts render`` arguments for the environment Argo CD gives the plugin."""
    args: list[str] = []
    kube = env.get("KUBE_VERSION", "").strip()
    if kube:
        args += ["--kube-version", kube if kube.startswith("v") else "v" + kube]
    for version in env.get("KUBE_API_VERSIONS", "").split(","):
        if version.strip():
            args += ["--api-versions", version.strip()]
    if env.get("ARGOCD_APP_NAMESPACE"):
        args += ["--namespace", env["ARGOCD_APP_NAMESPACE"]]
    try:
        params = json.loads(env.get("ARGOCD_APP_PARAMETERS") or "[]")
    except json.JSONDecodeError as e:
        raise MeshchartsError(f"not JSON: {e.msg}", "ARGOCD_APP_PARAMETERS") from None
    if not isinstance(params, list):
        raise MeshchartsError("expected a list of parameters", "ARGOCD_APP_PARAMETERS")
    for param in params:
        name = param.get("name") if isinstance(param, dict) else None
        where = f"plugin parameter {name!r}"
        if name in STRINGS and isinstance(param.get("string"), str):
            value = param["string"]
            args += [STRINGS[name], _inside(value, where) if name == "chart" and "/" in value else value]
        elif name in ARRAYS and isinstance(param.get("array"), list):
            for item in param["array"]:
                args += [ARRAYS[name], _inside(str(item), where) if name == "values-files" else str(item)]
        elif name == "values" and isinstance(param.get("map"), dict):
            for key, value in sorted(param["map"].items()):
                args += ["--set", f"{key}={value}"]
        elif name == "no-hooks" and isinstance(param.get("string"), str):
            if param["string"].lower() == "true":
                args.append("--no-hooks")
        else:
            raise MeshchartsError("unknown parameter or wrong type (expected profile, release-name, chart: string; "
                                  "values-files, set, set-string, skip-hooks: array; values: map; no-hooks: string)",
                                  where)
    return args


def main(env: Mapping[str, str] | None = None) -> None:
    from .cli import main as cli_main  # after the environment is read: a bad one stops before the pipeline loads
    try:
        args = render_args(os.environ if env is None else env)
    except MeshchartsError as e:
        print(f"Error: {e}", file=sys.stderr)
        sys.exit(1)
    cli_main(["render", *args])


if __name__ == "__main__":
    main()
