"""Sidecar injection of one pod template, as Istio 1.0.6's ``kube-inject`` does it.

The injector's ``config`` (ConfigMap ``istio-sidecar-injector``) holds a ``policy`` and a Go
template with ``[[ ]]`` delimiters. For each pod template, the template runs on the pod's
metadata and spec and the mesh config; its output (YAML) is decoded into the Kubernetes types
Istio 1.0.6 was built with (:mod:`.podtypes`), which drops fields those types lack, and turns
numbers printed where a string belongs into strings; the containers, init containers and
volumes it lists are appended to the pod, and the pod's annotations get
``sidecar.istio.io/status`` (sha256 of the template text, and the names added), which is also
how a later injection finds and replaces this one.
"""
from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import re
from pathlib import Path

from ..errors import MeshchartsError
from ..golang import format_duration, format_float32
from ..yamlio import load_document
from .gotemplate import CallError, GoStruct, GoTemplateError, Template, go_sprint_one
from .mesh import Duration

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

STATUS = "sidecar.istio.io/status"
INJECT = "sidecar.istio.io/inject"
PROXY_CONTAINER = "istio-proxy"


class InjectError(MeshchartsError):
    """A workload, injector config or mesh config that injection cannot use."""


# --- the Kubernetes types (derived from the Go sources Istio 1.0.6 vendors) ----------------------

@functools.lru_cache(maxsize=1)
def pod_types() -> dict[str, list[list[str]]]:
    return json.loads((Path(__file__).parent / "podtypes.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _fields(type_name: str) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """A struct's fields by JSON name and by Go name, embedded (inline) structs' fields promoted."""
    by_json: dict[str, tuple[str, str]] = {}
    by_go: dict[str, tuple[str, str]] = {}
    for go, js, kind in pod_types()[type_name]:
        if js == "":
            inner_json, inner_go = _fields(kind.rpartition("struct:")[2])
            for k, v in inner_json.items():
                by_json.setdefault(k, v)
            for k, v in inner_go.items():
                by_go.setdefault(k, v)
        else:
            by_json[js] = (go, kind)
            by_go[go] = (js, kind)
    return by_json, by_go


class K8sView(GoStruct):
    """A Kubernetes object (a plain map, as read from YAML) seen as the Go struct the template
    expects: ``.Spec.ServiceAccountName`` reads ``serviceAccountName``, absent fields read as
    Go's zero values (``""``, 0, false, an empty map), absent pointers as nil."""
    __slots__ = ("data",)

    def __init__(self, type_name: str, data: dict):
        super().__init__(type_name)
        self.data = data

    def field(self, name: str) -> Any:
        js, kind = _fields(self.type_name)[1][name]  # KeyError: no such field
        return _view(kind, self.data.get(js))

    def __repr__(self) -> str:
        return f"{self.type_name}({self.data!r})"


def _view(kind: str, value: Any) -> Any:
    if kind.startswith("*"):
        if value is None:
            return None
        kind = kind[1:]
    if kind.startswith("struct:"):
        return K8sView(kind[7:], value if isinstance(value, dict) else {})
    if kind.startswith("list:"):
        return [_view(kind[5:], v) for v in value] if isinstance(value, list) else []
    if kind.startswith("map:"):
        return {str(k): _go_string(v) for k, v in value.items()} if isinstance(value, dict) else {}
    if value is None:
        return {"string": "", "int": 0, "bool": False, "float": 0.0}.get(kind, "")
    return value


def _go_string(value: Any) -> str:
    """A scalar as Go's YAML-to-JSON step writes it where a string is expected."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, float):
        return format_float32(value)
    return str(value)


# --- the functions the 1.0 injector gives its template --------------------------------------------

def _need(value: Any, type_name: str, what: str) -> None:
    if not (isinstance(value, GoStruct) and value.type_name == type_name):
        raise CallError(f"wrong type for value; expected {what}; got {type(value).__name__}")


def _string_map(value: Any) -> dict:
    if not isinstance(value, dict):
        raise CallError("wrong type for value; expected map[string]string")
    return value


def _containers(value: Any) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(c, K8sView) and c.type_name == "Container"
                                                for c in value):
        raise CallError("wrong type for value; expected []v1.Container")
    return [c.data for c in value]


def _annotation(meta: Any, name: Any, default: Any) -> str:
    _need(meta, "ObjectMeta", "v1.ObjectMeta")
    if not isinstance(name, str):
        raise CallError("wrong type for value; expected string")
    annotations = meta.field("Annotations")
    return annotations[name] if name in annotations else go_sprint_one(default)


def _isset(m: Any, key: Any) -> bool:
    return key in _string_map(m)


def _format_duration(d: Any) -> str:
    if d is None:
        return "1s"  # Istio prints an unset duration as one second
    if not isinstance(d, Duration):
        raise CallError("wrong type for value; expected *types.Duration")
    return format_duration(d.nanos)


def _ports(containers: list[dict], skip_proxy: bool) -> str:
    parts = []
    for c in containers:
        if skip_proxy and c.get("name") == PROXY_CONTAINER:
            continue
        for p in c.get("ports") or []:
            if isinstance(p, dict):
                parts.append(_go_string(p.get("containerPort", 0)))
    return ",".join(parts)


def _exclude_inbound_port(port: Any, excluded: Any) -> str:
    if not isinstance(excluded, str):
        raise CallError("wrong type for value; expected string")
    port_text = go_sprint_one(port).strip()
    if not port_text or port_text == "0":
        return excluded
    kept = []
    for p in excluded.split(","):
        if p == port_text:
            return excluded  # already excluded
        p = p.strip()
        if p:
            kept.append(p)
    return ",".join(kept + [port_text])


def go_json(value: Any) -> str:
    """Go's ``json.Marshal`` of strings, lists of strings and string maps (sorted keys): compact,
    ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, other text as UTF-8."""
    if value is None:
        return "null"
    if isinstance(value, str):
        out = ['"']
        for c in value:
            o = ord(c)
            if c in '"\\':
                out.append("\\" + c)
            elif c == "\n":
                out.append("\\n")
            elif c == "\r":
                out.append("\\r")
            elif c == "\t":
                out.append("\\t")
            elif o < 0x20 or c in "<>&\u2028\u2029":
                out.append(f"\\u{o:04x}")
            else:
                out.append(c)
        out.append('"')
        return "".join(out)
    if isinstance(value, dict):
        return "{" + ",".join(f"{go_json(k)}:{go_json(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    raise TypeError(value)


def _to_json(m: Any) -> str:
    return go_json(_string_map(m))


TEMPLATE_FUNCS = {
    "formatDuration": _format_duration,
    "isset": _isset,
    "excludeInboundPort": _exclude_inbound_port,
    "includeInboundPorts": lambda containers: _ports(_containers(containers), False),
    "applicationPorts": lambda containers: _ports(_containers(containers), True),
    "annotation": _annotation,
    "toJson": _to_json,
}


# --- annotations the injector checks -------------------------------------------------------------

def _port(text: str) -> None:
    t = text.strip()
    if not t.isdigit() or not t.isascii() or int(t) > 65535:
        raise ValueError(f"{text!r} is not a port number (0-65535)")


def _port_list(text: str) -> None:
    t = text.strip()
    if t:
        for p in t.split(","):
            _port(p)


def _cidr_list(text: str) -> None:
    if text:
        for cidr in text.split(","):
            addr, sep, bits = cidr.partition("/")
            try:
                if not sep or not bits.isdigit() or not bits.isascii():
                    raise ValueError
                ipaddress.ip_network(f"{addr}/{int(bits)}", strict=False)
            except ValueError:
                raise ValueError(f"{cidr!r} is not an IP range in CIDR form (such as 10.0.0.0/8)") from None


def _uint32(text: str) -> None:
    if not text.isdigit() or not text.isascii() or int(text) >= 2 ** 32:
        raise ValueError(f"{text!r} is not a whole number of 0 or more")


def _interception(text: str) -> None:
    if text not in ("REDIRECT", "TPROXY"):
        raise ValueError(f"{text!r} is neither REDIRECT nor TPROXY")


def _star_or(check: Any) -> Any:
    def validate(text: str) -> None:
        if text != "*":
            check(text)
    return validate


ANNOTATION_CHECKS = (
    ("sidecar.istio.io/interceptionMode", _interception),
    ("status.sidecar.istio.io/port", _port),
    ("readiness.status.sidecar.istio.io/initialDelaySeconds", _uint32),
    ("readiness.status.sidecar.istio.io/periodSeconds", _uint32),
    ("readiness.status.sidecar.istio.io/failureThreshold", _uint32),
    ("readiness.status.sidecar.istio.io/applicationPorts", _star_or(_port_list)),
    ("traffic.sidecar.istio.io/includeOutboundIPRanges", _star_or(_cidr_list)),
    ("traffic.sidecar.istio.io/excludeOutboundIPRanges", _cidr_list),
    ("traffic.sidecar.istio.io/includeInboundPorts", _star_or(_port_list)),
    ("traffic.sidecar.istio.io/excludeInboundPorts", _port_list),
)


def check_annotations(annotations: dict[str, str]) -> list[str]:
    """What is wrong with the injector's annotations, one message each."""
    problems = []
    for name, check in ANNOTATION_CHECKS:
        if name in annotations:
            try:
                check(annotations[name])
            except ValueError as e:
                problems.append(f"annotation {name}: {e}")
    return problems


# --- decoding the template's output into the Go types ----------------------------------------------

_DROP = object()
_QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?")
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}


def canonical_quantity(text: str) -> str | None:
    """A resource quantity as Kubernetes prints it back (``1000m`` is ``1``, ``0.5`` is ``500m``,
    ``2048Mi`` is ``2Gi``), or None when it is not a quantity."""
    from fractions import Fraction  # 10 ms (decimal), only for resource quantities
    m = _QUANTITY.fullmatch(text.strip())
    if not m:
        return None
    number, suffix = Fraction(m.group(1)), m.group(2) or ""
    if suffix in _BINARY:
        value, fmt = number * 1024 ** _BINARY[suffix], "binary"
    elif suffix[:1] in "eE" and suffix:
        value, fmt = number * Fraction(10) ** int(suffix[1:]), "exponent"
    else:
        value, fmt = number * Fraction(10) ** _DECIMAL[suffix], "decimal"
    nano = value * 10 ** 9  # Kubernetes keeps nine decimal places, rounding up
    value = Fraction(-((-nano.numerator) // nano.denominator) if nano.denominator != 1 else nano, 10 ** 9)
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if fmt == "binary" and value >= 1024 and value.denominator == 1:
        k = 0
        while k < 6 and (value / 1024 ** (k + 1)).denominator == 1:
            k += 1
        return f"{sign}{value / 1024 ** k}{['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][k]}"
    exp = -9
    while exp < 18 and (value / Fraction(10) ** (exp + 3)).denominator == 1:
        exp += 3
    mantissa = value / Fraction(10) ** exp
    if fmt == "exponent":
        return f"{sign}{mantissa}" + (f"e{exp}" if exp else "")
    return f"{sign}{mantissa}{next(s for s, e in _DECIMAL.items() if e == exp)}"


def decode(value: Any, kind: str, path: str) -> Any:
    """``value`` as Go's typed decoding of YAML leaves it: unknown fields dropped, scalars turned
    into strings where a string is expected, quantities in canonical form, nulls removed."""
    if kind.startswith("*"):
        kind = kind[1:]
    if value is None:
        return _DROP
    if kind.startswith("struct:"):
        if not isinstance(value, dict):
            raise InjectError(f"{path}: expected a map, got {go_sprint_one(value)!r}")
        by_json = _fields(kind[7:])[0]
        lower = {k.lower(): k for k in by_json}  # Go matches JSON names without regard to case
        out = {}
        for key, item in value.items():
            known = by_json.get(key) or by_json.get(lower.get(str(key).lower(), ""))
            if known is None:
                continue  # the Go type has no such field: Go's decoding drops it
            item = decode(item, known[1], f"{path}.{key}")
            if item is not _DROP:
                out[key] = item
        return out
    if kind.startswith("list:"):
        if not isinstance(value, list):
            raise InjectError(f"{path}: expected a list, got {go_sprint_one(value)!r}")
        items = [decode(v, kind[5:], f"{path}[{i}]") for i, v in enumerate(value)]
        return [{} if v is _DROP else v for v in items]
    if kind.startswith("map:"):
        if not isinstance(value, dict):
            raise InjectError(f"{path}: expected a map, got {go_sprint_one(value)!r}")
        inner = "quantity" if kind == "map:quantity" else "string"
        return {str(k): decode(v, inner, f"{path}.{k}") for k, v in value.items() if v is not None}
    if isinstance(value, (dict, list)):
        raise InjectError(f"{path}: expected a single value, got a {'map' if isinstance(value, dict) else 'list'}")
    if kind == "string":
        return _go_string(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise InjectError(f"{path}: expected true or false, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InjectError(f"{path}: expected a whole number, got {value!r}")
        return value
    if kind == "float":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise InjectError(f"{path}: expected a number, got {value!r}")
        return value
    if kind == "quantity":
        q = canonical_quantity(_go_string(value)) if not isinstance(value, bool) else None
        if q is None:
            raise InjectError(f"{path}: {value!r} is not a resource quantity (such as 100m or 128Mi)")
        return q
    if kind == "intorstring":
        if isinstance(value, bool) or isinstance(value, float):
            raise InjectError(f"{path}: expected a number or a name, got {value!r}")
        return value
    return value


SPEC_PARTS = (("initContainers", "list:struct:Container"), ("containers", "list:struct:Container"),
              ("volumes", "list:struct:Volume"), ("imagePullSecrets", "list:struct:LocalObjectReference"))


# --- the injector ----------------------------------------------------------------------------------

class Injector:
    """The injector config (policy and template) and the mesh config, ready to inject pods.

    ``where`` names the config's origin for messages (a ConfigMap of a render, or a file)."""

    def __init__(self, config_text: str, mesh: GoStruct, where: str):
        self.where = where
        config = load_document(config_text, where)
        if not isinstance(config, dict) or not isinstance(config.get("template"), str):
            raise InjectError("the injector config has no 'template' text", where)
        policy = config.get("policy", "")
        self.policy = policy if isinstance(policy, str) else _go_string(policy)
        self.template_text: str = config["template"]
        self.version = hashlib.sha256(self.template_text.encode("utf-8")).hexdigest()
        self.mesh = mesh
        self.proxy = mesh.field("DefaultConfig")
        try:
            self.template = Template(self.template_text, TEMPLATE_FUNCS, delims=("[[", "]]"))
        except GoTemplateError as e:
            raise InjectError(f"template {e.message}", where) from None

    def sidecar(self, metadata: dict, spec: dict) -> dict:
        """The template's output for this pod, decoded: ``initContainers``, ``containers``,
        ``volumes``, ``imagePullSecrets`` (each a list, possibly empty)."""
        data = GoStruct("SidecarTemplateData", {
            "ObjectMeta": K8sView("ObjectMeta", metadata), "Spec": K8sView("PodSpec", spec),
            "ProxyConfig": self.proxy, "MeshConfig": self.mesh})
        # Errors here depend on the pod as well as on the template: they are reported against the
        # workload's document, naming the injector config too.
        try:
            text = self.template.execute(data)
        except GoTemplateError as e:
            raise InjectError(f"injector template ({self.where}) {e.message}") from None
        try:
            parsed = load_document(text, "output")
        except MeshchartsError as e:
            raise InjectError(f"the injector template ({self.where}) printed invalid YAML for this pod "
                              f"({e.where}: {e.message}); a label or annotation with control characters?") from None
        if parsed is None:
            parsed = {}
        if not isinstance(parsed, dict):
            raise InjectError(f"the injector template ({self.where}) did not print a map of initContainers, "
                              "containers and volumes")
        out = {}
        for key, kind in SPEC_PARTS:
            try:
                value = decode(parsed.get(key), kind, key)
            except InjectError as e:
                raise InjectError(f"the injector template's output ({self.where}): {e.message}") from None
            out[key] = [] if value is _DROP else value
        return out


def status_json(version: str, sidecar: dict, secrets: list[str]) -> str:
    """The status annotation as Go's ``json.Marshal`` writes it (null for an empty list)."""
    def names(items: list) -> Any:
        found = [i.get("name", "") for i in items]
        return found or None
    return ("{" + f'"version":{go_json(version)},"initContainers":{go_json(names(sidecar["initContainers"]))},'
            f'"containers":{go_json(names(sidecar["containers"]))},"volumes":{go_json(names(sidecar["volumes"]))},'
            f'"imagePullSecrets":{go_json(secrets or None)}' + "}")


def read_status(annotations: dict) -> dict | None:
    """A previous injection's status annotation, or None when there is none it can read."""
    text = annotations.get(STATUS)
    if not isinstance(text, str):
        return None
    try:
        status = json.loads(text)
    except ValueError:
        return None
    return status if isinstance(status, dict) else None


def remove_previous(metadata: dict, spec: dict) -> list[str]:
    """Take out what an earlier injection added (named by its status annotation), as Istio's
    webhook does before injecting again, so that injecting twice gives what injecting once did.
    Lists left empty stay where they are (the new injection refills them in place); their keys
    are returned so that any still empty afterwards can go."""
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict):
        return []
    status = read_status(annotations)
    if status is None:
        return []
    emptied = []
    for field in ("initContainers", "containers", "volumes", "imagePullSecrets"):
        names = status.get(field) or []
        items = spec.get(field)
        if isinstance(items, list) and isinstance(names, list) and names:
            spec[field] = [i for i in items if not (isinstance(i, dict) and i.get("name") in names)]
            if not spec[field]:
                emptied.append(field)
    del annotations[STATUS]  # the (possibly now empty) map stays where it is, for the new status
    return emptied


def inject_pod(injector: Injector, metadata: dict, spec: dict, secrets: list[str]) -> None:
    """Inject one pod template in place: ``metadata`` receives the status annotation; ``secrets``
    are pull secrets to add to the pod (named in the status, so a later injection replaces them)."""
    emptied = remove_previous(metadata, spec)
    for key in ("labels", "annotations"):  # Go reads (and writes) these values as strings
        entries = metadata.get(key)
        if isinstance(entries, dict):
            for k, v in list(entries.items()):
                if not isinstance(v, str):
                    entries[k] = _go_string(v)
    annotations = metadata.get("annotations")
    problems = check_annotations(annotations if isinstance(annotations, dict) else {})
    if problems:
        raise InjectError("; ".join(problems))
    sidecar = injector.sidecar(metadata, spec)
    for key in ("initContainers", "containers", "volumes"):
        if sidecar[key]:
            spec[key] = list(spec.get(key) or []) + sidecar[key]
    added_secrets = []
    wanted = [s.get("name", "") for s in sidecar["imagePullSecrets"]] + list(secrets)
    if wanted:
        have = {s.get("name") for s in spec.get("imagePullSecrets") or [] if isinstance(s, dict)}
        for name in wanted:
            if name not in have:
                spec.setdefault("imagePullSecrets", []).append({"name": name})
                have.add(name)
                added_secrets.append(name)
    for field in emptied:
        if not spec.get(field):
            del spec[field]
    if not isinstance(metadata.get("annotations"), dict):
        metadata["annotations"] = {}
    metadata["annotations"][STATUS] = status_json(injector.version, sidecar, added_secrets)


def injection_wanted(policy: str, metadata: dict, namespace: str | None) -> tuple[bool, str]:
    """What Istio's webhook decides for a pod (with the reason when it does not inject): never in
    kube-system and kube-public; else the ``sidecar.istio.io/inject`` annotation, else the
    injector's policy."""
    if namespace in ("kube-system", "kube-public"):
        return False, f"the webhook never injects in namespace {namespace}"
    annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
    value = _go_string(annotations.get(INJECT, "")).lower()
    if value in ("y", "yes", "true", "on"):
        explicit: bool | None = True
    elif value == "":
        explicit = None
    else:
        explicit = False
    if policy not in ("enabled", "disabled"):
        return False, f"the injector's policy {policy!r} is neither enabled nor disabled"
    if explicit is None:
        return policy == "enabled", f"the injector's policy is {policy}"
    return explicit, f"annotation {INJECT} is {annotations.get(INJECT)!r}"

