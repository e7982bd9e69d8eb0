"""How a caller uses the public API; the test suite type-checks this file against the package's
annotations (it is never run), so a wrong annotation on the public surface fails the suite."""
from __future__ import annotations

from pathlib import Path

import meshcharts
from meshcharts import Document, Finding, Manifest, MeshchartsError, RenderOptions, lint, render, render_options


def usage() -> list[str]:
    manifest: Manifest = render("demo", values_files="site.yaml", values={"pilot": {"replicaCount": 2}},
                                set_values=["global.hub=registry.local/istio"])
    render(values_files=[Path("a.yaml"), "b.yaml"], set_string_values="global.tag=1.10", show_only=("x",))
    text: str = manifest.text
    warnings: list[str] = manifest.warnings
    lines = [text, *warnings]
    for doc in manifest.documents:
        document: Document = doc
        kind: str = document.kind
        version: str | None = document.api_version
        name: str | None = document.name
        lines += [kind, version or "", name or "", document.source]
    findings: list[Finding] = lint(values_files=Path("site.yaml"), values={"global": {"tag": "1.10"}})
    for finding in findings:
        where: str | None = finding.where
        lines += [finding.message, str(finding), where or ""]
    options = RenderOptions(profile="auth", values_files=("site.yaml",))
    lines.append(render_options(options._replace(name="mesh")).text)
    try:
        meshcharts.render(chart=Path("chart"))
    except MeshchartsError as e:
        lines.append(str(e))
    return lines
