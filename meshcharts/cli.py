"""The command line: ``meshcharts render|images|values|lint|profiles``. A thin layer over :mod:`meshcharts.api`:
flags become one :class:`~meshcharts.api.RenderOptions`, every :class:`MeshchartsError` becomes one
message on stderr and exit status 1, and nothing reaches stdout unless the command succeeded."""
from __future__ import annotations

import sys
from typing import Any, Callable

import click

from .errors import MeshchartsError

_VALUE_FLAGS: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
    click.option("--chart", type=click.Path(file_okay=False), default=None,
                 help="Chart directory to render. Default: the bundled Istio 1.0.6 mesh chart."),
    click.option("--profile", default="default", show_default=True,
                 help="Named overlay applied below the -f files (see `meshcharts profiles`)."),
    click.option("-f", "--values", "values_files", multiple=True, metavar="FILE",
                 help="Values file; repeatable, later files win."),
    click.option("--set", "set_values", multiple=True, metavar="K=V",
                 help="Set a value: a.b=1, list={x,y}, a[0].b=c, escape dots as \\. ; typed (true/false/null/ints)."),
    click.option("--set-string", "set_string_values", multiple=True, metavar="K=V",
                 help="Like --set, but every value stays a string."),
    click.option("--set-file", "set_file_values", multiple=True, metavar="K=PATH",
                 help="Set a value to the contents of a file."),
    click.option("--name", default="istio", show_default=True, help="Release name (.Release.Name)."),
    click.option("--namespace", default="istio-system", show_default=True,
                 help="Release namespace (.Release.Namespace)."),
    click.option("--kube-version", default="v1.36.0", show_default=True,
                 help="Kubernetes version templates see in .Capabilities.KubeVersion."),
    click.option("--api-versions", multiple=True, metavar="G/V",
                 help="Extra API version for .Capabilities.APIVersions; repeatable."),
]


def value_flags(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_VALUE_FLAGS):
        fn = option(fn)
    return fn


def _options(kw: dict[str, Any]):
    from .api import RenderOptions
    return RenderOptions(chart=kw["chart"], profile=kw["profile"], values_files=kw["values_files"],
                         set_values=kw["set_values"], set_string_values=kw["set_string_values"],
                         set_file_values=kw["set_file_values"], name=kw["name"], namespace=kw["namespace"],
                         kube_version=kw["kube_version"], api_versions=kw["api_versions"],
                         show_only=kw.get("show_only", ()), registry=kw.get("registry"),
                         check_registry=kw.get("check_registry"))


def _fail(error: MeshchartsError) -> None:
    click.echo(f"Error: {error}", err=True)
    sys.exit(1)


def _warn(manifest: Any) -> None:
    for warning in manifest.warnings:
        click.echo(f"Warning: {warning}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="meshcharts")
def cli() -> None:
    """Render the Istio 1.0.6 service-mesh install (or any Helm-shaped chart with Jinja2
    templates) the way `helm template` does, without Helm.

    \b
    Examples:
      meshcharts render --profile demo > istio.yaml
      meshcharts render -f site.yaml --set global.hub=registry.local/istio --output-dir out/
      meshcharts values --profile auth          # the merged values templates see
      meshcharts lint -f site.yaml              # every problem with these values, located
      meshcharts profiles                       # the named overlays
      meshcharts images --profile demo --format skopeo > images.yaml
      meshcharts render --profile demo --registry reg.local:5000/mirror --check-registry reg.local:5000/mirror
    """


@cli.command()
@value_flags
@click.option("--show-only", "show_only", multiple=True, metavar="PATH",
              help="Only documents from templates matching PATH (e.g. charts/pilot/templates/*); repeatable.")
@click.option("--output-dir", type=click.Path(file_okay=False), default=None,
              help="Write each template's documents to DIR/<source path> instead of stdout "
                   "(files replaced, never appended; nothing written if the render fails).")
@click.option("--registry", metavar="HOST[:PORT][/PREFIX]", default=None,
              help="Pull every image from this registry: docker.io/prom/prometheus:v2.3.1 becomes "
                   "HOST/PREFIX/prom/prometheus:v2.3.1 (the injector's images too), and every pod template "
                   "gets global.imagePullSecrets.")
@click.option("--check-registry", metavar="HOST[:PORT][/PREFIX]", default=None,
              help="Fail, listing each offender, if any image is outside this registry or any pod template "
                   "lacks global.imagePullSecrets.")
def render(output_dir: str | None, **kw: Any) -> None:
    """Render the manifest: `---` and `# Source:` before every document, in Helm's install order."""
    from .api import render_options
    from .manifest import write_output_dir
    try:
        manifest = render_options(_options(kw))
        _warn(manifest)
        if output_dir:
            for path in write_output_dir(manifest, output_dir):
                click.echo(f"wrote {path}")
        else:
            sys.stdout.write(manifest.text)
    except MeshchartsError as e:
        _fail(e)


@cli.command()
@value_flags
@click.option("--registry", metavar="HOST[:PORT][/PREFIX]", default=None,
              help="Also give each image's mirror in this registry (json), as `render --registry` "
                   "rewrites it; fails if two images would share one.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "skopeo"]), default="text",
              show_default=True,
              help="text: one reference a line; json: each image with where it is used; "
                   "skopeo: a `skopeo sync --src yaml` source file.")
def images(fmt: str, registry: str | None, **kw: Any) -> None:
    """List every image the render would pull (containers, init containers, jobs and hooks, and
    images inside ConfigMaps such as the sidecar injector's), once each, sorted. Images without a
    registry are Docker Hub's and are listed as docker.io/...; untagged ones as :latest."""
    from .api import render_options
    from .registry import format_images, list_images
    try:
        manifest = render_options(_options(kw))
        _warn(manifest)
        sys.stdout.write(format_images(list_images(manifest, registry), fmt))
    except MeshchartsError as e:
        _fail(e)


@cli.command()
@value_flags
def values(**kw: Any) -> None:
    """Print the effective values after every merge (what the parent chart's templates see)."""
    from .api import effective_values
    from .yamlio import to_yaml
    try:
        sys.stdout.write(to_yaml(effective_values(_options(kw))) + "\n")
    except MeshchartsError as e:
        _fail(e)


@cli.command()
@value_flags
def lint(**kw: Any) -> None:
    """Check values without printing a manifest: every schema violation, every key the chart's
    schema does not know, and every value from -f/--set that no template reads (each with its
    file:line or --set argument), plus any render error. Exit status 1 if anything is found."""
    from .lint import lint as run_lint
    try:
        found = run_lint(_options(kw))
    except MeshchartsError as e:
        _fail(e)
    for problem in found:
        click.echo(f"Error: {problem}", err=True)
    if found:
        click.echo(f"{len(found)} problem{'s' if len(found) > 1 else ''} found", err=True)
        sys.exit(1)
    click.echo("no problems found")


@cli.command()
def profiles() -> None:
    """List the bundled profiles (named values overlays) with what each is for."""
    from .bundle import profile_description, profile_names
    try:
        names = profile_names()
        width = max(len(n) for n in names)
        for name in names:
            click.echo(f"{name.ljust(width)}  {profile_description(name)}")
    except MeshchartsError as e:
        _fail(e)


def main() -> None:
    cli(prog_name="meshcharts")
