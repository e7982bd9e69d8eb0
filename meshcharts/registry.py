"""Images for air-gapped installs: list every image a render pulls, move them all into one
private registry, give every pod template the pull secrets, and check a manifest against a registry.

Everything here works on the rendered :class:`~meshcharts.manifest.Manifest`, after the templates
ran, so third-party images (grafana, prometheus, jaeger, kiali, cert-manager, hyperkube) are
treated exactly like Istio's own, whatever values produced them. Images are found in

- pod specs anywhere in an object (any mapping with a ``containers`` list: Deployments, Jobs and
  hooks, CronJobs, DaemonSets, StatefulSets, Pods, and the items of a ``List``):
  ``initContainers``, ``containers`` and ``ephemeralContainers``;
- ConfigMap data, which may hold pod templates as text, like the sidecar injector's: on each line
  whose key names an image (``image:``, ``"image":``, ``proxyImage:``, ``init_image:``) the value,
  or, when the value is a template expression (``[[ ... ]]``, ``{{ ... }}``), the string literals
  in it that are tagged or pinned image references.

A rewritten document keeps its bytes except the image references and the inserted pull-secret
lines; a document whose layout defeats that (flow style, escaped strings) is re-emitted whole
with ``toYaml``. Either way the result is checked by parsing it again.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .errors import RegistryError
from .manifest import Document, Manifest
from .values import Values, copy_values
from .golang import type_name
from .yamlio import parse_document, to_yaml

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator

# --- image references (the grammar of github.com/distribution/reference) -----------------------

_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_PATH = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"(?P<name>(?:{_DOMAIN}/)?{_PATH})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?")
_REGISTRY = re.compile(rf"(?P<host>{_DOMAIN})(?:/(?P<prefix>{_PATH}))?")
_MAX_NAME = 255
DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class ImageRef:
    """A normalised image reference: ``grafana/grafana:5.2.3`` is ``docker.io``,
    ``grafana/grafana``, tag ``5.2.3``; ``nginx`` is ``docker.io``, ``library/nginx``, tag
    ``latest`` (what a pull of it fetches)."""
    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def _is_domain(component: str) -> bool:
    # Docker's rule: only a first component that looks like a host names a registry; any other
    # (`grafana/grafana`) is a path on Docker Hub.
    return "." in component or ":" in component or component == "localhost" or component != component.lower()


def parse_image(text: str) -> ImageRef | None:
    """The reference ``text`` names, or ``None`` when it is not a valid image reference."""
    m = _REFERENCE.fullmatch(text)
    if not m or len(m.group("name")) > _MAX_NAME:
        return None
    first, _, rest = m.group("name").partition("/")
    if rest and _is_domain(first):
        domain, path = first, rest
    else:
        domain, path = DOCKER_HUB, m.group("name")
    if domain == "index.docker.io":
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    tag, digest = m.group("tag"), m.group("digest")
    return ImageRef(domain, path, tag or (None if digest else "latest"), digest)


def _tagged(text: str) -> bool:
    """``text`` names a tag or a digest itself (a port's ``:`` sits before the first ``/``)."""
    return "@" in text or ":" in text.rpartition("/")[2]


@dataclass(frozen=True)
class Registry:
    """A target registry: ``HOST[:PORT]`` and an optional path prefix."""
    host: str
    prefix: str = ""

    def __str__(self) -> str:
        return f"{self.host}/{self.prefix}" if self.prefix else self.host

    def contains(self, ref: ImageRef) -> bool:
        return ref.name.startswith(f"{self}/")

    def mirror(self, ref: ImageRef) -> ImageRef:
        """Where ``ref`` lives in this registry: the same repository path and tag under
        ``HOST/PREFIX``. An image already in the registry stays where it is."""
        if self.contains(ref):
            return ref
        path = f"{self.prefix}/{ref.path}" if self.prefix else ref.path
        return ImageRef(self.host, path, ref.tag, ref.digest)


def parse_registry(value: str, flag: str) -> Registry:
    """Read ``HOST[:PORT][/PREFIX]`` given to ``flag``."""
    text = value.strip().rstrip("/")
    if "://" in text:
        raise RegistryError(f"{value!r}: give HOST[:PORT][/PREFIX] without a scheme", flag)
    m = _REGISTRY.fullmatch(text)
    if not m:
        raise RegistryError(f"{value!r} is not a registry: expected HOST[:PORT][/PREFIX] with a lowercase "
                            "PREFIX, e.g. registry.local:5000/mirror", flag)
    host = m.group("host")
    if not (_is_domain(host) or host.startswith("[")):
        raise RegistryError(f"{value!r}: the registry host needs a '.' or a ':PORT' (or must be localhost); "
                            f"otherwise '{host}/...' names a path on Docker Hub", flag)
    return Registry(DOCKER_HUB if host == "index.docker.io" else host, m.group("prefix") or "")


# --- where images are used ------------------------------------------------------------------

@dataclass(frozen=True)
class Use:
    """One place that pulls an image: a container of a pod template, or a ConfigMap key."""
    source: str
    kind: str
    namespace: str | None
    name: str | None
    container: str | None = None
    field: str | None = None        # containers, initContainers or ephemeralContainers
    key: str | None = None          # the ConfigMap data key

    @property
    def label(self) -> str:
        """``Deployment istio-system/istio-pilot``."""
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    @property
    def place(self) -> str:
        """``container discovery``, ``init container istio-init`` or ``data key config``."""
        if self.key is not None:
            return f"data key {self.key}"
        kinds = {"initContainers": "init container", "ephemeralContainers": "ephemeral container"}
        return f"{kinds.get(self.field or '', 'container')} {self.container}"

    def __str__(self) -> str:
        return f"{self.source}: {self.label}, {self.place}"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "namespace": self.namespace, "name": self.name,
                               "source": self.source}
        if self.key is not None:
            out["key"] = self.key
        else:
            out["container"] = self.container
            out["field"] = self.field
        return out


@dataclass(frozen=True)
class Found:
    """An image reference as written in the manifest, and where."""
    written: str
    ref: ImageRef
    use: Use


@dataclass
class PodTemplate:
    """A pod spec inside a rendered object, and that object (``use`` without a container)."""
    use: Use
    spec: dict


@dataclass
class Scan:
    """What one document pulls: its image references and pod templates, in document order."""
    doc: Document
    found: list[Found]
    pods: list[PodTemplate]


_CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


def _objects(node: Any) -> Iterator[dict]:
    """The objects of one document: itself, or the items of a ``List`` (nested lists too)."""
    if not isinstance(node, dict):
        return
    if str(node.get("kind", "")).endswith("List") and isinstance(node.get("items"), list):
        for item in node["items"]:
            yield from _objects(item)
    else:
        yield node


def _pod_specs(node: Any) -> Iterator[dict]:
    """Every pod spec under ``node`` in document order: a mapping with a ``containers`` list is
    one, wherever the workload kind keeps it (``spec``, ``spec.template.spec``,
    ``spec.jobTemplate.spec.template.spec``, or a custom resource's own field)."""
    if isinstance(node, dict):
        if isinstance(node.get("containers"), list):
            yield node
            return
        for value in node.values():
            yield from _pod_specs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _pod_specs(value)


def _containers(spec: dict) -> Iterator[tuple[str, int, dict]]:
    for field in _CONTAINER_FIELDS:
        items = spec.get(field)
        for i, container in enumerate(items if isinstance(items, list) else ()):
            if isinstance(container, dict):
                yield field, i, container


def _config_maps(obj: dict) -> Iterator[tuple[str, str]]:
    """The text values of a ConfigMap's ``data``."""
    data = obj.get("data") if obj.get("kind") == "ConfigMap" else None
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                yield str(key), value


# A line `KEY: VALUE` (also `- KEY: VALUE` and JSON's `"KEY": VALUE`) whose key names an image.
_IMAGE_LINE = re.compile(
    r"""^[ \t]*(?:-[ \t]+)?(["']?)(?P<key>[A-Za-z0-9_.-]*?(?:image|Image))\1[ \t]*:[ \t]*(?P<value>[^\n]*?)[ \t]*$""",
    re.M)
_IMAGE_KEY = re.compile(r"[A-Za-z0-9_.-]*(?:image|Image)")
_TEMPLATE_LITERAL = re.compile(r'"([^"\\\n]*)"|`([^`\n]*)`')
_PLAIN_TOKEN = re.compile(r"[^\s,#]+")


def _candidate(text: str, start: int, strict: bool) -> Iterator[tuple[int, int, str, ImageRef]]:
    """``text`` at ``start`` if it is an image reference. ``strict`` (a value that need not be
    an image) also asks for a tag or digest, so annotation keys and plain words stay out."""
    ref = parse_image(text)
    if ref is not None and (not strict or _tagged(text)):
        yield start, start + len(text), text, ref


def _embedded(text: str) -> Iterator[tuple[int, int, str, ImageRef]]:
    """Image references inside text (a ConfigMap value, or a whole document), with their spans.
    Only the key ``image`` itself takes an untagged value; ``proxyImage`` and the literals of a
    template expression need a tag or digest."""
    if "mage" not in text:
        return
    for m in _IMAGE_LINE.finditer(text):
        value, base = m.group("value"), m.start("value")
        strict = m.group("key") != "image"
        if "[[" in value or "{{" in value:
            for lit in _TEMPLATE_LITERAL.finditer(value):
                group = 1 if lit.group(1) is not None else 2
                yield from _candidate(lit.group(group), base + lit.start(group), strict=True)
        elif value[:1] in ("'", '"'):
            end = value.find(value[0], 1)
            if end > 0:
                yield from _candidate(value[1:end], base + 1, strict)
        else:
            token = _PLAIN_TOKEN.match(value)
            if token:
                yield from _candidate(token.group(), base, strict)


def _whole_value(key: str, value: str) -> tuple[str, ImageRef] | None:
    """A ConfigMap value that is itself an image under an image-named key (``proxyImage: x:1``)."""
    whole = value.strip()
    ref = parse_image(whole) if _IMAGE_KEY.fullmatch(key) else None
    return (whole, ref) if ref is not None and (key == "image" or _tagged(whole)) else None


def _rewrite_embedded(text: str, mirrors: dict[str, str]) -> str:
    out, last = [], 0
    for start, end, written, _ in _embedded(text):
        if written in mirrors:
            out += [text[last:start], mirrors[written]]
            last = end
    return "".join(out) + text[last:] if out else text


def _may_pull(doc: Document) -> bool:
    """Whether the document may hold a pod spec or image text, judged without parsing it (most
    documents, CRDs, RBAC, Services, are skipped). Images are then found on the parsed object,
    so the test only has to be sure: a ``containers`` key and an image-named key are written
    out in the text however they are spelled (``? containers``, quoted, or the anchor an alias
    key repeats), unless a double-quoted escape (``contain\\x65rs``) spells them, hence the
    backslash."""
    text = doc.text
    return "containers" in text or "mage" in text or "\\" in text


def scan(doc: Document) -> Scan:
    """The images one document pulls and its pod templates, in document order."""
    result = Scan(doc, [], [])
    if not _may_pull(doc):
        return result
    for obj in _objects(doc.object):
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        owner = Use(doc.source, str(obj.get("kind") or "object"),
                    *(None if meta.get(k) is None else str(meta[k]) for k in ("namespace", "name")))
        for spec in _pod_specs(obj):
            result.pods.append(PodTemplate(owner, spec))
            for field, i, container in _containers(spec):
                name = container.get("name")
                use = Use(owner.source, owner.kind, owner.namespace, owner.name,
                          f"#{i}" if name is None else str(name), field)
                image = container.get("image")
                if not isinstance(image, str) or not image:
                    raise RegistryError(f"{use.label}, {use.place} has no image", doc.source)
                ref = parse_image(image)
                if ref is None:
                    raise RegistryError(f"{use.label}, {use.place}: {image!r} is not an image reference",
                                        doc.source)
                result.found.append(Found(image, ref, use))
        for key, value in _config_maps(obj):
            use = Use(owner.source, owner.kind, owner.namespace, owner.name, key=key)
            whole = _whole_value(key, value)
            if whole is not None:
                result.found.append(Found(*whole, use))
            else:
                result.found.extend(Found(written, ref, use) for _, _, written, ref in _embedded(value))
    return result


# --- the image list --------------------------------------------------------------------------

@dataclass
class Image:
    """One image of the render: its full reference, every place using it, and its mirror."""
    ref: ImageRef
    uses: list[Use]
    mirror: ImageRef | None = None


def _collect(scans: list[Scan], registry: str | None, flag: str) -> list[Image]:
    by_ref: dict[ImageRef, Image] = {}
    for s in scans:
        for f in s.found:
            image = by_ref.setdefault(f.ref, Image(f.ref, []))
            if f.use not in image.uses:
                image.uses.append(f.use)
    images = sorted(by_ref.values(), key=lambda im: str(im.ref))
    if registry is not None:
        target = parse_registry(registry, flag)
        for image in images:
            image.mirror = target.mirror(image.ref)
        _check_collisions(images, flag)
    return images


def list_images(manifest: Manifest, registry: str | None = None, flag: str = "--registry") -> list[Image]:
    """Every image ``manifest`` pulls, once each, sorted by full reference; with ``registry``,
    each with its mirror there (two images that would share a mirror are an error)."""
    return _collect([scan(doc) for doc in manifest.documents], registry, flag)


def _check_collisions(images: list[Image], flag: str) -> None:
    by_mirror: dict[str, list[Image]] = {}
    for image in images:
        by_mirror.setdefault(str(image.mirror), []).append(image)
    clashes = {m: group for m, group in by_mirror.items() if len(group) > 1}
    if not clashes:
        return
    details = []
    for mirror, group in clashes.items():
        details.append(f"  {mirror} would receive:")
        details += [f"    {image.ref} (used by {image.uses[0]})" for image in group]
    raise RegistryError(f"{len(clashes)} mirror reference(s) would hold two different images; "
                        "use a registry prefix that keeps them apart, or change the images", flag, details)


FORMATS = ("text", "json", "skopeo")


def format_images(images: list[Image], fmt: str) -> str:
    """``text``: one reference a line; ``json``: each image, its uses and mirror;
    ``skopeo``: a ``skopeo sync --src yaml`` source file."""
    if fmt == "text":
        return "".join(f"{image.ref}\n" for image in images)
    if fmt == "json":
        entries = []
        for image in images:
            entry: dict[str, Any] = {"image": str(image.ref)}
            if image.mirror is not None:
                entry["mirror"] = str(image.mirror)
            entry["usedBy"] = [use.as_json() for use in image.uses]
            entries.append(entry)
        return json.dumps({"images": entries}, indent=2) + "\n"
    if fmt == "skopeo":
        registries: dict[str, dict[str, dict[str, list[str]]]] = {}
        for image in images:
            refs = registries.setdefault(image.ref.domain, {"images": {}})["images"].setdefault(image.ref.path, [])
            # A digest names exactly what the pod pulls; skopeo takes it in place of a tag.
            wanted = image.ref.digest or image.ref.tag
            if wanted not in refs:
                refs.append(wanted)
        return to_yaml(registries) + "\n" if registries else ""
    raise RegistryError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})", "--format")


# --- pull secrets ----------------------------------------------------------------------------

_SECRET_NAME = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*")


def pull_secrets(values: Values) -> list[str]:
    """The secret names in ``global.imagePullSecrets`` (names, or ``{name: ...}`` maps)."""
    glob = values.get("global") if isinstance(values, dict) else None
    raw = glob.get("imagePullSecrets") if isinstance(glob, dict) else None
    if raw is None or raw == "" or raw == []:
        return []
    if not isinstance(raw, list):
        raise RegistryError(f"must be a list of secret names, not {type_name(raw)}", "global.imagePullSecrets")
    names: list[str] = []
    for i, item in enumerate(raw):
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or len(name) > 253 or not _SECRET_NAME.fullmatch(name):
            raise RegistryError(f"{name!r} is not a secret name (lowercase letters, digits, '-' and '.')",
                                f"global.imagePullSecrets[{i}]")
        if name not in names:
            names.append(name)
    return names


def _missing_secrets(spec: dict, secrets: list[str]) -> list[str]:
    entries = spec.get("imagePullSecrets")
    have = {e.get("name") for e in entries if isinstance(e, dict)} if isinstance(entries, list) else set()
    return [s for s in secrets if s not in have]


# --- rewriting a manifest --------------------------------------------------------------------

_CONTAINERS_KEY = re.compile(r"^([ \t]*)containers:[ \t]*$", re.M)


def _edit_object(obj: Any, mirrors: dict[str, str], secrets: list[str]) -> None:
    """Rewrite ``obj`` in place: container images, ConfigMap data, missing pull secrets."""
    for item in _objects(obj):
        for spec in _pod_specs(item):
            for _, _, container in _containers(spec):
                if container.get("image") in mirrors:
                    container["image"] = mirrors[container["image"]]
            missing = _missing_secrets(spec, secrets)
            if missing:
                if not isinstance(spec.get("imagePullSecrets"), list):
                    spec["imagePullSecrets"] = []
                spec["imagePullSecrets"].extend({"name": s} for s in missing)
        data = item.get("data")
        for key, value in list(_config_maps(item)):
            whole = _whole_value(key, value)
            if whole is not None:
                data[key] = value.replace(whole[0], mirrors.get(whole[0], whole[0]), 1)
            else:
                data[key] = _rewrite_embedded(value, mirrors)


def _insert_secrets(text: str, pods: list[PodTemplate], secrets: list[str]) -> str | None:
    """The missing pull secrets as lines above each pod spec's ``containers:`` key; ``None``
    when the text does not line up with the pod specs (the caller then re-emits the document)."""
    if not any(_missing_secrets(pod.spec, secrets) for pod in pods):
        return text
    keys = list(_CONTAINERS_KEY.finditer(text))
    if len(keys) != len(pods):
        return None
    out, last = [], 0
    for m, pod in zip(keys, pods):
        missing = _missing_secrets(pod.spec, secrets)
        if not missing:
            continue
        if "imagePullSecrets" in pod.spec:  # completing a list in place is not worth the risk
            return None
        indent = m.group(1)
        out += [text[last:m.start()], f"{indent}imagePullSecrets:\n", *(f"{indent}- name: {s}\n" for s in missing)]
        last = m.start()
    return "".join(out) + text[last:]


def _relocate(s: Scan, mirrors: dict[str, str], secrets: list[str]) -> Document:
    doc = s.doc
    if not s.found and not s.pods:
        return doc
    # Only this document's own references: the same string elsewhere (say, in an annotation)
    # is no image this module recognised, and must stay as it is.
    mirrors = {f.written: mirrors[f.written] for f in s.found if f.written in mirrors}
    expected = copy_values(doc.object)
    _edit_object(expected, mirrors, secrets)
    if expected == doc.object:
        return doc
    text = _insert_secrets(_rewrite_embedded(doc.text, mirrors), s.pods, secrets)
    if text is None or parse_document(text) != expected:
        text = to_yaml(expected)
    return Document(doc.source, text, doc.kind, doc.is_hook, parsed=expected)


def relocate(manifest: Manifest, registry: str, secrets: list[str], flag: str = "--registry") -> Manifest:
    """``manifest`` with every image moved into ``registry`` (same repository path and tag under
    it) and ``secrets`` added to every pod template that lacks them."""
    scans = [scan(doc) for doc in manifest.documents]
    mirror_of = {image.ref: str(image.mirror) for image in _collect(scans, registry, flag)}
    mirrors = {f.written: mirror_of[f.ref] for s in scans for f in s.found if mirror_of[f.ref] != f.written}
    return Manifest([_relocate(s, mirrors, secrets) for s in scans], manifest.warnings)


def check_registry(manifest: Manifest, registry: str, secrets: list[str], flag: str = "--check-registry") -> None:
    """Fail unless every image is inside ``registry`` and every pod template names ``secrets``,
    listing each offending object and image."""
    target = parse_registry(registry, flag)
    problems: list[str] = []
    for doc in manifest.documents:
        s = scan(doc)
        problems += [f"  {f.use}: {f.written} is outside {target}" for f in s.found if not target.contains(f.ref)]
        for pod in s.pods:
            missing = _missing_secrets(pod.spec, secrets)
            if missing:
                problems.append(f"  {pod.use.source}: {pod.use.label}: pod template lacks imagePullSecrets "
                                f"{', '.join(missing)}")
    if problems:
        raise RegistryError(f"{len(problems)} problem(s) against registry {target}", flag, problems)


def apply(manifest: Manifest, values: Values, registry: str | None, check: str | None) -> Manifest:
    """What ``--registry`` and then ``--check-registry`` do to a render."""
    secrets = pull_secrets(values) if registry is not None or check is not None else []
    if registry is not None:
        manifest = relocate(manifest, registry, secrets)
    if check is not None:
        check_registry(manifest, check, secrets)
    return manifest
