"""The mesh configuration (ConfigMap ``istio``, key ``mesh``) as the Istio 1.0.6 injector reads it.

The injector's template reads ``.MeshConfig`` and ``.ProxyConfig`` (the mesh's
``defaultConfig``). Settings the ``mesh`` text leaves out take Istio's built-in defaults, and the
proxy defaults are applied again under ``defaultConfig``: a ``defaultConfig`` that sets only some
fields keeps the defaults of the others, and one of its fields set to its type's zero value
(``concurrency: 0``, ``zipkinAddress: ""``) keeps the default too, because Istio re-encodes the
section (dropping zero values) before laying it over the defaults.

Keys are read under their JSON (``proxyListenPort``) or proto (``proxy_listen_port``) names;
an unknown key, a value of the wrong type or an invalid setting is an error naming the key.
"""
from __future__ import annotations

import re

from ..errors import MeshchartsError
from ..golang import duration_ns, format_duration
from ..yamlio import load_data
from .gotemplate import GoEnum, GoStruct

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class MeshConfigError(MeshchartsError):
    """A mesh configuration that Istio would refuse."""


ENUMS = {
    "AuthenticationPolicy": {"NONE": 0, "MUTUAL_TLS": 1, "INHERIT": 1000},
    "InterceptionMode": {"REDIRECT": 0, "TPROXY": 1},
    "IngressControllerMode": {"OFF": 0, "DEFAULT": 1, "STRICT": 2},
    "AuthPolicy": {"NONE": 0, "MUTUAL_TLS": 1},
    "OutboundTrafficPolicyMode": {"REGISTRY_ONLY": 0, "ALLOW_ANY": 1, "VIRTUAL_SERVICE_ONLY": 2},
}

# Go field name, JSON name, kind ("string", "int", "bool", "duration", "enum:<Name>", "proxy",
# "outbound") and Istio's default (durations in seconds).
PROXY_FIELDS = (
    ("ConfigPath", "configPath", "string", "/etc/istio/proxy"),
    ("BinaryPath", "binaryPath", "string", "/usr/local/bin/envoy"),
    ("ServiceCluster", "serviceCluster", "string", "istio-proxy"),
    ("DrainDuration", "drainDuration", "duration", 2.0),
    ("ParentShutdownDuration", "parentShutdownDuration", "duration", 3.0),
    ("DiscoveryAddress", "discoveryAddress", "string", "istio-pilot:15007"),
    ("DiscoveryRefreshDelay", "discoveryRefreshDelay", "duration", 1.0),
    ("ZipkinAddress", "zipkinAddress", "string", ""),
    ("ConnectTimeout", "connectTimeout", "duration", 1.0),
    ("StatsdUdpAddress", "statsdUdpAddress", "string", ""),
    ("ProxyAdminPort", "proxyAdminPort", "int", 15000),
    ("AvailabilityZone", "availabilityZone", "string", ""),
    ("ControlPlaneAuthPolicy", "controlPlaneAuthPolicy", "enum:AuthenticationPolicy", "NONE"),
    ("CustomConfigFile", "customConfigFile", "string", ""),
    ("StatNameLength", "statNameLength", "int", 0),
    ("Concurrency", "concurrency", "int", 0),
    ("ProxyBootstrapTemplatePath", "proxyBootstrapTemplatePath", "string", ""),
    ("InterceptionMode", "interceptionMode", "enum:InterceptionMode", "REDIRECT"),
)
MESH_FIELDS = (
    ("MixerCheckServer", "mixerCheckServer", "string", ""),
    ("MixerReportServer", "mixerReportServer", "string", ""),
    ("DisablePolicyChecks", "disablePolicyChecks", "bool", False),
    ("PolicyCheckFailOpen", "policyCheckFailOpen", "bool", False),
    ("ProxyListenPort", "proxyListenPort", "int", 15001),
    ("ProxyHttpPort", "proxyHttpPort", "int", 0),
    ("ConnectTimeout", "connectTimeout", "duration", 1.0),
    ("IngressClass", "ingressClass", "string", "istio"),
    ("IngressService", "ingressService", "string", ""),
    ("IngressControllerMode", "ingressControllerMode", "enum:IngressControllerMode", "STRICT"),
    ("AuthPolicy", "authPolicy", "enum:AuthPolicy", "NONE"),
    ("RdsRefreshDelay", "rdsRefreshDelay", "duration", 1.0),
    ("EnableTracing", "enableTracing", "bool", True),
    ("AccessLogFile", "accessLogFile", "string", "/dev/stdout"),
    ("DefaultConfig", "defaultConfig", "proxy", None),
    ("MixerAddress", "mixerAddress", "string", ""),
    ("OutboundTrafficPolicy", "outboundTrafficPolicy", "outbound", None),
    ("EnableClientSidePolicyCheck", "enableClientSidePolicyCheck", "bool", False),
    ("SdsUdsPath", "sdsUdsPath", "string", ""),
    ("SdsRefreshDelay", "sdsRefreshDelay", "duration", 15.0),
)


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


# --- durations, as Go prints and parses them ----------------------------------------------------

class Duration:
    """A protobuf Duration; Go's ``formatDuration`` prints it as ``time.Duration.String()``."""
    __slots__ = ("nanos",)
    type_name = "duration.Duration"

    def __init__(self, nanos: int):
        self.nanos = nanos

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and other.nanos == self.nanos

    def __hash__(self) -> int:
        return hash(self.nanos)

    def __repr__(self) -> str:
        return f"Duration({format_duration(self.nanos)})"


# --- reading ----------------------------------------------------------------------------------

def _read_value(kind: str, key: str, value: Any, where: str) -> Any:
    if kind == "string":
        if not isinstance(value, str):
            raise MeshConfigError(f"{key}: expected a string, got {value!r}", where)
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise MeshConfigError(f"{key}: expected true or false, got {value!r}", where)
        return value
    if kind == "int":
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):  # proto JSON accepts quoted ints
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or not -2**31 <= value < 2**31:
            raise MeshConfigError(f"{key}: expected a 32-bit whole number, got {value!r}", where)
        return value
    if kind == "duration":
        nanos = duration_ns(value) if isinstance(value, str) else None
        if nanos is None:
            raise MeshConfigError(f"{key}: expected a duration such as 10s or 1m0s, got {value!r}", where)
        return Duration(nanos)
    if kind.startswith("enum:"):
        names = ENUMS[kind[5:]]
        if isinstance(value, str) and value in names:
            return GoEnum(value, names[value])
        if isinstance(value, int) and not isinstance(value, bool) and value in names.values():
            name = next(n for n, v in names.items() if v == value)
            return GoEnum(name, value)
        raise MeshConfigError(f"{key}: expected one of {', '.join(names)}, got {value!r}", where)
    raise AssertionError(kind)


def _read_fields(fields: tuple, data: Any, prefix: str, where: str) -> dict[str, Any]:
    """The fields ``data`` sets (by Go name), typed; unknown keys are errors."""
    if not isinstance(data, dict):
        raise MeshConfigError(f"{prefix or 'mesh'}: expected a map of settings", where)
    by_key = {}
    for go, js, kind, _ in fields:
        by_key[js] = by_key[_snake(js)] = (go, kind)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in by_key:
            raise MeshConfigError(f"{prefix}{key}: unknown mesh setting", where)
        go, kind = by_key[key]
        if value is None:  # null in proto JSON: the field stays unset
            continue
        if kind == "proxy":
            out[go] = _read_fields(PROXY_FIELDS, value, f"{prefix}{key}.", where)
        elif kind == "outbound":
            if not isinstance(value, dict) or set(value) - {"mode"}:
                raise MeshConfigError(f"{prefix}{key}: expected a map with 'mode'", where)
            out[go] = GoStruct("MeshConfig_OutboundTrafficPolicy", {
                "Mode": _read_value("enum:OutboundTrafficPolicyMode", f"{prefix}{key}.mode",
                                    value.get("mode", "REGISTRY_ONLY"), where)})
        else:
            out[go] = _read_value(kind, prefix + key, value, where)
    return out


def _defaults(fields: tuple) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for go, _, kind, default in fields:
        if kind == "duration":
            out[go] = Duration(int(default * 1_000_000_000))
        elif kind.startswith("enum:"):
            out[go] = GoEnum(default, ENUMS[kind[5:]][default])
        elif kind in ("proxy", "outbound"):
            out[go] = None
        else:
            out[go] = default
    return out


def _is_zero(value: Any) -> bool:
    if isinstance(value, GoEnum):
        return value.number == 0
    if isinstance(value, Duration):
        return False  # a set duration message is kept by the re-encoding, even when zero
    return value in ("", 0, False, None)


def read_mesh_config(text: str, where: str) -> GoStruct:
    """The mesh ``text`` (YAML) with Istio's defaults, as the ``.MeshConfig`` the template sees;
    its ``DefaultConfig`` field is the ``.ProxyConfig``."""
    try:
        data = load_data(text, where)
    except MeshchartsError as e:
        raise MeshConfigError(e.message, e.where) from None
    given = _read_fields(MESH_FIELDS, data if data is not None else {}, "", where)
    mesh = _defaults(MESH_FIELDS)
    proxy = _defaults(PROXY_FIELDS)
    for go, value in given.pop("DefaultConfig", {}).items():
        if not _is_zero(value):
            proxy[go] = value
    mesh.update(given)
    if mesh["MixerAddress"] and not mesh["MixerCheckServer"] and not mesh["MixerReportServer"]:
        mesh["MixerCheckServer"] = mesh["MixerReportServer"] = mesh["MixerAddress"]
    mesh["DefaultConfig"] = GoStruct("v1alpha1.ProxyConfig", proxy)
    _validate(mesh, proxy, where)
    return GoStruct("v1alpha1.MeshConfig", mesh)


def _validate(mesh: dict[str, Any], proxy: dict[str, Any], where: str) -> None:
    """The checks Istio makes of a mesh config before injecting with it."""
    problems = []

    def port(name: str, value: int) -> None:
        if not 1 <= value <= 65535:
            problems.append(f"{name}: port number {value} out of range 1-65535")

    def positive(name: str, d: Duration, minimum: int = 1_000_000) -> None:
        if d.nanos < minimum:
            problems.append(f"{name}: duration must be at least {format_duration(minimum)}, got {format_duration(d.nanos)}")

    def address(name: str, value: str) -> None:
        host, sep, p = value.rpartition(":")
        if not sep or not host or not p.isdigit() or not 1 <= int(p) <= 65535:
            problems.append(f"{name}: expected HOST:PORT, got {value!r}")

    for key in ("MixerCheckServer", "MixerReportServer"):
        if mesh[key]:
            address(key[0].lower() + key[1:], mesh[key])
    port("proxyListenPort", mesh["ProxyListenPort"])
    positive("connectTimeout", mesh["ConnectTimeout"])
    positive("rdsRefreshDelay", mesh["RdsRefreshDelay"])
    positive("sdsRefreshDelay", mesh["SdsRefreshDelay"])
    if mesh["AuthPolicy"].name not in ("NONE", "MUTUAL_TLS"):
        problems.append(f"authPolicy: unrecognized auth policy {mesh['AuthPolicy'].name}")
    for key in ("ConfigPath", "BinaryPath", "ServiceCluster"):
        if not proxy[key]:
            problems.append(f"defaultConfig.{key[0].lower() + key[1:]}: must be set")
    positive("defaultConfig.drainDuration", proxy["DrainDuration"], 1_000_000_000)
    positive("defaultConfig.parentShutdownDuration", proxy["ParentShutdownDuration"], 1_000_000_000)
    if proxy["ParentShutdownDuration"].nanos <= proxy["DrainDuration"].nanos:
        problems.append("defaultConfig: parentShutdownDuration must be longer than drainDuration")
    address("defaultConfig.discoveryAddress", proxy["DiscoveryAddress"])
    positive("defaultConfig.discoveryRefreshDelay", proxy["DiscoveryRefreshDelay"])
    if proxy["ZipkinAddress"]:
        address("defaultConfig.zipkinAddress", proxy["ZipkinAddress"])
    positive("defaultConfig.connectTimeout", proxy["ConnectTimeout"])
    if proxy["StatsdUdpAddress"]:
        address("defaultConfig.statsdUdpAddress", proxy["StatsdUdpAddress"])
    port("defaultConfig.proxyAdminPort", proxy["ProxyAdminPort"])
    if proxy["ControlPlaneAuthPolicy"].name not in ("NONE", "MUTUAL_TLS"):
        problems.append(f"defaultConfig.controlPlaneAuthPolicy: unrecognized policy "
                        f"{proxy['ControlPlaneAuthPolicy'].name}")
    if problems:
        raise MeshConfigError("invalid mesh config: " + "; ".join(problems), where)
