"""``meshcharts inject``: its flags and what it does with them (the CLI module only hooks it in)."""
from __future__ import annotations

import sys

from ..errors import MeshchartsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, Callable

SUMMARY = "Add the Istio sidecar to workloads offline, as `istioctl kube-inject` does."
DETAILS = """\
Injects every Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
CronJob, Pod, OpenShift DeploymentConfig and the items of a List in the input files (`-`:
stdin); other documents pass through unchanged. The injector and mesh config come from the
render of the same values flags as the install (or --from-manifest, or --injector-config with
--mesh-config). Injecting an injected manifest again replaces the earlier injection.

examples:
  meshcharts inject --profile demo app.yaml > app-injected.yaml
  meshcharts render --profile demo > istio.yaml && meshcharts inject --from-manifest istio.yaml app.yaml
  kubectl get deploy web -o yaml | meshcharts inject --profile demo - | kubectl apply -f -
  meshcharts inject --profile demo --output-dir manifests/apps/      # every YAML file there, in place
  meshcharts inject --registry reg.local:5000/mirror --set 'global.imagePullSecrets={regcred}' app.yaml
  meshcharts inject --policy webhook app.yaml    # only what the cluster's webhook would inject
  meshcharts inject --injector-config config.yaml --mesh-config mesh.yaml app.yaml"""


def configure(parser: argparse.ArgumentParser, value_flags: Callable[[argparse.ArgumentParser], None]) -> None:
    value_flags(parser)
    parser.add_argument("files", nargs="*", metavar="FILE", help="Manifest files to inject; `-` reads stdin.")
    add = parser.add_argument_group("injector and mesh config").add_argument
    add("--from-manifest", metavar="FILE",
        help="Take ConfigMaps istio-sidecar-injector and istio from this rendered manifest instead of rendering.")
    add("--injector-config", metavar="FILE",
        help="The injector config (ConfigMap istio-sidecar-injector's key `config`), with --mesh-config.")
    add("--mesh-config", metavar="FILE", help="The mesh config (ConfigMap istio's key `mesh`), with --injector-config.")
    add("--registry", metavar="HOST[:PORT][/PREFIX]",
        help="Render the injector with every image moved to this registry (as `render --registry`) and give "
             "injected pods the pull secrets of global.imagePullSecrets.")
    add("--policy", choices=["kube-inject", "webhook"], default="kube-inject",
        help="kube-inject: inject every workload, as istioctl kube-inject does (default). webhook: only those the "
             "cluster's webhook would inject (injector policy, sidecar.istio.io/inject, namespace labels in the "
             "input).")
    add = parser.add_argument_group("output").add_argument
    add("-o", "--output", metavar="FILE", help="Write the injected manifest to FILE (replaced whole, atomically).")
    add("--output-dir", metavar="DIR",
        help="Inject every *.yaml/*.yml file under DIR in place; nothing is written unless every file injects.")


def run(args: argparse.Namespace, render_options: Callable[[argparse.Namespace], Any]) -> int:
    # The injector only when the command runs: `--help` builds the parser from this module alone.
    from ..outputdir import replace_file
    from .api import build_options, inject_files, inject_tree
    if args.output_dir and args.files:
        raise MeshchartsError("injects the files under the directory; give no FILE arguments", "--output-dir")
    if args.output_dir and args.output:
        raise MeshchartsError("-o and --output-dir exclude each other", "--output-dir")
    if not args.output_dir and not args.files:
        raise MeshchartsError("no input: give manifest files, `-` for stdin, or --output-dir", "inject")
    if args.registry and (args.from_manifest or args.injector_config):
        raise MeshchartsError("needs a render: use it without --from-manifest/--injector-config (or render "
                              "that manifest with --registry)", "--registry")
    options = build_options(render_options(args), from_manifest=args.from_manifest,
                            injector_config=args.injector_config, mesh_config=args.mesh_config, policy=args.policy)
    if args.output_dir:
        written, notes = inject_tree(args.output_dir, options)
        for note in notes:
            print(f"Note: {note}", file=sys.stderr)
        for path in written:
            print(f"injected {path}")
        return 0
    result = inject_files(args.files, options)
    for note in result.warnings:
        print(f"Note: {note}", file=sys.stderr)
    if args.output:
        replace_file(args.output, result.text)
    else:
        sys.stdout.write(result.text)
    return 0
