"""Istio 1.0 resources: their shape (proto3 JSON as Pilot reads it) and Pilot 1.0.6's rules.

Each case is a resource spec and what Pilot says of it: "" when it takes it, otherwise a piece of
its message. The cases follow the situations Pilot's own rule tests cover (hosts, ports, routes,
weights, faults, retries, traffic policies, service entries, authentication, RBAC, Mixer client
config), with inputs of our own."""
from __future__ import annotations

import pytest

from meshcharts.validate import istio, istio_rules

NET = "networking.istio.io/v1alpha3"


def findings(kind: str, spec: dict, name: str = "some-name", namespace: str | None = "some-ns",
             api: str = NET) -> list[str]:
    obj = {"apiVersion": api, "kind": kind, "metadata": {"name": name}, "spec": spec}
    if namespace is not None:
        obj["metadata"]["namespace"] = namespace
    found: list[str] = []
    istio.check(obj, lambda path, message: found.append(f"{path}: {message}"))
    return found


def verdict(found: list[str], expected: str) -> None:
    if expected:
        assert any(expected in f for f in found), found
    else:
        assert found == []


# --- names and hosts -------------------------------------------------------------------------------

@pytest.mark.parametrize("domain,expected", [
    ("", "empty"), ("y" * 256, "too long"), ("y" * 63, ""), ("*", ""), ("*.example.org", ""), ("*svc", ""),
    ("*svc.example.org", ""), ("*-svc.example.org", ""), ("svc.*.org", "invalid"), ("svc*.example.org", "invalid"),
    ("10.0.0.1", ""),
])
def test_wildcard_domains(domain, expected):
    problems = istio_rules.validate_wildcard_domain(domain)
    assert (expected in " ".join(problems)) if expected else problems == []


def test_fqdn_refuses_empty_and_overlong_names():
    assert istio_rules.validate_fqdn("") and istio_rules.validate_fqdn("q" * 256)
    assert istio_rules.validate_fqdn("a.example.org") == []


@pytest.mark.parametrize("port,ok", [(0, False), (1, True), (65535, True), (65536, False), (-3, False)])
def test_ports(port, ok):
    assert (istio_rules.validate_port(port) == []) is ok


@pytest.mark.parametrize("labels,ok", [({}, True), ({"app": "v1", "x.io/y_z": "a-b.c"}, True),
                                       ({"bad key!": "v"}, False), ({"k": "bad value!"}, False)])
def test_labels(labels, ok):
    assert (istio_rules.validate_labels(labels) == []) is ok


@pytest.mark.parametrize("text,ok", [("1s", True), ("1500ms", True), ("2m", True), ("0.5ms", False),
                                     ("1.0000001s", False), ("-2s", False), ("1ns", False), ("soon", False)])
def test_durations_are_whole_milliseconds_of_at_least_one(text, ok):
    assert (istio_rules.validate_duration(text) == []) is ok


def test_host_matching_follows_pilot():
    assert istio_rules.host_matches("*.example.org", "a.example.org")
    assert istio_rules.host_matches("a.example.org", "*.example.org")
    assert not istio_rules.host_matches("*.example.org", "example.org")
    assert istio_rules.host_matches("*", "anything.io")
    assert not istio_rules.host_matches("a.io", "b.io")
    assert istio_rules.host_subset_of("a.example.org", "*.example.org")
    assert not istio_rules.host_subset_of("*.example.org", "a.example.org")


# --- Gateway -----------------------------------------------------------------------------------------

def server(hosts=("www.example.org",), name="web", number=80, protocol="HTTP", tls=None):
    s = {"hosts": list(hosts), "port": {"name": name, "number": number, "protocol": protocol}}
    if tls is not None:
        s["tls"] = tls
    return s


@pytest.mark.parametrize("spec,expected", [
    ({}, "at least one server"),
    ({"servers": [server()]}, ""),
    ({"servers": [server(), server(hosts=["api.example.org"], name="api", number=8080)]}, ""),
    ({"servers": [server(number=70000)]}, "port number 70000"),
    ({"servers": [server(), server(hosts=["other.example.org"], number=81)]}, "port names in servers must be unique"),
    ({"servers": [server(hosts=["www.*.org"])]}, "domain name"),
    ({"servers": [{"port": {"name": "p", "number": 80, "protocol": "HTTP"}}]}, "at least one host"),
    ({"servers": [{"hosts": ["www.example.org"]}]}, "port is required"),
    ({"servers": [server(hosts=["www"])]}, "short names"),
    ({"servers": [server(number=443, protocol="HTTPS", name="https")]}, "must have TLS settings"),
    ({"servers": [server(tls={"mode": "SIMPLE", "serverCertificate": "/c"})]}, "cannot have TLS settings for plain"),
    ({"servers": [server(tls={"httpsRedirect": True})]}, ""),
    ({"servers": [server(protocol="TCP", tls={"httpsRedirect": True})]}, "non HTTPS/TLS ports"),
    ({"servers": [server(protocol="HTTPS", tls={"mode": "SIMPLE"})]}, "SIMPLE TLS requires a server certificate"),
    ({"servers": [server(protocol="HTTPS", tls={"mode": "SIMPLE", "serverCertificate": "/c", "caCertificates": "/ca"})]},
     ""),
    ({"servers": [server(protocol="HTTPS", tls={"mode": "MUTUAL", "serverCertificate": "/c", "caCertificates": "/ca"})]},
     ""),
    ({"servers": [server(protocol="HTTPS", tls={"mode": "MUTUAL", "caCertificates": "/ca"})]},
     "MUTUAL TLS requires a server certificate"),
    ({"servers": [server(protocol="HTTPS", tls={"mode": "MUTUAL", "serverCertificate": "/c"})]},
     "MUTUAL TLS requires a client CA bundle"),
    ({"servers": [server(protocol="HTTPS", tls={})]}, ""),  # PASSTHROUGH
    ({"servers": [server(protocol="kafka")]}, "invalid protocol"),
    ({"servers": [server(name="")]}, "port name must be set"),
    ({"servers": [server(number=0)]}, ""),  # a name and no number is allowed
])
def test_gateway(spec, expected):
    verdict(findings("Gateway", spec), expected)


def test_mutual_tls_without_certificates_names_both():
    found = findings("Gateway", {"servers": [server(protocol="HTTPS", tls={"mode": "MUTUAL"})]})
    assert any("server certificate" in f for f in found) and any("client CA bundle" in f for f in found)


# --- VirtualService -----------------------------------------------------------------------------------

def route(host="reviews", subset=None, weight=None):
    dest = {"host": host}
    if subset:
        dest["subset"] = subset
    r = {"destination": dest}
    if weight is not None:
        r["weight"] = weight
    return r


def vs(http=None, hosts=("reviews",), **extra):
    spec = {"hosts": list(hosts), "http": http if http is not None else [{"route": [route()]}]}
    spec.update(extra)
    return spec


@pytest.mark.parametrize("spec,expected", [
    (vs(), ""),
    (vs(hosts=["reviews", "reviews"]), "duplicate hosts"),
    (vs(hosts=["*.example.org", "a.example.org"], gateways=["gw"]), "duplicate hosts"),
    ({"http": [{"route": [route()]}]}, "at least one host"),
    (vs(hosts=["reviews!"]), "domain name"),
    (vs(hosts=["rev*ews"]), ""),  # Pilot's wildcard label pattern takes anything ending in a label
    ({"hosts": ["reviews"]}, "http, tcp or tls must be provided"),
    (vs(gateways=["bad gateway!"]), "domain name"),
    (vs(gateways=["gw.istio-system.svc.cluster.local"]), ""),
    (vs(hosts=["*"]), "wildcard host * is not allowed"),
    (vs(hosts=["*"], gateways=["mesh"]), "wildcard host * is not allowed"),
    (vs(hosts=["*"], gateways=["public-gateway"]), ""),
])
def test_virtual_service(spec, expected):
    verdict(findings("VirtualService", spec), expected)


@pytest.mark.parametrize("http,expected", [
    ({}, "HTTP route or redirect is required"),
    ({"route": [route()]}, ""),
    ({"route": [{"weight": 100}]}, "destination is required"),
    ({"route": [route(subset="v1", weight=25), route(subset="v2", weight=75)]}, ""),
    ({"route": [route(subset="v1", weight=60), route(subset="v2", weight=60)]}, "total destination weight 120 != 100"),
    ({"route": [route(subset="v1", weight=30), route(subset="v2", weight=30)]}, "total destination weight 60 != 100"),
    ({"route": [route(weight=101)]}, "percentage 101"),
    ({"redirect": {"uri": "/new"}}, ""),
    ({"redirect": {"uri": "/new"}, "route": [route()]}, "both route and redirect"),
    ({"redirect": {"uri": "/new"}, "fault": {"abort": {"percent": 1, "httpStatus": 500}}}, "both fault and redirect"),
    ({"redirect": {"uri": "/new"}, "rewrite": {"uri": "/x"}}, "both rewrite and redirect"),
    ({"redirect": {"authority": "a"}, "websocketUpgrade": True}, "WebSocket upgrade"),
    ({"redirect": {}}, "redirect must specify URI, authority, or both"),
    # rewrites
    ({"route": [route()], "rewrite": {"uri": "/v2", "authority": "other"}}, ""),
    ({"route": [route()], "rewrite": {"uri": "/v2"}}, ""),
    ({"route": [route()], "rewrite": {"authority": "other"}}, ""),
    ({"route": [route()], "rewrite": {}}, "rewrite must specify URI, authority, or both"),
    # retries
    ({"route": [route()], "retries": {"attempts": 3, "perTryTimeout": "2s"}}, ""),
    ({"route": [route()], "retries": {"attempts": 2}}, ""),
    ({"route": [route()], "retries": {"attempts": -1, "perTryTimeout": "2s"}}, "attempts must be positive"),
    ({"route": [route()], "retries": {"attempts": 3, "perTryTimeout": "0.4ms"}}, "greater than 1ms"),
    ({"route": [route()], "retries": {"attempts": 3, "perTryTimeout": "1500us"}}, "ms precision"),
    ({"route": [route()], "timeout": "0s"}, "greater than 1ms"),
    # headers
    ({"route": [route()], "appendHeaders": {"x-request-source": "mesh"}}, ""),
    ({"route": [route()], "appendHeaders": {"": "v"}}, "header name cannot be empty"),
    ({"route": [route()], "match": [{"headers": {"": {"exact": "v"}}}]}, "header name cannot be empty"),
    ({"route": [route()], "match": [{"port": 70000}]}, "port number 70000"),
    ({"route": [route()], "match": [{"sourceLabels": {"app": "bad value!"}}]}, "invalid tag value"),
    ({"route": [route()], "match": [{"gateways": ["not a name"]}]}, "domain name"),
    # CORS
    ({"route": [route()], "corsPolicy": {"allowMethods": ["GET", "POST"], "allowHeaders": ["X-Custom"],
                                         "exposeHeaders": ["X-Out"], "maxAge": "24h"}}, ""),
    ({"route": [route()], "corsPolicy": {"allowMethods": ["FETCH"]}}, "'FETCH' is not a supported HTTP method"),
    ({"route": [route()], "corsPolicy": {"allowHeaders": [""]}}, "header name cannot be empty"),
    ({"route": [route()], "corsPolicy": {"maxAge": "1500ms"}}, "seconds precision"),
    # faults
    ({"route": [route()], "fault": {}}, "must have an abort and/or a delay"),
    ({"route": [route()], "fault": {"abort": {"percent": 20, "httpStatus": 503}}}, ""),
    ({"route": [route()], "fault": {"abort": {"httpStatus": 400}}}, ""),
    ({"route": [route()], "fault": {"abort": {"percent": 150, "httpStatus": 503}}}, "percentage 150"),
    ({"route": [route()], "fault": {"abort": {"percent": 10, "httpStatus": 700}}}, "HTTP status 700"),
    ({"route": [route()], "fault": {"abort": {"percent": 10, "httpStatus": -2}}}, "HTTP status -2"),
    ({"route": [route()], "fault": {"abort": {"grpcStatus": "UNAVAILABLE"}}}, "gRPC abort fault injection"),
    ({"route": [route()], "fault": {"abort": {"http2Error": "CANCEL"}}}, "HTTP/2 abort fault injection"),
    ({"route": [route()], "fault": {"delay": {"percent": 5, "fixedDelay": "3s"}}}, ""),
    ({"route": [route()], "fault": {"delay": {"fixedDelay": "3s"}}}, ""),
    ({"route": [route()], "fault": {"delay": {"percent": 101, "fixedDelay": "3s"}}}, "percentage 101"),
    ({"route": [route()], "fault": {"delay": {"percent": 5, "fixedDelay": "0.1ms"}}}, "greater than 1ms"),
    ({"route": [route()], "fault": {"delay": {"percent": 5, "exponentialDelay": "1s"}}}, "exponentialDelay not"),
    # destinations
    ({"route": [{"destination": {"host": "reviews", "subset": "v1", "port": {"number": 9080}}}]}, ""),
    ({"route": [{"destination": {"host": "reviews", "subset": "Not_A_Label"}}]}, "subnet name is invalid"),
    ({"route": [{"destination": {"host": "reviews", "port": {}}}]}, "port number 0"),
    ({"route": [{"destination": {"host": "reviews", "port": {"name": "http"}}}]}, ""),
    ({"route": [route()], "mirror": {"host": "bad host!"}}, "domain name"),
])
def test_http_route(http, expected):
    verdict(findings("VirtualService", vs(http=[http])), expected)


@pytest.mark.parametrize("spec,expected", [
    ({"hosts": ["db.example.org"], "tcp": [{"route": [route("db.example.org")]}]}, ""),
    ({"hosts": ["db.example.org"], "tcp": [{"route": [route("a.example.org"), route("b.example.org")]}]},
     "exactly one destination"),
    ({"hosts": ["db.example.org"], "tcp": [{"match": [{"sourceSubnet": "10.0.0.0/40"}], "route": [route("db")]}]},
     "not a valid CIDR block"),
    ({"hosts": ["db.example.org"], "tcp": [{"match": [{"destinationSubnets": ["fe80::1"]}], "route": [route("db")]}]},
     "not a valid IPv4 address"),
    ({"hosts": ["*.example.org"], "tls": [{"match": [{"sniHosts": ["a.example.org"]}], "route": [route("a")]}]}, ""),
    ({"hosts": ["a.example.org"], "tls": [{"match": [{"sniHosts": ["b.example.org"]}], "route": [route("b")]}]},
     "not a compatible subset"),
    ({"hosts": ["a.example.org"], "tls": [{"route": [route("a")]}]}, "at least one match condition"),
    ({"hosts": ["a.example.org"], "tls": [{"match": [{}], "route": [route("a")]}]}, "at least one SNI host"),
])
def test_tcp_and_tls_routes(spec, expected):
    verdict(findings("VirtualService", spec), expected)


# --- DestinationRule and traffic policies ---------------------------------------------------------

GOOD_POLICY = {"loadBalancer": {"simple": "ROUND_ROBIN"},
               "connectionPool": {"tcp": {"maxConnections": 10, "connectTimeout": "30ms"},
                                  "http": {"http1MaxPendingRequests": 5, "http2MaxRequests": 50,
                                           "maxRequestsPerConnection": 1, "maxRetries": 2}},
               "outlierDetection": {"consecutiveErrors": 5, "interval": "10s", "baseEjectionTime": "30s",
                                    "maxEjectionPercent": 50}}


@pytest.mark.parametrize("spec,expected", [
    ({"host": "reviews", "subsets": [{"name": "v1", "labels": {"version": "v1"}}]}, ""),
    ({"subsets": [{"name": "v1"}]}, "empty domain name"),
    ({"host": "reviews", "subsets": [{"labels": {"version": "v1"}}]}, "subset name cannot be empty"),
    ({"host": "reviews", "trafficPolicy": GOOD_POLICY}, ""),
    ({"host": "reviews", "trafficPolicy": {}}, "traffic policy must have at least one field"),
    ({"host": "reviews", "subsets": [{"name": "v1", "trafficPolicy": GOOD_POLICY}]}, ""),
    ({"host": "reviews", "subsets": [{"name": "v1", "trafficPolicy": {"outlierDetection": {"maxEjectionPercent": 101}}}]},
     "percentage 101"),
    ({"host": "reviews", "trafficPolicy": GOOD_POLICY, "subsets": [{"name": "v1", "trafficPolicy": GOOD_POLICY}]}, ""),
    ({"host": "reviews", "trafficPolicy": {"portLevelSettings": [{"loadBalancer": {"simple": "RANDOM"}}]}},
     "portTrafficPolicy must have valid port"),
    ({"host": "reviews", "trafficPolicy": {"portLevelSettings": [{"port": {"number": 80}}]}},
     "port traffic policy must have at least one field"),
    ({"host": "reviews", "trafficPolicy": {"portLevelSettings": [{"port": {"number": 80}, "tls": {"mode": "SIMPLE"}}]}},
     ""),
    ({"host": "reviews", "trafficPolicy": {"tls": {"mode": "MUTUAL", "privateKey": "/k"}}}, "client certificate"),
    ({"host": "reviews", "trafficPolicy": {"tls": {"mode": "MUTUAL", "clientCertificate": "/c"}}}, "private key"),
    ({"host": "reviews", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}}, ""),
])
def test_destination_rule(spec, expected):
    verdict(findings("DestinationRule", spec), expected)


@pytest.mark.parametrize("pool,expected", [
    ({"tcp": {"maxConnections": 7}, "http": {"http2MaxRequests": 9}}, ""),
    ({"tcp": {"maxConnections": 7, "connectTimeout": "2s"}}, ""),
    ({"http": {"maxRetries": 1}}, ""),
    ({}, "connection pool must have at least one field"),
    ({"tcp": {"maxConnections": -7}}, "max connections must be non-negative"),
    ({"tcp": {"connectTimeout": "-1s"}}, "greater than 1ms"),
    ({"http": {"http1MaxPendingRequests": -1}}, "http1 max pending requests"),
    ({"http": {"http2MaxRequests": -1}}, "http2 max requests"),
    ({"http": {"maxRequestsPerConnection": -1}}, "max requests per connection"),
    ({"http": {"maxRetries": -1}}, "max retries must be non-negative"),
])
def test_connection_pool(pool, expected):
    verdict(findings("DestinationRule", {"host": "reviews", "trafficPolicy": {"connectionPool": pool}}), expected)


@pytest.mark.parametrize("outlier,expected", [
    ({"consecutiveErrors": 3, "interval": "5s", "baseEjectionTime": "1m", "maxEjectionPercent": 20}, ""),
    ({"consecutiveErrors": -3}, "consecutive errors cannot be negative"),
    ({"interval": "0s"}, "greater than 1ms"),
    ({"baseEjectionTime": "1.5ms"}, "ms precision"),
    ({"maxEjectionPercent": -5}, "percentage -5"),
])
def test_outlier_detection(outlier, expected):
    verdict(findings("DestinationRule", {"host": "reviews", "trafficPolicy": {"outlierDetection": outlier}}),
            expected)


# --- EnvoyFilter --------------------------------------------------------------------------------------

FILTER = {"listenerMatch": {"portNumber": 8080}, "filterName": "envoy.lua", "filterType": "HTTP",
          "filterConfig": {"inlineCode": "-- noop"}}


@pytest.mark.parametrize("spec,expected", [
    ({}, "missing filters"),
    ({"filters": [{**FILTER, "insertPosition": {"index": "AFTER"}}]}, "missing relativeTo"),
    ({"filters": [{k: v for k, v in FILTER.items() if k != "filterType"}]}, "missing filter type"),
    ({"filters": [{k: v for k, v in FILTER.items() if k != "filterName"}]}, "missing filter name"),
    ({"filters": [{k: v for k, v in FILTER.items() if k != "filterConfig"}]}, "missing filter config"),
    ({"filters": [{**FILTER, "insertPosition": {"index": "BEFORE", "relativeTo": "envoy.router"}}]}, ""),
])
def test_envoy_filter(spec, expected):
    verdict(findings("EnvoyFilter", spec), expected)


# --- ServiceEntry -------------------------------------------------------------------------------------

HTTP_PORT = {"number": 80, "name": "http", "protocol": "HTTP"}


@pytest.mark.parametrize("spec,expected", [
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "DNS",
      "endpoints": [{"address": "lb.example.org", "ports": {"http": 8080}}]}, ""),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "DNS",
      "endpoints": [{"address": "10.1.1.1"}]}, ""),  # digits are labels too
    ({"ports": [HTTP_PORT], "resolution": "DNS"}, "at least one host"),
    ({"hosts": ["api.*.org"], "ports": [HTTP_PORT], "resolution": "DNS"}, "domain name"),
    ({"hosts": ["*"], "ports": [HTTP_PORT], "resolution": "NONE"}, "invalid host *"),
    ({"hosts": ["api"], "ports": [HTTP_PORT], "resolution": "DNS"}, ""),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "DNS",
      "endpoints": [{"address": "lb.example.org", "ports": {"grpc": 9000}}]}, "not defined by the service entry"),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "DNS",
      "endpoints": [{"address": "not_a_host"}]}, "domain name"),
    ({"hosts": ["*.example.org"], "ports": [HTTP_PORT], "resolution": "DNS"}, "hosts must be FQDN"),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "DNS"}, ""),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "DNS",
      "endpoints": [{"address": "unix:///var/run/a.sock"}]}, "domain name"),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "NONE"}, ""),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "NONE",
      "endpoints": [{"address": "10.0.0.1"}]}, "no endpoints should be provided"),
    ({"hosts": ["api.example.org"], "addresses": ["10.2.0.0/16"], "ports": [HTTP_PORT]}, ""),
    ({"hosts": ["api.example.org"], "addresses": ["10.2.0.0/16"], "ports": [HTTP_PORT], "resolution": "DNS"},
     "CIDR addresses are allowed only for NONE/STATIC"),
    ({"hosts": ["api.example.org"], "addresses": ["10.2.0.0/16"], "ports": [HTTP_PORT], "resolution": "STATIC",
      "endpoints": [{"address": "10.2.0.1"}]}, ""),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "STATIC",
      "endpoints": [{"address": "10.2.0.1", "ports": {"http": 8080}, "labels": {"zone": "a"}}]}, ""),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "STATIC",
      "endpoints": [{"address": "lb.example.org"}]}, "is not a valid IP"),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "STATIC"}, "endpoints must be provided"),
    ({"hosts": ["api.example.org"], "ports": [{"number": 80, "name": "Bad_Name", "protocol": "HTTP"}],
      "resolution": "NONE"}, "invalid port name: Bad_Name"),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT, {**HTTP_PORT, "number": 81}], "resolution": "NONE"},
     "port name 'http' already defined"),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT, {**HTTP_PORT, "name": "web"}], "resolution": "NONE"},
     "port 80 already defined"),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "STATIC",
      "endpoints": [{"address": "unix:///var/run/api.sock"}]}, ""),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "STATIC",
      "endpoints": [{"address": "unix://var/run/api.sock"}]}, "not an absolute path"),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT], "resolution": "STATIC",
      "endpoints": [{"address": "unix:///var/run/api.sock", "ports": {"http": 80}}]}, "must not include ports"),
    ({"hosts": ["api.example.org"], "ports": [HTTP_PORT, {"number": 81, "name": "b", "protocol": "TCP"}],
      "resolution": "STATIC", "endpoints": [{"address": "unix:///var/run/api.sock"}]}, "exactly 1 service port"),
    ({"hosts": ["api.example.org"], "ports": [{"number": 80, "name": "http", "protocol": "SMTP"}],
      "resolution": "NONE"}, "unsupported protocol: SMTP"),
])
def test_service_entry(spec, expected):
    verdict(findings("ServiceEntry", spec), expected)


# --- authentication --------------------------------------------------------------------------------

AUTHN = "authentication.istio.io/v1alpha1"
JWT = {"issuer": "issuer@example.org", "jwksUri": "https://example.org/.well-known/jwks.json"}


@pytest.mark.parametrize("name,spec,expected", [
    ("default", {}, ""),
    ("my-policy", {}, "must be named 'default'"),
    ("default", {"targets": [{"name": "reviews"}]}, "must not have any target rules"),
    ("reviews-policy", {"targets": [{"name": "reviews", "ports": [{"number": 9080}]}]}, ""),
    ("default", {"peers": [{"mtls": {}}]}, ""),
    ("default", {"peers": [{"jwt": JWT}]}, ""),
    ("default", {"origins": [{"jwt": JWT}], "principalBinding": "USE_ORIGIN"}, ""),
    ("default", {"origins": [{"jwt": {**JWT, "jwksUri": "example.org/keys"}}]}, "URI scheme '' is not supported"),
    ("default", {"origins": [{"jwt": {**JWT, "jwksUri": "https://example.org:http/keys"}}]}, "invalid jwks_uri"),
    ("default", {"peers": [{"jwt": JWT}], "origins": [{"jwt": JWT}]}, "already defined"),
    ("default", {"principalBinding": "USE_PEER"}, ""),
    ("reviews-policy", {"targets": [{"name": "Reviews_Service"}]}, "must be a valid label"),
    ("reviews-policy", {"targets": [{"name": "reviews"}, {"name": "ratings"}]}, ""),
    ("default", {"origins": [{"jwt": {"jwksUri": JWT["jwksUri"]}}]}, "issuer must be set"),
    ("default", {"origins": [{"jwt": {**JWT, "audiences": [""]}}]}, "audience must be non-empty"),
    ("default", {"origins": [{"jwt": {**JWT, "jwtHeaders": [""]}}]}, "location header"),
    ("default", {"origins": [{"jwt": {**JWT, "jwtParams": [""]}}]}, "location query"),
    ("reviews-policy", {"targets": [{"name": "reviews", "ports": [{}]}]}, "port number 0"),
])
def test_authentication_policy(name, spec, expected):
    verdict(findings("Policy", spec, name=name, api=AUTHN), expected)


@pytest.mark.parametrize("name,spec,expected", [
    ("default", {}, ""),
    ("mesh-wide", {}, "cluster-scoped authentication policy name must be 'default'"),
    ("default", {"targets": [{"name": "reviews"}]}, "must not have targets"),
    ("default", {"peers": [{"mtls": {"mode": "PERMISSIVE"}}]}, ""),
])
def test_mesh_policy(name, spec, expected):
    verdict(findings("MeshPolicy", spec, name=name, namespace=None, api=AUTHN), expected)


# --- RBAC ---------------------------------------------------------------------------------------------

RBAC = "rbac.istio.io/v1alpha1"


@pytest.mark.parametrize("spec,expected", [
    ({}, "at least 1 rule must be specified"),
    ({"rules": [{"methods": ["GET"]}]}, "at least 1 service must be specified for rule 0"),
    ({"rules": [{"services": ["*"]}]}, "at least 1 method must be specified for rule 0"),
    ({"rules": [{"services": ["*"], "methods": ["GET"], "constraints": [{"values": ["v1"]}]}]},
     "key cannot be empty for constraint 0 in rule 0"),
    ({"rules": [{"services": ["*"], "methods": ["GET"], "constraints": [{"key": "destination.labels[version]"}]}]},
     "at least 1 value must be specified for constraint 0 in rule 0"),
    ({"rules": [{"services": ["products.svc.cluster.local"], "methods": ["GET", "HEAD"],
                 "constraints": [{"key": "destination.labels[version]", "values": ["v1"]}]}]}, ""),
    ({"rules": [{"services": ["*"], "methods": ["*"], "paths": ["/a"]}], "extra": 1}, "unknown field"),
])
def test_service_role(spec, expected):
    verdict(findings("ServiceRole", spec, api=RBAC), expected)


@pytest.mark.parametrize("spec,expected", [
    ({"roleRef": {"kind": "ServiceRole", "name": "viewer"}}, "at least 1 subject must be specified"),
    ({"subjects": [{}], "roleRef": {"kind": "ServiceRole", "name": "viewer"}},
     "at least 1 of user, group or properties must be specified for subject 0"),
    ({"subjects": [{"user": "alice"}]}, "roleRef must be specified"),
    ({"subjects": [{"user": "alice"}], "roleRef": {"kind": "ClusterRole", "name": "viewer"}},
     "currently the only supported value is 'ServiceRole'"),
    ({"subjects": [{"user": "alice"}], "roleRef": {"kind": "ServiceRole"}}, "name cannot be empty"),
    ({"subjects": [{"user": "alice"}, {"properties": {"source.namespace": "abc"}}],
      "roleRef": {"kind": "ServiceRole", "name": "viewer"}}, ""),
    ({"subjects": "alice", "roleRef": {"kind": "ServiceRole", "name": "viewer"}}, "expected a list"),
])
def test_service_role_binding(spec, expected):
    verdict(findings("ServiceRoleBinding", spec, api=RBAC), expected)


@pytest.mark.parametrize("name,spec,expected", [
    ("default", {"mode": "ON"}, ""),
    ("cluster", {"mode": "ON"}, "name must be default"),
    ("default", {"mode": "ON_WITH_INCLUSION"}, "inclusion cannot be null"),
    ("default", {"mode": "ON_WITH_INCLUSION", "inclusion": {"namespaces": ["default"]}}, ""),
    ("default", {"mode": "ON_WITH_EXCLUSION"}, "exclusion cannot be null"),
    ("default", {"mode": "SOMETIMES"}, "'SOMETIMES' is not one of OFF, ON"),
])
def test_rbac_config(name, spec, expected):
    verdict(findings("RbacConfig", spec, name=name, api=RBAC), expected)


# --- Mixer client configuration ---------------------------------------------------------------------

CFG = "config.istio.io/v1alpha2"
ATTRS = {"attributes": {"api.service": {"stringValue": "reviews"}}}
PATTERN = {"attributes": ATTRS, "httpMethod": "GET", "uriTemplate": "/reviews/{id}"}


@pytest.mark.parametrize("value,ok", [
    ({"stringValue": "reviews"}, True), ({"stringValue": ""}, False),
    ({"durationValue": "1s"}, True), ({"durationValue": "-1s"}, False),
    ({"bytesValue": "AQID"}, True), ({"bytesValue": ""}, False),
    ({"timestampValue": "2019-01-01T00:00:00Z"}, True), ({"timestampValue": "yesterday"}, False),
    ({"stringMapValue": {"entries": {"a": "b"}}}, True), ({"stringMapValue": {}}, False),
])
def test_mixer_attributes(value, ok):
    found = findings("HTTPAPISpec", {"attributes": {"attributes": {"key": value}}, "patterns": [PATTERN]}, api=CFG)
    assert (found == []) is ok, found


@pytest.mark.parametrize("spec,expected", [
    ({"attributes": ATTRS}, "at least one pattern"),
    ({"attributes": {"attributes": {"k": {"stringValue": ""}}}, "patterns": [PATTERN]}, "should not be empty"),
    ({"attributes": ATTRS, "patterns": [{**PATTERN, "httpMethod": ""}]}, "http_method cannot be empty"),
    ({"attributes": ATTRS, "patterns": [{"httpMethod": "GET", "uriTemplate": ""}]}, "uri_template cannot be empty"),
    ({"attributes": ATTRS, "patterns": [{"httpMethod": "GET", "regex": ""}]}, "regex cannot be empty"),
    ({"attributes": ATTRS, "patterns": [PATTERN], "apiKeys": [{"query": ""}]}, "query cannot be empty"),
    ({"attributes": ATTRS, "patterns": [PATTERN], "apiKeys": [{"header": ""}]}, "header cannot be empty"),
    ({"attributes": ATTRS, "patterns": [PATTERN], "apiKeys": [{"cookie": ""}]}, "cookie cannot be empty"),
    ({"attributes": ATTRS, "patterns": [PATTERN], "apiKeys": [{"query": "key"}]}, ""),
])
def test_http_api_spec(spec, expected):
    verdict(findings("HTTPAPISpec", spec, api=CFG), expected)


@pytest.mark.parametrize("kind,refs", [("HTTPAPISpecBinding", "apiSpecs"), ("QuotaSpecBinding", "quotaSpecs")])
@pytest.mark.parametrize("spec,expected", [
    ({"REFS": [{"name": "spec"}]}, "at least one service must be specified"),
    ({"services": [{"name": "reviews"}]}, "at least one spec must be specified"),
    ({"services": [{"name": "reviews"}], "REFS": [{"namespace": "Not A Label"}]}, "must be a valid label"),
    ({"services": [{"name": "reviews", "namespace": "default"}], "REFS": [{"name": "spec", "namespace": "default"}]},
     ""),
    ({"services": [{"name": "reviews", "service": "reviews.default.svc"}], "REFS": [{"name": "s"}]},
     "specify either name or service, not both"),
    ({"services": [{}], "REFS": [{"name": "s"}]}, "name or service is mandatory"),
    ({"services": [{"service": "r.default.svc", "namespace": "default"}], "REFS": [{"name": "s"}]},
     "namespace is not valid when service is provided"),
])
def test_bindings(kind, refs, spec, expected):
    spec = {(refs if k == "REFS" else k): v for k, v in spec.items()}
    verdict(findings(kind, spec, api=CFG), expected)


@pytest.mark.parametrize("spec,expected", [
    ({}, "a least one rule must be specified"),
    ({"rules": [{"match": [{"clause": {"request.path": {"exact": ""}}}], "quotas": [{"quota": "q", "charge": 1}]}]},
     "StringMatch_Exact for attribute 'request.path' cannot be empty"),
    ({"rules": [{"match": [{"clause": {"request.path": {"prefix": ""}}}], "quotas": [{"quota": "q", "charge": 1}]}]},
     "StringMatch_Prefix"),
    ({"rules": [{"match": [{"clause": {"request.path": {"regex": ""}}}], "quotas": [{"quota": "q", "charge": 1}]}]},
     "StringMatch_Regex"),
    ({"rules": [{}]}, "a least one quota must be specified"),
    ({"rules": [{"quotas": [{"quota": "", "charge": 0}]}]}, "quota charge amount must be positive"),
    ({"rules": [{"match": [{"clause": {"request.path": {"prefix": "/api"}}}], "quotas": [{"quota": "q", "charge": 2}]}]},
     ""),
])
def test_quota_spec(spec, expected):
    verdict(findings("QuotaSpec", spec, api=CFG), expected)


# --- the proto3 JSON reading -------------------------------------------------------------------------

@pytest.mark.parametrize("spec,expected", [
    (vs(http=[{"route": [route()], "websocket_upgrade": True}]), ""),  # the .proto name works too
    (vs(http=[{"route": [route()], "timeOut": "1s"}]), "unknown field (did you mean timeout?)"),
    (vs(http=[{"route": [route()], "timeout": 5}]), "expected a duration"),
    (vs(http=[{"route": [route()], "timeout": "5 seconds"}]), "expected a duration"),
    (vs(http=[{"route": [route(weight="100")]}]), ""),  # quoted integers decode
    (vs(http=[{"route": [route(weight="all")]}]), "expected an integer"),
    (vs(http=[{"route": [route()], "fault": {"abort": {"percent": 1, "httpStatus": 500, "grpcStatus": "X"}}}]),
     "only one of httpStatus, grpcStatus, http2Error may be set"),
    (vs(http=[{"route": [route()], "match": [{"port": -1}]}]), "out of range for a uint32"),
    ({"hosts": "reviews", "http": [{"route": [route()]}]}, "expected a list"),
    (vs(http=[{"route": [route()], "match": [{"uri": {"prefix": "/a", "exact": "/a"}}]}]), "only one of"),
])
def test_specs_are_read_as_istio_reads_them(spec, expected):
    verdict(findings("VirtualService", spec), expected)


def test_null_fields_are_absent_and_enums_take_numbers():
    verdict(findings("VirtualService", vs(gateways=None, tcp=None)), "")
    verdict(findings("DestinationRule", {"host": "r", "trafficPolicy": {"tls": {"mode": 3}}}), "")  # ISTIO_MUTUAL
    verdict(findings("DestinationRule", {"host": "r", "trafficPolicy": {"tls": {"mode": 9}}}), "is not one of")


def test_durations_read_as_go_reads_them():
    assert istio.duration_ns("1m30s") == 90 * 10**9
    assert istio.duration_ns("1.5s") == 1_500_000_000
    assert istio.duration_ns("250ms") == 250 * 10**6
    assert istio.duration_ns("0") == 0
    assert istio.duration_ns("10") is None


# --- Mixer handlers (an adapter's Params) and instances (a template's InstanceParam) ------------------

@pytest.mark.parametrize("kind,spec,expected", [
    ("metric", {"value": "1", "dimensions": {"source": "source.service | \"unknown\""},
                "monitored_resource_type": '"UNSPECIFIED"'}, ""),
    ("metric", {"value": 1}, "expected a string"),  # instance fields are attribute expressions
    ("metric", {"value": "1", "dimension": {}}, "unknown field (did you mean dimensions?)"),
    ("prometheus", {"metrics": [{"name": "requests_total", "instance_name": "requestcount.metric.istio-system",
                                 "kind": "COUNTER", "label_names": ["source"]}]}, ""),
    ("prometheus", {"metrics": [{"name": "requests_total", "kind": "TALLY"}]}, "'TALLY' is not one of"),
    ("stdio", {"outputAsJson": True, "severity_levels": {"warning": 1}}, ""),
    ("stdio", {"outputAsJson": "yes"}, "expected true or false"),
    ("listchecker", {"overrides": ["v1"], "blacklist": False}, ""),
    ("memquota", {"quotas": [{"name": "requestcount.quota.istio-system", "maxAmount": 500, "validDuration": "1s"}]},
     ""),
    ("memquota", {"quotas": [{"name": "q", "maxAmount": 500, "validDuration": "soon"}]}, "expected a duration"),
    ("denier", {"status": {"code": 7, "message": "Not allowed"}}, ""),
    ("kubernetes", {"source_uid": 'source.uid | ""', "attribute_bindings": {"source.ip": "$out.source_pod_ip"}}, ""),
    ("noop", {"anything": "goes"}, ""),  # a kind Istio 1.0 defines without parameters to check here
])
def test_mixer_handlers_and_instances(kind, spec, expected):
    verdict(findings(kind, spec, api=CFG), expected)
