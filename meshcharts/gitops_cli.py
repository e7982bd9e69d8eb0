"""The command line of the GitOps commands: ``diff``, ``check-dir``, ``export`` and
``profiles diff``. Kept apart from :mod:`meshcharts.cli`, which attaches them and hands each the
function that turns flags into render options. Like the commands of :mod:`meshcharts.cli`, each
imports what it runs, so building the parser for ``--help`` loads none of it."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import MeshchartsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

DIFF_HELP = """\
Compare two renders object by object: what a change adds, removes and changes, and what a
pruning apply (kubectl apply --prune, Argo CD or Flux pruning) would delete.

Each side is a manifest file, an --output-dir tree, `-` (stdin), or a render of values flags:
  meshcharts diff old.yaml new.yaml                     # two manifests
  meshcharts diff --against manifests/ -f site.yaml     # the committed tree against these flags
  meshcharts diff --against manifests/                  # ... against the flags the tree records
  meshcharts diff --profile default --to-profile demo   # two renders
  meshcharts diff -f site.yaml --to-set pilot.enabled=false --output markdown

Exit status as `git diff --exit-code`: 0 no changes, 1 changes, 2 error."""


def add_commands(command: Callable[..., argparse.ArgumentParser], value_flags: Callable, switch_flags: Callable) -> None:
    diff = command("diff", "Compare two renders: objects added, removed and changed, and the prune list.", DIFF_HELP)
    diff.add_argument("sides", nargs="*", metavar="OLD [NEW]",
                      help="Manifest file, output directory or - ; with one, it is compared with the render of "
                           "the flags (like --against).")
    diff.add_argument("--against", metavar="FILE|DIR|-", help="The old side: a manifest or output directory; the new "
                                                              "side is the render of the flags.")
    value_flags(diff)
    diff.set_defaults(profile=None)  # to tell `--profile default` from no flag (then a tree's record counts)
    switch_flags(diff)
    add = diff.add_argument_group("the new side, when both sides are renders").add_argument
    add("--to-profile", metavar="NAME", help="Render the new side with this profile instead.")
    add("--to-values", dest="to_values", action="append", default=[], metavar="FILE",
        help="Add this values file to the new side (after the -f files); repeatable.")
    add("--to-set", dest="to_set", action="append", default=[], metavar="K=V", help="Add --set K=V to the new side.")
    add("--to-set-string", dest="to_set_string", action="append", default=[], metavar="K=V",
        help="Add --set-string K=V to the new side.")
    add = diff.add_argument_group("output").add_argument
    add("-o", "--output", choices=["text", "json", "markdown"], default="text",
        help="text; json; markdown, for a pull-request comment. Default: text.")

    check = command("check-dir", "Check that committed --output-dir trees are what their recorded flags render now.",
                    "Each DIR is rendered again from the flags and values files its .meshcharts.index records;\n"
                    "any file that differs, is missing or is no longer rendered is reported, and the exit status\n"
                    "is 1. Without DIR, every directory below the current one that holds a record is checked\n"
                    "(what the pre-commit hook runs).\n\n"
                    "examples:\n  meshcharts check-dir manifests/\n  meshcharts check-dir")
    check.add_argument("dirs", nargs="*", metavar="DIR")
    check.add_argument("--verbose", "-v", action="store_true", help="Also print the object diff of a stale tree.")

    export = command("export", "Write a bundled chart as a self-contained Helm-shaped directory you can fork.",
                     "The directory holds the chart's templates and charts, one values.yaml with every default\n"
                     "(comments kept) and the profiles; `meshcharts render --chart DIR` renders it exactly as\n"
                     "the bundled chart.\n\nexample:\n  meshcharts export my-istio/ && meshcharts render --chart "
                     "./my-istio --profile demo")
    export.add_argument("destination", metavar="DIR", help="A new or empty directory.")
    export.add_argument("--chart", metavar="NAME", help="The bundled chart to export. Default: istio.")


def _error(message: str) -> None:
    print(f"Error: {message}", file=sys.stderr)


def _read(source: str) -> Any:
    from .manifest import Manifest, read_manifest_path  # per command, as the module says
    return Manifest(read_manifest_path(source))


def _flags_given(args: argparse.Namespace) -> bool:
    """Whether any render flag was given (else an output directory's record supplies them)."""
    return bool(args.values_files or args.set_values or args.set_string_values or args.set_file_values
                or args.profile_given or args.chart or args.name != "istio" or args.namespace != "istio-system"
                or args.kube_version != "v1.36.0" or args.api_versions or args.no_hooks or args.skip_hooks
                or args.skip_crds or args.include_crds)


def diff(args: argparse.Namespace, options_of: Callable[[argparse.Namespace], Any]) -> int:
    args.profile_given = args.profile is not None
    args.profile = args.profile or "default"
    try:
        text, changed = _diff(args, options_of(args))
    except MeshchartsError as e:
        _error(str(e))
        return 2
    sys.stdout.write(text)
    return 1 if changed else 0


def _diff(args: argparse.Namespace, options: Any) -> tuple[str, bool]:
    from .api import render_options  # per command, as the module says
    from .diff import diff_manifests, format_diff
    to_render = (args.to_profile or args.to_values or args.to_set or args.to_set_string)
    sides = list(args.sides)
    if args.against is not None:
        sides.insert(0, args.against)
    if len(sides) > 2:
        raise MeshchartsError("give at most two sides (OLD NEW, or --against OLD)", "diff")
    if sides.count("-") + ("-" in options.values_files or "-" in args.to_values) > 1:
        raise MeshchartsError("only one side or values file can be read from standard input", "diff")
    if len(sides) == 2:
        if to_render:
            raise MeshchartsError("the --to-* flags describe a rendered new side; both sides are files here", "diff")
        old, new = _read(sides[0]), _read(sides[1])
        labels = (sides[0], sides[1])
    elif len(sides) == 1:
        if to_render:
            raise MeshchartsError("the --to-* flags compare two renders; with a file side, give the new side's "
                                  "flags as ordinary flags", "diff")
        old = _read(sides[0])
        if not _flags_given(args):  # the flags the committed tree was rendered with, when it records them
            from .mirror import options_from_record, read_record  # per command, as the module says
            record = read_record(sides[0]) if Path(sides[0]).is_dir() else None
            if record is not None and "provenance" in record:
                options = options_from_record(record, sides[0])
        new = render_options(options)
        labels = (sides[0], "render")
    else:
        if not to_render:
            raise MeshchartsError("nothing to compare: give OLD NEW, --against OLD, or a --to-profile/--to-values/"
                                  "--to-set for the new side", "diff")
        old = render_options(options)
        new = render_options(options._replace(
            profile=args.to_profile or options.profile,
            values_files=options.values_files + tuple(args.to_values),
            set_values=options.set_values + tuple(args.to_set),
            set_string_values=options.set_string_values + tuple(args.to_set_string)))
        labels = ("old render", "new render")
    result = diff_manifests(old, new, options.namespace, labels)
    for warning in result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    return format_diff(result, args.output), bool(result)


def _record_dirs(root: str = ".") -> list[str]:
    from .mirror import RECORD  # per command, as the module says
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("node_modules", "venv"))
        if RECORD in filenames:
            found.append(os.path.relpath(dirpath, root) if root == "." else dirpath)
    return found


def check_dir(args: argparse.Namespace, options_of: Callable[[argparse.Namespace], Any]) -> int:
    from .diff import format_diff  # per command, as the module says
    from .mirror import check_dir as check
    dirs = args.dirs or _record_dirs()
    if not dirs:
        print("no rendered directories (none holds a .meshcharts.index record)", file=sys.stderr)
        return 0
    status = 0
    for directory in dirs:
        try:
            problems, result = check(directory, with_diff=args.verbose)
        except MeshchartsError as e:
            _error(str(e))
            status = 2
            continue
        if problems:
            status = max(status, 1)
            print(f"{directory}: stale, render it again (meshcharts render ... --output-dir {directory})")
            for problem in problems:
                print(f"  {problem}")
            if result is not None:
                sys.stdout.write(format_diff(result))
        else:
            print(f"{directory}: up to date")
    return status


def export(args: argparse.Namespace, options_of: Callable[[argparse.Namespace], Any]) -> int:
    from .export import export_chart  # per command, as the module says
    files = export_chart(args.destination, args.chart)
    print(f"wrote {len(files)} files to {args.destination}", file=sys.stderr)
    return 0


def profiles_diff(args: argparse.Namespace) -> int:
    from .api import RenderOptions  # per command, as the module says
    from .explain import format_profile_diff, profile_diff
    if len(args.action) != 3 or args.action[0] != "diff":
        raise MeshchartsError("expected `profiles` or `profiles diff A B`", "profiles " + " ".join(args.action))
    _, a, b = args.action
    sys.stdout.write(format_profile_diff(profile_diff(RenderOptions(chart=args.chart), a, b), a, b))
    return 0
