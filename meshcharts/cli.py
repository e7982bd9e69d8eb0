"""The command line: ``meshcharts render|images|values|lint|profiles|validate|inject``. A thin layer over :mod:`meshcharts.api`:
flags become one :class:`~meshcharts.api.RenderOptions`, every :class:`MeshchartsError` becomes one
message on stderr and exit status 1, and nothing reaches stdout unless the command succeeded.
Built on argparse, which costs a fresh process almost nothing to import."""
from __future__ import annotations

import argparse
import sys

from .errors import MeshchartsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Sequence

DESCRIPTION = """\
Render the Istio 1.0.6 service-mesh install (or any Helm-shaped chart with Jinja2
templates) the way `helm template` does, without Helm.

examples:
  meshcharts render --profile demo > istio.yaml
  meshcharts render -f site.yaml --set global.hub=registry.local/istio --output-dir out/
  meshcharts values --profile auth          # the merged values templates see
  meshcharts lint -f site.yaml              # every problem with these values, located
  meshcharts profiles                       # the named overlays
  meshcharts images --profile demo --format skopeo > images.yaml
  meshcharts render --profile demo --registry reg.local:5000/mirror --check-registry reg.local:5000/mirror
  meshcharts validate --profile demo --kube-version v1.15.0   # what that cluster would refuse
  meshcharts render -f site.yaml --output-dir manifests/ --kustomize   # an exact mirror, with a record
  meshcharts diff --against manifests/ -f site.yaml --set pilot.enabled=false   # review, prune list
  meshcharts values -f site.yaml --user-only --show-origin --global-once
  meshcharts inject --profile demo app.yaml   # add the sidecar, as istioctl kube-inject does

Run `meshcharts COMMAND --help` for a command's flags."""

REGISTRY = "HOST[:PORT][/PREFIX]"
VALIDATE_DETAILS = """\
Each object as the API server reads it (null fields are absent, List items and the manifests
ConfigMaps carry are objects of their own): an API the target Kubernetes version no longer
serves (with the release that removed it and its replacement), a built-in kind against that
release's schema, an Istio 1.0 resource against Istio 1.0.6's schema and Pilot's rules, a
custom kind without a CRD, and references between Istio objects (subsets, gateways, hosts).
Exit status: 0 no errors (warnings allowed), 1 errors found, 2 the check could not run.

examples:
  meshcharts validate --profile demo --kube-version v1.15.0
  meshcharts validate istio.yaml --kube-version 1.22 --output json
  meshcharts render --profile demo --output-dir out/ && meshcharts validate out/
  kubectl kustomize overlay/ | meshcharts validate - --kube-version v1.16.0"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=100)


def _value_flags(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument_group("values and release").add_argument
    add("--chart", metavar="NAME|DIR", help="Bundled chart to render (see `meshcharts charts`) or a chart directory "
        "(write ./NAME for a directory named like a bundled chart). Default: istio, the Istio 1.0.6 mesh.")
    add("--profile", default="default", help="Named overlay applied below the -f files (see `meshcharts profiles`). "
                                             "Default: default.")
    add("-f", "--values", dest="values_files", action="append", default=[], metavar="FILE",
        help="Values file; repeatable, later files win.")
    add("--set", dest="set_values", action="append", default=[], metavar="K=V",
        help="Set a value: a.b=1, list={x,y}, a[0].b=c, escape dots as \\. ; typed (true/false/null/ints).")
    add("--set-string", dest="set_string_values", action="append", default=[], metavar="K=V",
        help="Like --set, but every value stays a string.")
    add("--set-file", dest="set_file_values", action="append", default=[], metavar="K=PATH",
        help="Set a value to the contents of a file.")
    add("--name", default="istio", help="Release name (.Release.Name). Default: istio.")
    add("--namespace", default="istio-system", help="Release namespace (.Release.Namespace). Default: istio-system.")
    add("--kube-version", default="v1.36.0",
        help="Kubernetes version templates see in .Capabilities.KubeVersion. Default: v1.36.0.")
    add("--api-versions", action="append", default=[], metavar="G/V",
        help="Extra API version for .Capabilities.APIVersions; repeatable.")
    add = parser.add_argument_group("limits").add_argument
    add("--time-limit", type=float, metavar="SECONDS",
        help="Stop a render that takes longer (default: $MESHCHARTS_TIME_LIMIT or 60; 0: no limit).")
    add("--max-output", type=int, metavar="CHARS",
        help="Stop a render whose templates build more text (default: $MESHCHARTS_MAX_OUTPUT or 268435456).")


def _switch_flags(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument_group("which documents (Helm's switches)").add_argument
    add("--no-hooks", action="store_true", help="Leave out every hook document (helm.sh/hook).")
    add("--skip-hook", dest="skip_hooks", action="append", default=[], metavar="EVENT",
        help="Leave out hooks of this event (e.g. post-delete); repeatable. A hook of several events goes when "
             "all of them are skipped.")
    add("--skip-crds", action="store_true", help="Leave out every CustomResourceDefinition.")
    add("--include-crds", action="store_true", help="Add the files of each chart's crds/ directory, first.")


class _Version(argparse.Action):
    """``--version``, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="Show the version and exit.")

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        from importlib.metadata import PackageNotFoundError, version  # 35 ms: only for --version
        try:
            found = version("meshcharts")
        except PackageNotFoundError:
            found = "unknown"
        print(f"meshcharts, version {found}")
        parser.exit()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that command's (building every command's flags costs a
    render of cached templates a tenth of its time)."""
    parser = argparse.ArgumentParser(prog="meshcharts", description=DESCRIPTION, formatter_class=_Formatter,
                                     allow_abbrev=False)
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, summary: str, details: str = "") -> argparse.ArgumentParser:
        if only is not None and name != only:
            return argparse.ArgumentParser(add_help=False)  # not this run's command: built, never attached
        return commands.add_parser(name, help=summary, description=summary + ("\n\n" + details if details else ""),
                                   formatter_class=_Formatter, allow_abbrev=False)

    render = command("render", "Render the manifest: `---` and `# Source:` before every document, in Helm's "
                               "install order.")
    _value_flags(render)
    add = render.add_argument_group("output").add_argument
    add("--show-only", dest="show_only", action="append", default=[], metavar="PATH",
        help="Only documents from templates matching PATH (e.g. charts/pilot/templates/*); repeatable.")
    add("--output-dir", metavar="DIR", help="Write each template's documents to DIR/<source path> instead of "
                                            "stdout, as an exact mirror: files of templates that no longer render "
                                            "are removed (only files meshcharts wrote, listed in DIR/.meshcharts.index"
                                            "); nothing is written if the render fails.")
    add("--kustomize", action="store_true", help="With --output-dir: also write DIR/kustomization.yaml listing the "
                                                 "files.")
    add("--quiet", "-q", action="store_true", help="With --output-dir: no line per file on stderr.")
    add("--registry", metavar=REGISTRY,
        help="Pull every image from this registry: docker.io/prom/prometheus:v2.3.1 becomes "
             "HOST/PREFIX/prom/prometheus:v2.3.1 (the injector's images too), and every pod template gets "
             "global.imagePullSecrets.")
    add("--check-registry", metavar=REGISTRY,
        help="Fail, listing each offender, if any image is outside this registry or any pod template lacks "
             "global.imagePullSecrets.")
    add("--validate", action="store_true",
        help="Fail, printing nothing, if Kubernetes --kube-version (with Istio 1.0) would refuse any object "
             "(the checks of `meshcharts validate`).")
    _switch_flags(render)

    images = command("images", "List every image the render would pull.",
                     "Containers, init containers, jobs and hooks, and images inside ConfigMaps such as the\n"
                     "sidecar injector's, once each, sorted. Images without a registry are Docker Hub's and are\n"
                     "listed as docker.io/...; untagged ones as :latest.")
    _value_flags(images)
    add = images.add_argument_group("output").add_argument
    add("--registry", metavar=REGISTRY, help="Also give each image's mirror in this registry (json), as "
                                             "`render --registry` rewrites it; fails if two images would share one.")
    add("--format", dest="fmt", choices=["text", "json", "skopeo"], default="text",
        help="text: one reference a line; json: each image with where it is used; skopeo: a "
             "`skopeo sync --src yaml` source file. Default: text.")
    add("--manifest", metavar="FILE|DIR|-", help="List the images of this manifest (a file, a folder of them, or "
                                                 "stdin) instead of a render, e.g. an application after "
                                                 "`meshcharts inject`.")

    values = command("values", "Print the effective values after every merge (what the parent chart's templates "
                               "see).",
                     "examples:\n"
                     "  meshcharts values --profile demo --show-origin --global-once\n"
                     "  meshcharts values -f site.yaml --user-only --show-origin   # what you changed, and where\n"
                     "  meshcharts values --set pilot.replicaCount=2 -o json")
    _value_flags(values)
    add = values.add_argument_group("output").add_argument
    add("--show-origin", action="store_true", help="Give each value's source (file:line or --set argument) and what it "
                                                   "overrode.")
    add("--user-only", action="store_true", help="Only the values the profile, -f files and --set flags changed from "
                                                 "the chart's defaults.")
    add("--global-once", action="store_true", help="Print global once, not again inside every child chart's section.")
    add("-o", "--output", choices=["yaml", "json"], default="yaml", help="Default: yaml.")
    _value_flags(command("lint", "Check values without printing a manifest.",
                         "Reports every schema violation, every key the chart's schema does not know, and every\n"
                         "value from -f/--set that no template reads (each with its file:line or --set argument),\n"
                         "plus any render error, and then what Kubernetes --kube-version would refuse in the\n"
                         "render (the checks of `meshcharts validate`). Exit status 1 if anything is found."))
    profiles = command("profiles", "List a chart's profiles (named values overlays) with what each is for; "
                                   "`profiles diff A B` shows the values two profiles set differently.",
                       "examples:\n  meshcharts profiles\n  meshcharts profiles diff default demo")
    profiles.add_argument("action", nargs="*", metavar="diff A B", help="Compare profiles A and B.")
    profiles.add_argument("--chart", metavar="NAME|DIR", help="Bundled chart name or chart directory. Default: istio.")
    command("charts", "List the bundled charts (selected by name with --chart NAME).")
    validate = command("validate", "Check a manifest against Kubernetes --kube-version and Istio 1.0, offline.",
                       VALIDATE_DETAILS)
    validate.add_argument("manifest", nargs="?", metavar="FILE|DIR|-",
                          help="A manifest file, an --output-dir tree, or - for stdin. Default: the render the "
                               "values flags give.")
    _value_flags(validate)
    validate.add_argument_group("output").add_argument(
        "--output", dest="fmt", choices=["text", "json"], default="text",
        help="text: one line per finding and a summary (stderr on problems); json: a report on stdout. "
             "Default: text.")
    if only in (None, "inject"):
        from .injection import command as inject_command  # only to build inject's flags (this module alone)
        inject_command.configure(command("inject", inject_command.SUMMARY, inject_command.DETAILS), _value_flags)
    if only is None or only in ("diff", "check-dir", "export"):
        from .gitops_cli import add_commands  # only to build the GitOps commands' flags (this module alone)
        add_commands(command, _value_flags, _switch_flags)
    return parser


def _options(args: argparse.Namespace, rewrite_images: bool = True):
    """The render options the flags give (``images --registry`` names mirrors, it does not rewrite)."""
    # Each command imports what it runs, so `--help` and the light commands start without the pipeline.
    from .api import RenderOptions
    return RenderOptions(chart=args.chart, profile=args.profile, values_files=tuple(args.values_files),
                         set_values=tuple(args.set_values), set_string_values=tuple(args.set_string_values),
                         set_file_values=tuple(args.set_file_values), name=args.name, namespace=args.namespace,
                         kube_version=args.kube_version, api_versions=tuple(args.api_versions),
                         show_only=tuple(getattr(args, "show_only", ())),
                         registry=getattr(args, "registry", None) if rewrite_images else None,
                         check_registry=getattr(args, "check_registry", None), time_limit=args.time_limit,
                         output_limit=args.max_output, no_hooks=getattr(args, "no_hooks", False),
                         skip_hooks=tuple(getattr(args, "skip_hooks", ())), skip_crds=getattr(args, "skip_crds", False),
                         include_crds=getattr(args, "include_crds", False))


def _error(message: str) -> None:
    print(f"Error: {message}", file=sys.stderr)


def _warn(manifest: Any) -> None:
    for warning in manifest.warnings:
        print(f"Warning: {warning}", file=sys.stderr)


def _render(args: argparse.Namespace) -> int:
    from .api import render_options  # per command, as in _options
    manifest = render_options(_options(args))
    _warn(manifest)
    from . import validate  # per command, as in _options
    if args.validate:
        report = validate.validate_manifest(manifest, args.kube_version)
        sys.stderr.write(report.text() if report.findings else "")
        if not report.ok:
            _error(f"--validate: Kubernetes {args.kube_version} would refuse this manifest")
            return 1
    else:
        unserved = validate.unserved_apis(manifest, args.kube_version)
        if unserved:
            print(f"Note: Kubernetes {args.kube_version} no longer serves {', '.join(unserved)}; "
                  "see `meshcharts validate` with the same flags", file=sys.stderr)
    if args.output_dir:
        from .mirror import write_mirror  # per command, as in _options
        written, removed = write_mirror(manifest, args.output_dir, _options(args), args.kustomize)
        if not args.quiet:
            for path in written:
                print(f"wrote {path}", file=sys.stderr)
            for path in removed:
                print(f"removed {path}", file=sys.stderr)
    else:
        sys.stdout.write(manifest.text)
    return 0


def _images(args: argparse.Namespace) -> int:
    from .api import render_options  # per command, as in _options
    from .registry import format_images, list_images
    if args.manifest:
        from .manifest import Manifest, read_manifest_path  # per command, as in _options
        manifest = Manifest(read_manifest_path(args.manifest))
    else:
        manifest = render_options(_options(args, rewrite_images=False))
    _warn(manifest)
    sys.stdout.write(format_images(list_images(manifest, args.registry), args.fmt))
    return 0


def _values(args: argparse.Namespace) -> int:
    from .explain import show_values  # per command, as in _options
    sys.stdout.write(show_values(_options(args), show_origin=args.show_origin, user_only=args.user_only,
                                 global_once_=args.global_once, output=args.output))
    return 0


def _lint(args: argparse.Namespace) -> int:
    from .linting import lint_options  # per command, as in _options
    warnings: list[Any] = []
    found = lint_options(_options(args), validation_warnings=warnings)
    for warning in warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    for problem in found:
        _error(str(problem))
    if found:
        print(f"{len(found)} problem{'s' if len(found) > 1 else ''} found", file=sys.stderr)
        return 1
    print("no problems found")
    return 0


def _profiles(args: argparse.Namespace) -> int:
    if args.action:
        from .gitops_cli import profiles_diff  # per command, as in _options
        return profiles_diff(args)
    from .bundle import resolve  # per command, as in _options
    source = resolve(args.chart)
    names = source.profile_names()
    width = max(len(n) for n in names)
    for name in names:
        print(f"{name.ljust(width)}  {source.profile_description(name)}")
    return 0


def _inject(args: argparse.Namespace) -> int:
    from .injection.command import run  # per command, as in _options
    return run(args, _options)


def _validate(args: argparse.Namespace) -> int:
    from . import validate  # per command, as in _options
    try:
        if args.manifest is not None:
            if _render_flags_given(args):
                raise MeshchartsError("takes a manifest or values flags, not both", args.manifest)
            report = validate.validate_path(args.manifest, args.kube_version)
        else:
            report = validate.validate_options(_options(args))
    except MeshchartsError as e:
        _error(str(e))
        return 2
    if args.fmt == "json":
        sys.stdout.write(report.json())
    elif report.findings:
        sys.stderr.write(report.text())
    else:
        sys.stdout.write(report.text())
    return 0 if report.ok else 1


def _render_flags_given(args: argparse.Namespace) -> bool:
    return bool(args.chart or args.profile != "default" or args.values_files or args.set_values
                or args.set_string_values or args.set_file_values or args.api_versions)



def _charts(args: argparse.Namespace) -> int:
    from .bundle import bundled, bundled_names  # per command, as in _options
    from .yamlio import load_data
    names = bundled_names()
    width = max(len(n) for n in names)
    for name in names:
        source = bundled(name)
        meta = load_data((source.directory / "Chart.yaml").read_text(encoding="utf-8"), f"{name}/Chart.yaml")
        default = " (default)" if name == names[0] else ""
        print(f"{name.ljust(width)}  {meta.get('version', '')}  {meta.get('description', '')}{default}")
    return 0


def _gitops(name: str) -> Any:
    """The handler of a GitOps command: :mod:`meshcharts.gitops_cli`'s function, given ``_options``."""
    def run(args: argparse.Namespace) -> int:
        from . import gitops_cli  # per command, as in _options
        return getattr(gitops_cli, name)(args, _options)
    return run


COMMANDS = {"render": _render, "images": _images, "values": _values, "lint": _lint, "profiles": _profiles,
            "charts": _charts, "validate": _validate, "inject": _inject, "diff": _gitops("diff"),
            "check-dir": _gitops("check_dir"), "export": _gitops("export")}


def main(argv: Sequence[str] | None = None) -> None:
    """Run one command; exits with status 1 on a :class:`MeshchartsError` (one message, no traceback)
    and 2 on a usage error."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    parser = build_parser(only=command)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        sys.exit(2)
    from .outputguard import guarded_stdout  # not for --help and usage errors
    with guarded_stdout() as guard:
        try:
            status = COMMANDS[args.command](args)
            guard.flush()
        except MeshchartsError as e:
            _error(str(e))
            status = 1
    status = guard.status or status
    if status:
        sys.exit(status)
