"""The rules Istio 1.0.6's Pilot holds each configuration resource to, beyond its shape: hosts
are FQDNs or wildcards, route weights sum to 100, percentages are 0-100, HTTP statuses 0-600,
durations at least 1 ms and whole milliseconds, names DNS-1123 labels, and so on.

Each rule takes the resource's name, namespace (None when the object does not say, ``""`` for a
cluster-scoped one) and its spec as :func:`meshcharts.validate.istio.decode` normalises it
(lowerCamel names, enums by name, absent fields missing), and returns ``(field path, message)``
pairs. Where Pilot's checks have quirks (a wildcard label is anything that starts with ``*``),
these rules keep them: the aim is to refuse exactly what Istio 1.0.6 refuses.
"""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ..golang import duration_ns

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator

_DNS1123_LABEL = "[a-zA-Z0-9]([-a-z-A-Z0-9]*[a-zA-Z0-9])?"
# Pilot's pattern, unanchored as Go's MatchString reads it: `^\*` or a label at the end.
_WILDCARD_LABEL = re.compile(r"^\*|(\*|\*-)?(" + _DNS1123_LABEL + r")$")
_LABEL = re.compile("^" + _DNS1123_LABEL + "$")
_TAG = re.compile(r"^[-A-Za-z0-9_./]*$")
_PROTOCOLS = {"tcp", "udp", "grpc", "http", "http2", "https", "tls", "mongo", "redis"}
_HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"}
MS = 10**6
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


# --- names, hosts, ports, addresses -----------------------------------------------------------

def is_dns1123_label(value: str) -> bool:
    return len(value) <= 63 and bool(_LABEL.match(value))


def is_wildcard_dns1123_label(value: str) -> bool:
    return len(value) <= 63 and bool(_WILDCARD_LABEL.search(value))


def _dns_preconditions(name: str) -> str | None:
    if len(name) > 255:
        return f"domain name {name!r} too long (max 255)"
    if not name:
        return "empty domain name not allowed"
    return None


def _dns_labels(domain: str) -> str | None:
    for label in domain.split("."):
        if not is_dns1123_label(label):
            return f"domain name {domain!r} invalid (label {label!r} invalid)"
    return None


def validate_fqdn(fqdn: str) -> list[str]:
    return [e for e in (_dns_preconditions(fqdn), _dns_labels(fqdn)) if e]


def validate_wildcard_domain(domain: str) -> list[str]:
    problem = _dns_preconditions(domain)
    if problem:
        return [problem]
    first, _, rest = domain.partition(".")
    if not is_wildcard_dns1123_label(first):
        return [f"domain name {domain!r} invalid (label {first!r} invalid)"]
    if "." in domain:
        problem = _dns_labels(rest)
        return [problem] if problem else []
    return []


def validate_port(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else [f"port number {port} must be in the range 1..65535"]


def validate_percent(value: int) -> list[str]:
    return [] if 0 <= value <= 100 else [f"percentage {value} is not in range 0..100"]


def validate_ipv4_address(addr: str) -> list[str]:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return [f"{addr} is not a valid IP"]
    if ip.version == 6 and ip.ipv4_mapped is None:
        return [f"{addr} is not a valid IPv4 address"]
    return []


def validate_ipv4_subnet(subnet: str) -> list[str]:
    if subnet.count("/") == 1:
        try:
            network = ipaddress.ip_network(subnet, strict=False)
        except ValueError:
            return [f"{subnet} is not a valid CIDR block"]
        if network.version == 6 and network.network_address.ipv4_mapped is None:
            return [f"{subnet} is not a valid IPv4 address"]
        return []
    return validate_ipv4_address(subnet)


def validate_unix_address(addr: str) -> list[str]:
    if not addr:
        return ["unix address must not be empty"]
    if not addr.startswith("/"):
        return [f"{addr} is not an absolute path"]
    return []


def validate_labels(labels: dict | None) -> list[str]:
    found = []
    for key, value in (labels or {}).items():
        if not _TAG.match(key):
            found.append(f"invalid tag key: {key!r}")
        if not _TAG.match(str(value)):
            found.append(f"invalid tag value: {value!r}")
    return found


def validate_duration(text: str) -> list[str]:
    """At least 1 ms, in whole milliseconds (Pilot's rule for every duration it takes)."""
    ns = duration_ns(text)
    if ns is None:
        return [f"invalid duration {text!r}"]
    if ns < MS:
        return ["duration must be greater than 1ms"]
    if ns % MS:
        return ["only durations to ms precision are supported"]
    return []


def host_matches(a: str, b: str) -> bool:
    """Pilot's Hostname.Matches: equal, or one a wildcard whose suffix the other ends with."""
    if not a and not b:
        return True
    a_wild = a[:1] == "*"
    if a_wild and not b:
        return True
    b_wild = b[:1] == "*"
    if not a_wild and not b_wild:
        return a == b
    longer, shorter = (a[1:] if a_wild else a), (b[1:] if b_wild else b)
    if len(longer) < len(shorter):
        longer, shorter = shorter, longer
        a_wild, b_wild = b_wild, a_wild
    matches = longer.endswith(shorter)
    if matches and a_wild and not b_wild and longer[:len(longer) - len(shorter)] == ".":
        return False
    return matches


def host_subset_of(a: str, b: str) -> bool:
    """Pilot's Hostname.SubsetOf: every name ``a`` matches, ``b`` matches too."""
    if not a and not b:
        return True
    a_wild, b_wild = a[:1] == "*", b[:1] == "*"
    if not b_wild:
        return not a_wild and a == b
    longer, shorter = (a[1:] if a_wild else a), b[1:]
    return len(longer) >= len(shorter) and longer.endswith(shorter)


def parse_protocol(name: str) -> str | None:
    return name.lower() if name.lower() in _PROTOCOLS else None


def _at(path: str, problems: list[str]) -> Iterator[tuple[str, str]]:
    for p in problems:
        yield path, p


# --- Gateway ------------------------------------------------------------------------------------

def validate_gateway(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    servers = spec.get("servers") or []
    if not servers:
        yield "spec.servers", "gateway must have at least one server"
    for i, server in enumerate(servers):
        yield from _at(f"spec.servers[{i}]", _server(server or {}))
    seen: set[str] = set()
    for i, server in enumerate(servers):
        port_name = ((server or {}).get("port") or {}).get("name", "")
        if port_name in seen:
            yield f"spec.servers[{i}].port.name", f"port names in servers must be unique: duplicate name {port_name}"
        seen.add(port_name)


def _server(server: dict) -> list[str]:
    found: list[str] = []
    hosts = server.get("hosts") or []
    if not hosts:
        found.append("server config must contain at least one host")
    for host in hosts:
        if host != "*" and "." not in host:
            found.append("short names (non FQDN) are not allowed in Gateway server hosts")
        found += validate_wildcard_domain(host)
    port = server.get("port")
    port_problems = _server_port(port)
    found += port_problems
    tls = server.get("tls")
    found += _tls_options(tls)
    if not port_problems:
        protocol = parse_protocol(port.get("protocol", ""))
        is_tls = protocol in ("https", "tls")
        if is_tls and tls is None:
            found.append("server must have TLS settings for HTTPS/TLS protocols")
        elif not is_tls and tls is not None:
            if protocol in ("http", "http2", "grpc"):
                if (tls.get("mode", "PASSTHROUGH") != "PASSTHROUGH" or tls.get("caCertificates") or tls.get("privateKey")
                        or tls.get("serverCertificate")):
                    found.append("server cannot have TLS settings for plain text HTTP ports")
            else:
                found.append("server cannot have TLS settings for non HTTPS/TLS ports")
    return found


def _server_port(port: dict | None) -> list[str]:
    if port is None:
        return ["port is required"]
    found = []
    if parse_protocol(port.get("protocol", "")) is None:
        found.append(f"invalid protocol {port.get('protocol', '')!r}, supported protocols are HTTP, HTTP2, GRPC, "
                     "MONGO, REDIS, TCP")
    if port.get("number", 0) > 0:
        found += validate_port(port["number"])
    if not port.get("name"):
        found.append("port name must be set")
    return found


def _tls_options(tls: dict | None) -> list[str]:
    if tls is None:
        return []
    mode = tls.get("mode", "PASSTHROUGH")
    found = []
    if mode == "SIMPLE" and not tls.get("serverCertificate"):
        found.append("SIMPLE TLS requires a server certificate")
    elif mode == "MUTUAL":
        if not tls.get("serverCertificate"):
            found.append("MUTUAL TLS requires a server certificate")
        if not tls.get("caCertificates"):
            found.append("MUTUAL TLS requires a client CA bundle")
    return found


# --- DestinationRule and its traffic policies ----------------------------------------------------

def validate_destination_rule(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    yield from _at("spec.host", validate_wildcard_domain(spec.get("host", "")))
    yield from _at("spec.trafficPolicy", _traffic_policy(spec.get("trafficPolicy")))
    for i, subset in enumerate(spec.get("subsets") or []):
        subset = subset or {}
        yield from _at(f"spec.subsets[{i}]", _subset_name(subset.get("name", "")) + validate_labels(subset.get("labels"))
                       + _traffic_policy(subset.get("trafficPolicy")))


_POLICY_FIELDS = ("outlierDetection", "connectionPool", "loadBalancer", "tls")


def _traffic_policy(policy: dict | None) -> list[str]:
    if policy is None:
        return []
    if not any(k in policy for k in (*_POLICY_FIELDS, "portLevelSettings")):
        return ["traffic policy must have at least one field"]
    return (_outlier(policy.get("outlierDetection")) + _connection_pool(policy.get("connectionPool"))
            + _client_tls(policy.get("tls")) + _port_policies(policy.get("portLevelSettings") or []))


def _outlier(outlier: dict | None) -> list[str]:
    if outlier is None:
        return []
    found = []
    if "baseEjectionTime" in outlier:
        found += validate_duration(outlier["baseEjectionTime"])
    if outlier.get("consecutiveErrors", 0) < 0:
        found.append("outlier detection consecutive errors cannot be negative")
    if "interval" in outlier:
        found += validate_duration(outlier["interval"])
    found += validate_percent(outlier.get("maxEjectionPercent", 0))
    return found


def _connection_pool(pool: dict | None) -> list[str]:
    if pool is None:
        return []
    if "http" not in pool and "tcp" not in pool:
        return ["connection pool must have at least one field"]
    found = []
    http = pool.get("http")
    if http is not None:
        for key, text in (("http1MaxPendingRequests", "http1 max pending requests"),
                          ("http2MaxRequests", "http2 max requests"),
                          ("maxRequestsPerConnection", "max requests per connection"), ("maxRetries", "max retries")):
            if http.get(key, 0) < 0:
                found.append(f"{text} must be non-negative")
    tcp = pool.get("tcp")
    if tcp is not None:
        if tcp.get("maxConnections", 0) < 0:
            found.append("max connections must be non-negative")
        if "connectTimeout" in tcp:
            found += validate_duration(tcp["connectTimeout"])
    return found


def _client_tls(tls: dict | None) -> list[str]:
    if tls is None or tls.get("mode") != "MUTUAL":
        return []
    found = []
    if not tls.get("clientCertificate"):
        found.append("client certificate required for mutual tls")
    if not tls.get("privateKey"):
        found.append("private key required for mutual tls")
    return found


def _port_policies(policies: list) -> list[str]:
    found = []
    for policy in policies:
        policy = policy or {}
        if policy.get("port") is None:
            found.append("portTrafficPolicy must have valid port")
        if not any(k in policy for k in _POLICY_FIELDS):
            found.append("port traffic policy must have at least one field")
        else:
            found += (_outlier(policy.get("outlierDetection")) + _connection_pool(policy.get("connectionPool"))
                      + _client_tls(policy.get("tls")))
    return found


def _subset_name(name: str) -> list[str]:
    if not name:
        return ["subset name cannot be empty"]
    if not is_dns1123_label(name):
        return [f"subnet name is invalid: {name}"]
    return []


# --- EnvoyFilter ----------------------------------------------------------------------------------

def validate_envoy_filter(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    filters = spec.get("filters") or []
    if not filters:
        yield "spec.filters", "envoy filter: missing filters"
        return
    for i, f in enumerate(filters):
        f = f or {}
        where = f"spec.filters[{i}]"
        position = f.get("insertPosition")
        if position is not None and position.get("index", "FIRST") in ("BEFORE", "AFTER") \
                and not position.get("relativeTo"):
            yield where, "envoy filter: missing relativeTo filter with BEFORE/AFTER index"
        if f.get("filterType", "INVALID") == "INVALID":
            yield where, "envoy filter: missing filter type"
        if not f.get("filterName"):
            yield where, "envoy filter: missing filter name"
        if f.get("filterConfig") is None:
            yield where, "envoy filter: missing filter config"


# --- VirtualService -------------------------------------------------------------------------------

def validate_virtual_service(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    gateways = spec.get("gateways") or []
    applies_to_mesh = not gateways
    for i, gateway in enumerate(gateways):
        yield from _at(f"spec.gateways[{i}]", validate_fqdn(gateway))
        if gateway == "mesh":
            applies_to_mesh = True
    hosts = spec.get("hosts") or []
    if not hosts:
        yield "spec.hosts", "virtual service must have at least one host"
    all_valid = True
    for i, host in enumerate(hosts):
        problems = validate_wildcard_domain(host)
        if problems:
            yield from _at(f"spec.hosts[{i}]", problems)
            all_valid = False
        elif applies_to_mesh and host == "*":
            yield f"spec.hosts[{i}]", "wildcard host * is not allowed for virtual services bound to the mesh gateway"
            all_valid = False
    if all_valid:
        for i in range(len(hosts)):
            for j in range(i + 1, len(hosts)):
                if host_matches(hosts[i], hosts[j]):
                    yield "spec.hosts", f"duplicate hosts in virtual service: {hosts[i]} & {hosts[j]}"
    if not spec.get("http") and not spec.get("tcp") and not spec.get("tls"):
        yield "spec", "http, tcp or tls must be provided in virtual service"
    for i, route in enumerate(spec.get("http") or []):
        yield from _at(f"spec.http[{i}]", _http_route(route or {}))
    for i, route in enumerate(spec.get("tls") or []):
        yield from _at(f"spec.tls[{i}]", _tls_route(route or {}, hosts))
    for i, route in enumerate(spec.get("tcp") or []):
        yield from _at(f"spec.tcp[{i}]", _tcp_route(route or {}))


def _tls_route(route: dict, hosts: list[str]) -> list[str]:
    found = []
    matches = route.get("match") or []
    if not matches:
        found.append("TLS route must have at least one match condition")
    for match in matches:
        match = match or {}
        sni = match.get("sniHosts") or []
        if not sni:
            found.append("TLS match must have at least one SNI host")
        for host in sni:
            problems = validate_wildcard_domain(host)
            if problems:
                found += problems
            elif not any(host_subset_of(host, h) for h in hosts):
                found.append(f"SNI host is not a compatible subset of the virtual service hosts: {host}")
        found += _l4_match(match)
    if len(route.get("route") or []) != 1:
        found.append("TLS route must have exactly one destination")
    return found + _destination_weights(route.get("route") or [])


def _l4_match(match: dict) -> list[str]:
    found = []
    for subnet in match.get("destinationSubnets") or []:
        found += validate_ipv4_subnet(subnet)
    if match.get("sourceSubnet"):
        found += validate_ipv4_subnet(match["sourceSubnet"])
    if match.get("port", 0):
        found += validate_port(match["port"])
    found += validate_labels(match.get("sourceLabels"))
    for gateway in match.get("gateways") or []:
        found += validate_fqdn(gateway)
    return found


def _tcp_route(route: dict) -> list[str]:
    found = []
    for match in route.get("match") or []:
        found += _l4_match(match or {})
    if len(route.get("route") or []) != 1:
        found.append("TCP route must have exactly one destination")
    return found + _destination_weights(route.get("route") or [])


def _http_route(http: dict) -> list[str]:
    found = []
    routes = http.get("route") or []
    if http.get("redirect") is not None:
        if routes:
            found.append("HTTP route cannot contain both route and redirect")
        if http.get("fault") is not None:
            found.append("HTTP route cannot contain both fault and redirect")
        if http.get("rewrite") is not None:
            found.append("HTTP route rule cannot contain both rewrite and redirect")
        if http.get("websocketUpgrade"):
            found.append("WebSocket upgrade is not allowed on redirect rules")
    elif not routes:
        found.append("HTTP route or redirect is required")
    for header in http.get("appendHeaders") or {}:
        found += _header_name(header)
    found += _cors(http.get("corsPolicy"))
    found += _fault(http.get("fault"))
    for match in http.get("match") or []:
        match = match or {}
        for header in match.get("headers") or {}:
            found += _header_name(header)
        if match.get("port", 0):
            found += validate_port(match["port"])
        found += validate_labels(match.get("sourceLabels"))
        for gateway in match.get("gateways") or []:
            found += validate_fqdn(gateway)
    found += _destination(http.get("mirror"))
    redirect = http.get("redirect")
    if redirect is not None and not redirect.get("uri") and not redirect.get("authority"):
        found.append("redirect must specify URI, authority, or both")
    retries = http.get("retries")
    if retries is not None:
        if retries.get("attempts", 0) <= 0:
            found.append("attempts must be positive")
        if "perTryTimeout" in retries:
            found += validate_duration(retries["perTryTimeout"])
    rewrite = http.get("rewrite")
    if rewrite is not None and not rewrite.get("uri") and not rewrite.get("authority"):
        found.append("rewrite must specify URI, authority, or both")
    found += _destination_weights(routes)
    if "timeout" in http:
        found += validate_duration(http["timeout"])
    return found


def _header_name(name: str) -> list[str]:
    return [] if name else ["header name cannot be empty"]


def _destination_weights(weights: list) -> list[str]:
    found = []
    total = 0
    for weight in weights:
        weight = weight or {}
        if weight.get("destination") is None:
            found.append("destination is required")
        found += _destination(weight.get("destination"))
        found += validate_percent(weight.get("weight", 0))
        total += weight.get("weight", 0)
    if len(weights) > 1 and total != 100:
        found.append(f"total destination weight {total} != 100")
    return found


def _cors(policy: dict | None) -> list[str]:
    if policy is None:
        return []
    found = []
    for method in policy.get("allowMethods") or []:
        if method not in _HTTP_METHODS:
            found.append(f"{method!r} is not a supported HTTP method")
    for header in (policy.get("allowHeaders") or []) + (policy.get("exposeHeaders") or []):
        found += _header_name(header)
    if "maxAge" in policy:
        found += validate_duration(policy["maxAge"])
        ns = duration_ns(policy["maxAge"])
        if ns is not None and ns % 10**9:
            found.append("max_age duration is accurate only to seconds precision")
    return found


def _fault(fault: dict | None) -> list[str]:
    if fault is None:
        return []
    found = []
    abort, delay = fault.get("abort"), fault.get("delay")
    if abort is None and delay is None:
        found.append("HTTP fault injection must have an abort and/or a delay")
    if abort is not None:
        found += validate_percent(abort.get("percent", 0))
        if "grpcStatus" in abort:
            found.append("gRPC abort fault injection not supported yet")
        elif "http2Error" in abort:
            found.append("HTTP/2 abort fault injection not supported yet")
        elif "httpStatus" in abort:
            status = abort["httpStatus"]
            if status < 0 or status > 600:
                found.append(f"HTTP status {status} is not in range 0-600")
    if delay is not None:
        found += validate_percent(delay.get("percent", 0))
        if "fixedDelay" in delay:
            found += validate_duration(delay["fixedDelay"])
        elif "exponentialDelay" in delay:
            found += validate_duration(delay["exponentialDelay"])
            found.append("exponentialDelay not supported yet")
    return found


def _destination(destination: dict | None) -> list[str]:
    if destination is None:
        return []
    found = validate_wildcard_domain(destination.get("host", ""))
    if destination.get("subset"):
        found += _subset_name(destination["subset"])
    if destination.get("port") is not None:
        found += _port_selector(destination["port"])
    return found


def _port_selector(selector: dict) -> list[str]:
    name, number = selector.get("name", ""), selector.get("number", 0)
    if not name and not number:
        return _subset_name(name) + validate_port(number)
    if number:
        return validate_port(number)
    return _subset_name(name)


# --- ServiceEntry ---------------------------------------------------------------------------------

def validate_service_entry(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    hosts = spec.get("hosts") or []
    if not hosts:
        yield "spec.hosts", "service entry must have at least one host"
    for i, host in enumerate(hosts):
        if host == "*":
            yield f"spec.hosts[{i}]", f"invalid host {host}"
        else:
            yield from _at(f"spec.hosts[{i}]", validate_wildcard_domain(host))
    cidr = False
    for i, address in enumerate(spec.get("addresses") or []):
        cidr = cidr or "/" in address
        yield from _at(f"spec.addresses[{i}]", validate_ipv4_subnet(address))
    resolution = spec.get("resolution", "NONE")
    if cidr and resolution not in ("NONE", "STATIC"):
        yield "spec.resolution", "CIDR addresses are allowed only for NONE/STATIC resolution types"
    ports = [p or {} for p in spec.get("ports") or []]
    names: set[str] = set()
    numbers: set[int] = set()
    for i, port in enumerate(ports):
        if port.get("name", "") in names:
            yield f"spec.ports[{i}].name", f"service entry port name {port.get('name', '')!r} already defined"
        names.add(port.get("name", ""))
        if port.get("number", 0) in numbers:
            yield f"spec.ports[{i}].number", f"service entry port {port.get('number', 0)} already defined"
        numbers.add(port.get("number", 0))
    endpoints = [e or {} for e in spec.get("endpoints") or []]
    if resolution == "NONE":
        if endpoints:
            yield "spec.endpoints", "no endpoints should be provided for discovery type none"
    elif resolution == "STATIC":
        if not endpoints:
            yield "spec.endpoints", "endpoints must be provided if service entry discovery mode is static"
        unix = False
        for i, endpoint in enumerate(endpoints):
            where = f"spec.endpoints[{i}]"
            address = endpoint.get("address", "")
            if address.startswith("unix://"):
                unix = True
                yield from _at(where, validate_unix_address(address[len("unix://"):]))
                if endpoint.get("ports"):
                    yield where, f"unix endpoint {address} must not include ports"
            else:
                yield from _at(where, validate_ipv4_address(address))
                for port_name, port in (endpoint.get("ports") or {}).items():
                    if port_name not in names:
                        yield where, f"endpoint port {port} is not defined by the service entry"
            yield from _at(where, validate_labels(endpoint.get("labels")))
        if unix and len(ports) != 1:
            yield "spec.ports", "exactly 1 service port required for unix endpoints"
    elif resolution == "DNS":
        if not endpoints:
            for host in hosts:
                if validate_fqdn(host):
                    yield "spec.hosts", "hosts must be FQDN if no endpoints are provided for discovery mode DNS"
        for i, endpoint in enumerate(endpoints):
            where = f"spec.endpoints[{i}]"
            yield from _at(where, validate_fqdn(endpoint.get("address", "")) + validate_labels(endpoint.get("labels")))
            for port_name, port in (endpoint.get("ports") or {}).items():
                if port_name not in names:
                    yield where, f"endpoint port {port} is not defined by the service entry"
                yield from _at(where, _port_name(port_name) + validate_port(port))
    for i, port in enumerate(ports):
        protocol = port.get("protocol", "")
        yield from _at(f"spec.ports[{i}]", _port_name(port.get("name", ""))
                       + ([] if parse_protocol(protocol) else [f"unsupported protocol: {protocol}"])
                       + validate_port(port.get("number", 0)))


def _port_name(name: str) -> list[str]:
    return [] if is_dns1123_label(name) else [f"invalid port name: {name}"]


# --- authentication and RBAC ---------------------------------------------------------------------

def validate_authentication_policy(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    targets = spec.get("targets") or []
    if namespace != "":
        if not targets and name != "default":
            yield "metadata.name", (f"authentication policy with no target rules  must be named 'default', "
                                    f"found {name!r}")
        if targets and name == "default":
            yield "spec.targets", f"authentication policy with name {name!r} must not have any target rules"
        for i, target in enumerate(targets):
            target = target or {}
            where = f"spec.targets[{i}]"
            if not is_dns1123_label(target.get("name", "")):
                yield where, f"target name {target.get('name', '')!r} must be a valid label"
            for port in target.get("ports") or []:
                yield from _at(where, _port_selector(port or {}))
    else:
        if name != "default":
            yield "metadata.name", f"cluster-scoped authentication policy name must be 'default', found {name!r}"
        if targets:
            yield "spec.targets", "cluster-scoped authentication policy must not have targets"
    issuers: set[str] = set()
    methods = [(f"spec.peers[{i}].jwt", (p or {}).get("jwt")) for i, p in enumerate(spec.get("peers") or [])]
    methods += [(f"spec.origins[{i}].jwt", (o or {}).get("jwt") or {}) for i, o in enumerate(spec.get("origins") or [])]
    for where, jwt in methods:
        if jwt is None:
            continue
        issuer = jwt.get("issuer", "")
        if issuer in issuers:
            yield where, f"jwt with issuer {issuer!r} already defined"
        issuers.add(issuer)
        yield from _at(where, _jwt(jwt))


def _jwt(jwt: dict) -> list[str]:
    found = []
    if not jwt.get("issuer"):
        found.append("issuer must be set")
    if any(not a for a in jwt.get("audiences") or []):
        found.append("audience must be non-empty string")
    uri = jwt.get("jwksUri", "")
    if uri:
        try:
            parts = urlsplit(uri)
            parts.port  # a port that is not a number is an error, as in Go's url.Parse
        except ValueError as e:
            found.append(f"invalid jwks_uri {uri!r}: {e}")
        else:
            if parts.scheme not in ("http", "https"):
                found.append(f"URI scheme {parts.scheme!r} is not supported")
    if any(not h for h in jwt.get("jwtHeaders") or []):
        found.append("location header must be non-empty string")
    if any(not p for p in jwt.get("jwtParams") or []):
        found.append("location query must be non-empty string")
    return found


def validate_service_role(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    rules = spec.get("rules") or []
    if not rules:
        yield "spec.rules", "at least 1 rule must be specified"
    for i, rule in enumerate(rules):
        rule = rule or {}
        where = f"spec.rules[{i}]"
        if not rule.get("services"):
            yield where, f"at least 1 service must be specified for rule {i}"
        if not rule.get("methods"):
            yield where, f"at least 1 method must be specified for rule {i}"
        for j, constraint in enumerate(rule.get("constraints") or []):
            constraint = constraint or {}
            if not constraint.get("key"):
                yield f"{where}.constraints[{j}]", f"key cannot be empty for constraint {j} in rule {i}"
            if not constraint.get("values"):
                yield f"{where}.constraints[{j}]", f"at least 1 value must be specified for constraint {j} in rule {i}"


def validate_service_role_binding(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    subjects = spec.get("subjects") or []
    if not subjects:
        yield "spec.subjects", "at least 1 subject must be specified"
    for i, subject in enumerate(subjects):
        subject = subject or {}
        if not subject.get("user") and not subject.get("group") and not subject.get("properties"):
            yield f"spec.subjects[{i}]", f"at least 1 of user, group or properties must be specified for subject {i}"
    ref = spec.get("roleRef")
    if ref is None:
        yield "spec.roleRef", "roleRef must be specified"
    else:
        if ref.get("kind", "") != "ServiceRole":
            yield "spec.roleRef.kind", (f"kind set to {ref.get('kind', '')!r}, currently the only supported value is "
                                        "'ServiceRole'")
        if not ref.get("name"):
            yield "spec.roleRef.name", "name cannot be empty"


def validate_rbac_config(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    if name != "default":
        yield "metadata.name", f"rbacConfig has invalid name({name}), name must be default"
        return
    mode = spec.get("mode", "OFF")
    if mode == "ON_WITH_INCLUSION" and spec.get("inclusion") is None:
        yield "spec.inclusion", "inclusion cannot be null (use 'inclusion: {}' for none)"
    elif mode == "ON_WITH_EXCLUSION" and spec.get("exclusion") is None:
        yield "spec.exclusion", "exclusion cannot be null (use 'exclusion: {}' for none)"


# --- Mixer client configuration -------------------------------------------------------------------

def _mixer_service(svc: dict) -> list[str]:
    found = []
    name, service, ns, domain = (svc.get(k, "") for k in ("name", "service", "namespace", "domain"))
    if not name and not service:
        found.append("name or service is mandatory for a service reference")
    elif service and name:
        found.append("specify either name or service, not both")
    elif service:
        if ns:
            found.append("namespace is not valid when service is provided")
        if domain:
            found.append("domain is not valid when service is provided")
    elif not is_dns1123_label(name):
        found.append(f"name {name!r} must be a valid label")
    if ns and not is_dns1123_label(ns):
        found.append(f"namespace {ns!r} must be a valid label")
    if domain:
        found += validate_fqdn(domain)
    return found + validate_labels(svc.get("labels"))


def _mixer_attributes(attributes: dict | None) -> list[str]:
    entries = (attributes or {}).get("attributes") or {}
    if not entries:
        return ["list of attributes is nil/empty"]
    found = []
    for key, value in entries.items():
        value = value or {}
        if "stringValue" in value and not value["stringValue"]:
            found.append(f"string attribute for {key!r} should not be empty")
        if "durationValue" in value:
            found += validate_duration(value["durationValue"])
        if "timestampValue" in value and not _RFC3339.match(value["timestampValue"]):
            found.append(f"timestamp attribute for {key!r} is not an RFC 3339 time: {value['timestampValue']!r}")
        if "bytesValue" in value and not value["bytesValue"]:
            found.append(f"bytes attribute for {key!r} should not be empty")
        if "stringMapValue" in value and not (value["stringMapValue"] or {}).get("entries"):
            found.append(f"stringmap attribute for {key!r} should not be nil")
    return found


def validate_http_api_spec(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    if spec.get("attributes") is not None:
        yield from _at("spec.attributes", _mixer_attributes(spec["attributes"]))
    patterns = spec.get("patterns") or []
    if not patterns:
        yield "spec.patterns", "at least one pattern must be specified"
    for i, pattern in enumerate(patterns):
        pattern = pattern or {}
        where = f"spec.patterns[{i}]"
        # Pilot checks the spec's attributes again for every pattern, even when there are none
        yield from _at(where, _mixer_attributes(spec.get("attributes")))
        if not pattern.get("httpMethod"):
            yield where, "http_method cannot be empty"
        if "uriTemplate" in pattern and not pattern["uriTemplate"]:
            yield where, "uri_template cannot be empty"
        if "regex" in pattern and not pattern["regex"]:
            yield where, "regex cannot be empty"
    for i, key in enumerate(spec.get("apiKeys") or []):
        key = key or {}
        for field in ("query", "header", "cookie"):
            if field in key and not key[field]:
                yield f"spec.apiKeys[{i}]", f"{field} cannot be empty"


def _binding(spec: dict, refs: str, what: str) -> Iterator[tuple[str, str]]:
    services = spec.get("services") or []
    if not services:
        yield "spec.services", "at least one service must be specified"
    for i, service in enumerate(services):
        yield from _at(f"spec.services[{i}]", _mixer_service(service or {}))
    specs = spec.get(refs) or []
    if not specs:
        yield f"spec.{refs}", "at least one spec must be specified"
    for i, ref in enumerate(specs):
        ref = ref or {}
        if not ref.get("name"):
            yield f"spec.{refs}[{i}]", f"name is mandatory for {what}"
        if ref.get("namespace") and not is_dns1123_label(ref["namespace"]):
            yield f"spec.{refs}[{i}]", f"namespace {ref['namespace']!r} must be a valid label"


def validate_http_api_spec_binding(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    return _binding(spec, "apiSpecs", "HTTPAPISpecReference")


def validate_quota_spec_binding(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    return _binding(spec, "quotaSpecs", "QuotaSpecReference")


def validate_quota_spec(name: str, namespace: str | None, spec: dict) -> Iterator[tuple[str, str]]:
    rules = spec.get("rules") or []
    if not rules:
        yield "spec.rules", "a least one rule must be specified"
    for i, rule in enumerate(rules):
        rule = rule or {}
        where = f"spec.rules[{i}]"
        for match in rule.get("match") or []:
            for attribute, clause in ((match or {}).get("clause") or {}).items():
                for kind in ("exact", "prefix", "regex"):
                    if kind in (clause or {}) and not clause[kind]:
                        yield where, f"StringMatch_{kind.capitalize()} for attribute {attribute!r} cannot be empty"
        quotas = rule.get("quotas") or []
        if not quotas:
            yield where, "a least one quota must be specified"
        for quota in quotas:
            quota = quota or {}
            if not quota.get("quota"):
                yield where, "quota name cannot be empty"
            if quota.get("charge", 0) <= 0:
                yield where, "quota charge amount must be positive"


RULES: dict[str, Callable[[str, Any, dict], Iterator[tuple[str, str]]]] = {
    "Gateway": validate_gateway,
    "VirtualService": validate_virtual_service,
    "DestinationRule": validate_destination_rule,
    "ServiceEntry": validate_service_entry,
    "EnvoyFilter": validate_envoy_filter,
    "Policy": validate_authentication_policy,
    "MeshPolicy": validate_authentication_policy,
    "ServiceRole": validate_service_role,
    "ServiceRoleBinding": validate_service_role_binding,
    "RbacConfig": validate_rbac_config,
    "HTTPAPISpec": validate_http_api_spec,
    "HTTPAPISpecBinding": validate_http_api_spec_binding,
    "QuotaSpec": validate_quota_spec,
    "QuotaSpecBinding": validate_quota_spec_binding,
}
