"""Checks across objects that Istio 1.0 itself never made: a VirtualService route to a subset no
DestinationRule declares, a ``gateways:`` entry naming no Gateway of the manifest, and a host
that matches no Service or ServiceEntry of the manifest (a warning: the service may be defined
elsewhere, in another manifest or outside the mesh)."""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

    from .core import Item

NETWORKING = "networking.istio.io/v1alpha3"


def _meta(obj: dict) -> tuple[str, str]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name, ns = meta.get("name"), meta.get("namespace")
    return (name if isinstance(name, str) else ""), (ns if isinstance(ns, str) else "")


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _list(value: object) -> list:
    """A list field, or nothing: a malformed one is the schema check's finding, not ours."""
    return value if isinstance(value, list) else []


def _fqdn(host: str, namespace: str, default_ns: str) -> str:
    """Pilot's reading of a short host: ``reviews`` in namespace ``ns`` is ``reviews.ns.svc.cluster.local``."""
    if "." in host or host == "*" or host.startswith("*"):
        return host
    return f"{host}.{namespace or default_ns}.svc.cluster.local"


def _matches(pattern: str, host: str) -> bool:
    if pattern == host or pattern == "*":
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    if host.startswith("*."):
        return pattern.endswith(host[1:])
    return False


def check(items: list[Item]) -> Iterator[tuple[Item, str, str, str]]:
    """``(item, field path, message, severity)`` for each dangling reference."""
    services: list[str] = []
    gateways: set[tuple[str, str]] = set()
    subsets: dict[str, set[str]] = {}
    virtual_services: list[tuple[Item, dict, str]] = []
    default_ns = "default"
    for item in items:
        obj = item.object
        if not isinstance(obj, dict):
            continue
        kind, api = obj.get("kind"), obj.get("apiVersion")
        name, ns = _meta(obj)
        if kind == "Service" and api == "v1":
            services.append(f"{name}.{ns or default_ns}.svc.cluster.local")
        elif api == NETWORKING and kind == "ServiceEntry":
            services.extend(h for h in _list(_spec(obj).get("hosts")) if isinstance(h, str))
        elif api == NETWORKING and kind == "Gateway":
            gateways.add((ns or default_ns, name))
        elif api == NETWORKING and kind == "DestinationRule":
            host = _spec(obj).get("host")
            if isinstance(host, str):
                declared = subsets.setdefault(_fqdn(host, ns, default_ns), set())
                declared.update(s["name"] for s in _list(_spec(obj).get("subsets"))
                                if isinstance(s, dict) and isinstance(s.get("name"), str))
        elif api == NETWORKING and kind == "VirtualService":
            virtual_services.append((item, obj, ns))
    if not virtual_services:
        return

    def known_host(host: str) -> bool:
        return any(_matches(s, host) for s in services)

    for item, obj, ns in virtual_services:
        spec = _spec(obj)
        for path, gw in _gateway_refs(spec):
            if gw == "mesh":
                continue
            gw_ns, _, gw_name = gw.rpartition("/")
            short = gw_name.split(".")[0]
            gw_ns = gw_ns or (gw_name.split(".")[1] if gw_name.count(".") >= 1 else ns or default_ns)
            if not any(n == short and (g == gw_ns or not gw_ns) for g, n in gateways):
                yield item, path, f"gateway {gw!r} is not a Gateway of this manifest", "error"
        for path, dest in _destinations(spec):
            host = dest.get("host")
            if not isinstance(host, str):
                continue
            fqdn = _fqdn(host, ns, default_ns)
            subset = dest.get("subset")
            if isinstance(subset, str) and subset:
                declared = {n for h, names in subsets.items() if _matches(h, fqdn) for n in names}
                if subset not in declared:
                    yield (item, f"{path}.subset",
                           f"subset {subset!r} of host {host!r} is declared by no DestinationRule of this manifest",
                           "error")
            if not known_host(fqdn):
                yield (item, f"{path}.host", f"host {host!r} matches no Service or ServiceEntry of this manifest",
                       "warning")


def _gateway_refs(spec: dict) -> Iterator[tuple[str, str]]:
    for i, gw in enumerate(_list(spec.get("gateways"))):
        if isinstance(gw, str):
            yield f"spec.gateways[{i}]", gw
    for section in ("http", "tcp", "tls"):
        for r, route in enumerate(_list(spec.get(section))):
            if not isinstance(route, dict):
                continue
            for m, match in enumerate(_list(route.get("match"))):
                if isinstance(match, dict):
                    for g, gw in enumerate(_list(match.get("gateways"))):
                        if isinstance(gw, str):
                            yield f"spec.{section}[{r}].match[{m}].gateways[{g}]", gw


def _destinations(spec: dict) -> Iterator[tuple[str, dict]]:
    for section in ("http", "tcp", "tls"):
        for r, route in enumerate(_list(spec.get(section))):
            if not isinstance(route, dict):
                continue
            for d, weighted in enumerate(_list(route.get("route"))):
                if isinstance(weighted, dict) and isinstance(weighted.get("destination"), dict):
                    yield f"spec.{section}[{r}].route[{d}].destination", weighted["destination"]
            mirror = route.get("mirror")
            if isinstance(mirror, dict):
                yield f"spec.{section}[{r}].mirror", mirror

