"""The mesh-app chart: what compact values become (the book's defaults, splits, faults, mirrors,
gateways, egress, Mixer policy, RBAC, authentication), and a property test rendering random
valid values and checking the output against Istio 1.0's rules for the same objects."""
from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from cli_runner import invoke
from meshcharts import render
from meshcharts.yamlio import to_yaml

from meshcharts.validate import validate_manifest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def objects(tmp_path, text: str, **kwargs) -> dict[tuple[str, str], dict]:
    path = tmp_path / "values.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    manifest = render(chart="mesh-app", namespace="default", values_files=[path], **kwargs)
    return {(d.kind, d.name): d.object for d in manifest.documents}


def spec(found: dict, kind: str, name: str) -> dict:
    return found[(kind, name)]["spec"]


# --- services ------------------------------------------------------------------------------------

def test_a_service_gets_subsets_and_a_default_route_to_its_first_version(tmp_path):
    found = objects(tmp_path, """
        services:
          reviews:
            versions: [v1, v2]
    """)
    assert spec(found, "DestinationRule", "reviews") == {
        "host": "reviews", "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                                       {"name": "v2", "labels": {"version": "v2"}}]}
    assert spec(found, "VirtualService", "reviews") == {
        "hosts": ["reviews"], "http": [{"route": [{"destination": {"host": "reviews", "subset": "v1"}}]}]}


def test_versions_as_a_map_give_their_labels(tmp_path):
    found = objects(tmp_path, """
        services:
          ratings:
            versions:
              v1:
              v2-mysql: {version: v2, db: mysql}
            defaultVersion: v2-mysql
    """)
    assert spec(found, "DestinationRule", "ratings")["subsets"] == [
        {"name": "v1", "labels": {"version": "v1"}}, {"name": "v2-mysql", "labels": {"version": "v2", "db": "mysql"}}]
    assert spec(found, "VirtualService", "ratings")["http"][0]["route"][0]["destination"]["subset"] == "v2-mysql"


def test_a_service_without_versions_routes_to_its_host(tmp_path):
    found = objects(tmp_path, """
        services:
          details:
            host: details.prod.svc.cluster.local
            port: 9080
    """)
    assert ("DestinationRule", "details") not in found
    assert spec(found, "VirtualService", "details")["http"] == [
        {"route": [{"destination": {"host": "details.prod.svc.cluster.local", "port": {"number": 9080}}}]}]


def test_matched_routes_get_a_catch_all_route_unless_turned_off(tmp_path):
    values = """
        services:
          reviews:
            versions: [v1, v2]
            routes:
              - match: {headers: {end-user: jason}, sourceLabels: {app: productpage}}
                to: v2
    """
    http = spec(objects(tmp_path, values), "VirtualService", "reviews")["http"]
    assert http == [
        {"match": [{"headers": {"end-user": {"exact": "jason"}}, "sourceLabels": {"app": "productpage"}}],
         "route": [{"destination": {"host": "reviews", "subset": "v2"}}]},
        {"route": [{"destination": {"host": "reviews", "subset": "v1"}}]}]
    http = spec(objects(tmp_path, values, set_values=["services.reviews.defaultRoute=false"]),
                "VirtualService", "reviews")["http"]
    assert len(http) == 1


def test_route_options_in_istios_shape(tmp_path):
    found = objects(tmp_path, """
        services:
          reviews:
            versions: [v1, v2, v3]
            routes:
              - match:
                  - uri: {prefix: /api}
                  - headers: {cookie: {regex: "^(.*?;)?(user=jason)(;.*)?$"}}
                to: {v1: 70, v2: 30}
                timeout: 10s
                retries: {attempts: 3, perTryTimeout: 2s}
                fault: {delay: 5s, abort: {httpStatus: 503, percent: 10}, percent: 50}
                mirror: v3
                rewrite: {uri: /v1/api}
              - match: {uri: /old}
                redirect: {uri: /new}
    """)
    first, second, catch_all = spec(found, "VirtualService", "reviews")["http"]
    assert first == {
        "match": [{"uri": {"prefix": "/api"}}, {"headers": {"cookie": {"regex": "^(.*?;)?(user=jason)(;.*)?$"}}}],
        "route": [{"destination": {"host": "reviews", "subset": "v1"}, "weight": 70},
                  {"destination": {"host": "reviews", "subset": "v2"}, "weight": 30}],
        "timeout": "10s", "retries": {"attempts": 3, "perTryTimeout": "2s"},
        "fault": {"delay": {"percent": 50, "fixedDelay": "5s"}, "abort": {"percent": 10, "httpStatus": 503}},
        "mirror": {"host": "reviews", "subset": "v3"}, "rewrite": {"uri": "/v1/api"}}
    assert second == {"match": [{"uri": {"exact": "/old"}}], "redirect": {"uri": "/new"}}
    assert catch_all == {"route": [{"destination": {"host": "reviews", "subset": "v1"}}]}


def test_traffic_policy_compact_forms_and_the_chart_wide_default(tmp_path):
    found = objects(tmp_path, """
        trafficPolicy:
          tls: ISTIO_MUTUAL
        services:
          reviews:
            versions: [v1]
            trafficPolicy:
              loadBalancer: LEAST_CONN
              connectionPool: {tcp: {maxConnections: 1}, http: {http1MaxPendingRequests: 1}}
              outlierDetection: {consecutiveErrors: 1, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100}
          ratings:
            trafficPolicy: {tls: {mode: DISABLE}}
    """)
    assert spec(found, "DestinationRule", "reviews")["trafficPolicy"] == {
        "loadBalancer": {"simple": "LEAST_CONN"},
        "connectionPool": {"tcp": {"maxConnections": 1}, "http": {"http1MaxPendingRequests": 1}},
        "outlierDetection": {"consecutiveErrors": 1, "interval": "1s", "baseEjectionTime": "3m", "maxEjectionPercent": 100},
        "tls": {"mode": "ISTIO_MUTUAL"}}
    assert spec(found, "DestinationRule", "ratings") == {"host": "ratings", "trafficPolicy": {"tls": {"mode": "DISABLE"}}}


def test_generate_switches_leave_out_a_kind(tmp_path):
    found = objects(tmp_path, """
        generate: {virtualServices: false}
        services:
          reviews: {versions: [v1]}
    """)
    assert [k for k, _ in found] == ["DestinationRule"]


# --- gateways, ingress, egress --------------------------------------------------------------------

def test_gateway_defaults_and_tls_from_a_secret(tmp_path):
    found = objects(tmp_path, """
        gateways:
          web:
            hosts: [shop.example.com]
            servers:
              - port: 80
                httpsRedirect: true
              - port: 443
                tls: {secret: istio-ingressgateway-certs}
    """)
    assert spec(found, "Gateway", "web") == {
        "selector": {"istio": "ingressgateway"},
        "servers": [
            {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"],
             "tls": {"httpsRedirect": True}},
            {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["shop.example.com"],
             "tls": {"mode": "SIMPLE", "serverCertificate": "/etc/istio/ingressgateway-certs/tls.crt",
                     "privateKey": "/etc/istio/ingressgateway-certs/tls.key"}}]}


def test_an_https_server_needs_tls(tmp_path):
    import pytest
    from meshcharts import MeshchartsError
    with pytest.raises(MeshchartsError, match=r"gateways\.web\.servers\[0\]: a HTTPS server needs tls"):
        objects(tmp_path, """
            gateways:
              web: {hosts: ["*"], servers: [{port: 443}]}
        """)


def test_ingress_routes_name_services(tmp_path):
    found = objects(tmp_path, """
        gateways:
          web: {hosts: ["*"]}
        services:
          productpage: {port: 9080, versions: [v1]}
        ingress:
          shop:
            gateways: [web]
            routes:
              - match: {uri: {prefix: /static}}
                to: [{service: productpage, version: v1}]
              - to: productpage
    """)
    assert spec(found, "VirtualService", "shop") == {
        "hosts": ["*"], "gateways": ["web"],
        "http": [{"match": [{"uri": {"prefix": "/static"}}],
                  "route": [{"destination": {"host": "productpage", "subset": "v1", "port": {"number": 9080}}}]},
                 {"route": [{"destination": {"host": "productpage", "port": {"number": 9080}}}]}]}


def test_egress_with_tls_origination(tmp_path):
    found = objects(tmp_path, """
        egress:
          books:
            hosts: [www.googleapis.com, books.example.com]
            ports: [443]
            resolution: DNS
            location: MESH_EXTERNAL
            tls: SIMPLE
    """)
    assert spec(found, "ServiceEntry", "books") == {
        "hosts": ["www.googleapis.com", "books.example.com"],
        "ports": [{"number": 443, "name": "https-443", "protocol": "HTTPS"}],
        "resolution": "DNS", "location": "MESH_EXTERNAL"}
    assert spec(found, "DestinationRule", "books-www-googleapis-com") == {
        "host": "www.googleapis.com", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}
    assert ("DestinationRule", "books-books-example-com") in found


# --- Mixer policy -------------------------------------------------------------------------------

def test_deny_rule_objects_and_references(tmp_path):
    found = objects(tmp_path, """
        policy:
          deny:
            nov3:
              match: source.labels["version"] == "v3"
            mesh:
              namespace: istio-system
              qualifiedReferences: true
              code: 16
              message: go away
    """)
    assert spec(found, "denier", "nov3handler") == {"status": {"code": 7, "message": "Not allowed"}}
    assert spec(found, "checknothing", "nov3request") is None
    assert spec(found, "rule", "nov3") == {"match": 'source.labels["version"] == "v3"', "actions": [
        {"handler": "nov3handler.denier", "instances": ["nov3request.checknothing"]}]}
    assert spec(found, "rule", "mesh") == {"actions": [
        {"handler": "meshhandler.denier.istio-system", "instances": ["meshrequest.checknothing.istio-system"]}]}
    assert found[("rule", "mesh")]["metadata"]["namespace"] == "istio-system"


def test_list_check(tmp_path):
    found = objects(tmp_path, """
        policy:
          lists:
            versions:
              value: source.labels["version"]
              entries: [v1, v2]
              match: destination.labels["app"] == "ratings"
    """)
    assert spec(found, "listchecker", "versionshandler") == {"overrides": ["v1", "v2"], "blacklist": False}
    assert spec(found, "listentry", "versionsentry") == {"value": 'source.labels["version"]'}
    assert spec(found, "rule", "versions")["actions"] == [
        {"handler": "versionshandler.listchecker", "instances": ["versionsentry.listentry"]}]


def test_rate_limits(tmp_path):
    found = objects(tmp_path, """
        policy:
          rateLimits:
            quotas:
              perclient:
                maxAmount: 10
                dimensions: {source: source.ip | ip("0.0.0.0")}
                services: [productpage]
    """)
    assert spec(found, "memquota", "handler") == {"quotas": [
        {"name": "perclient.quota.default", "maxAmount": 10, "validDuration": "1s"}]}
    assert spec(found, "QuotaSpec", "perclient") == {"rules": [{"quotas": [{"charge": 1, "quota": "perclient"}]}]}
    assert spec(found, "QuotaSpecBinding", "perclient") == {
        "quotaSpecs": [{"name": "perclient", "namespace": "default"}], "services": [{"name": "productpage"}]}
    assert spec(found, "rule", "quota") == {"actions": [{"handler": "handler.memquota", "instances": ["perclient.quota"]}]}


def test_metric_and_log(tmp_path):
    found = objects(tmp_path, """
        policy:
          metrics:
            doublerequestcount:
              value: "2"
              dimensions:
                source: source.service | "unknown"
                destination: destination.service | "unknown"
          logs:
            newlog:
              variables:
                source: source.labels["app"] | "unknown"
                latency: response.duration | "0ms"
    """)
    assert spec(found, "prometheus", "doublerequestcounthandler") == {"metrics": [
        {"name": "doublerequestcount", "instance_name": "doublerequestcount.metric.default", "kind": "COUNTER",
         "label_names": ["source", "destination"]}]}
    assert spec(found, "metric", "doublerequestcount")["value"] == "2"
    assert spec(found, "logentry", "newlog") == {"severity": '"Info"', "timestamp": "request.time", "variables": {
        "source": 'source.labels["app"] | "unknown"', "latency": 'response.duration | "0ms"'}}
    assert spec(found, "stdio", "newloghandler") == {"severity_levels": {"warning": 1}, "outputAsJson": True}
    assert spec(found, "rule", "newlog")["actions"] == [{"handler": "newloghandler.stdio", "instances": ["newlog.logentry"]}]


# --- RBAC and authentication ------------------------------------------------------------------------

def test_rbac_roles_and_bindings(tmp_path):
    found = objects(tmp_path, """
        clusterDomain: corp.local
        rbac:
          mode: ON_WITH_INCLUSION
          include: {namespaces: [default]}
          roles:
            reader:
              rules: [{services: [details, "*.prod.svc.corp.local"], methods: [GET], paths: ["/api/*"]}]
              subjects:
                - serviceAccount: bookinfo-productpage
                - serviceAccount: gateway
                  namespace: istio-system
    """)
    assert spec(found, "RbacConfig", "default") == {"mode": "ON_WITH_INCLUSION", "inclusion": {"namespaces": ["default"]}}
    assert spec(found, "ServiceRole", "reader") == {"rules": [
        {"services": ["details.default.svc.corp.local", "*.prod.svc.corp.local"], "methods": ["GET"], "paths": ["/api/*"]}]}
    assert spec(found, "ServiceRoleBinding", "bind-reader") == {
        "subjects": [{"user": "corp.local/ns/default/sa/bookinfo-productpage"},
                     {"user": "corp.local/ns/istio-system/sa/gateway"}],
        "roleRef": {"kind": "ServiceRole", "name": "reader"}}


def test_authentication_policies(tmp_path):
    found = objects(tmp_path, """
        authentication:
          default: {mtls: PERMISSIVE}
          reviews-strict:
            targets: [reviews, {name: ratings, ports: [{number: 9080}]}]
            mtls: STRICT
    """)
    assert spec(found, "Policy", "default") == {"peers": [{"mtls": {"mode": "PERMISSIVE"}}]}
    assert spec(found, "Policy", "reviews-strict") == {
        "targets": [{"name": "reviews"}, {"name": "ratings", "ports": [{"number": 9080}]}], "peers": [{"mtls": {}}]}


# --- with the rest of the product -----------------------------------------------------------------

def test_bundled_chart_is_listed_and_selected_by_name():
    result = invoke(["charts"])
    assert result.exit_code == 0
    assert re.search(r"^mesh-app\s", result.stdout, re.M)


def book(*steps: str) -> dict:
    files = [EXAMPLES / "book" / "onboard.yaml", *(EXAMPLES / "book" / f"{s}.yaml" for s in steps)]
    return {(d.kind, d.name): d.object for d in render(chart="mesh-app", namespace="default", values_files=files).documents}


def test_each_traffic_step_of_the_book_changes_one_virtual_service():
    onboarded = book()
    for step, changed in [("shift-70-30", "reviews"), ("fault-delay", "ratings"), ("mirror", "reviews"),
                          ("header-routing", "reviews")]:
        after = book(step)
        assert after.keys() == onboarded.keys(), step
        assert [k for k in after if after[k] != onboarded[k]] == [("VirtualService", changed)], step
    assert book("shift-70-30")[("VirtualService", "reviews")]["spec"]["http"][0]["route"][1]["weight"] == 30
    layered = book("shift-70-30", "fault-delay")  # the README's step 5: the canary stays
    assert [k for k in layered if layered[k] != onboarded[k]] == [("VirtualService", "ratings"), ("VirtualService", "reviews")]
    assert layered[("VirtualService", "reviews")] == book("shift-70-30")[("VirtualService", "reviews")]


def test_diff_shows_a_traffic_shift_as_one_changed_virtual_service():
    result = invoke(["diff", "--chart", "mesh-app", "--namespace", "default",
                     "-f", str(EXAMPLES / "book" / "onboard.yaml"),
                     "--to-values", str(EXAMPLES / "book" / "shift-70-30.yaml"), "--output", "json"])
    assert result.exit_code == 1, result.stderr  # changes, as `git diff --exit-code` says
    report = json.loads(result.stdout)
    assert (report["summary"]["added"], report["summary"]["removed"]) == (0, 0)
    assert [(c["kind"], c["namespace"], c["name"]) for c in report["changed"]] == [("VirtualService", "default", "reviews")]


def test_every_example_renders():
    for path in sorted(EXAMPLES.glob("*/*.yaml")):
        files = [path] if path.parent.name == "bookinfo" else [EXAMPLES / "book" / "onboard.yaml", path]
        assert render(chart="mesh-app", namespace="default", values_files=files).documents, path


# --- random valid values, checked against Istio 1.0's rules ---------------------------------------

HOST_LABEL = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$")
DURATION = re.compile(r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)$")
UNIT = {"ns": 1, "us": 1000, "µs": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}

label = st.from_regex(r"\A[a-z]([a-z0-9-]{0,8}[a-z0-9])?\Z")
versions = st.lists(label, min_size=1, max_size=4, unique=True)
millis = st.integers(min_value=1, max_value=120_000)
durations = millis.map(lambda ms: f"{ms}ms" if ms % 1000 else f"{ms // 1000}s")
percents = st.integers(min_value=0, max_value=100)


def weights_for(n: int) -> st.SearchStrategy[list[int]]:
    """n integers from 0 to 100 adding up to 100."""
    return st.lists(st.integers(min_value=0, max_value=100), min_size=n - 1, max_size=n - 1).map(
        lambda cuts: [b - a for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), 100])])


@st.composite
def route(draw, names: list[str], gateways: list[str]) -> dict:
    r: dict = {}
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True))
    if len(chosen) == 1 and draw(st.booleans()):
        r["to"] = chosen[0]
    else:
        r["to"] = dict(zip(chosen, draw(weights_for(len(chosen)))))
    if draw(st.booleans()):
        condition = draw(st.fixed_dictionaries({}, optional={
            "headers": st.dictionaries(label, st.one_of(label, st.fixed_dictionaries({"prefix": label})), min_size=1, max_size=2),
            "uri": st.one_of(label.map(lambda s: "/" + s), st.fixed_dictionaries({"prefix": label.map(lambda s: "/" + s)})),
            "sourceLabels": st.dictionaries(label, label, min_size=1, max_size=2),
            "gateways": st.lists(st.sampled_from(gateways), min_size=1, max_size=2, unique=True),
        }))
        r["match"] = condition or {"uri": "/"}
    if draw(st.booleans()):
        r["timeout"] = draw(durations)
    if draw(st.booleans()):
        r["retries"] = {"attempts": draw(st.integers(min_value=1, max_value=5)), "perTryTimeout": draw(durations)}
    if draw(st.booleans()):
        r["fault"] = draw(st.fixed_dictionaries({}, optional={
            "delay": st.one_of(durations, st.fixed_dictionaries({"fixedDelay": durations, "percent": percents})),
            "abort": st.one_of(st.integers(min_value=0, max_value=600),
                               st.fixed_dictionaries({"httpStatus": st.integers(min_value=0, max_value=600), "percent": percents})),
        })) or {"delay": "1s"}
    if draw(st.booleans()):
        r["mirror"] = draw(st.sampled_from(names))
    return r


@st.composite
def mesh_values(draw) -> dict:
    gateway_names = draw(st.lists(label, max_size=2, unique=True))
    known = ["mesh", *gateway_names]
    services = {}
    for name in draw(st.lists(label, min_size=1, max_size=3, unique=True)):
        names = draw(versions)
        svc: dict = {"versions": names}
        if draw(st.booleans()):
            svc["routes"] = draw(st.lists(route(names, known), min_size=1, max_size=3))
        if draw(st.booleans()):
            svc["trafficPolicy"] = {"loadBalancer": draw(st.sampled_from(["RANDOM", "ROUND_ROBIN", "LEAST_CONN"])),
                                    "outlierDetection": {"interval": draw(durations), "maxEjectionPercent": draw(percents)}}
        if draw(st.booleans()):
            svc["port"] = draw(st.integers(min_value=1, max_value=65535))
        if draw(st.booleans()):
            svc["gateways"] = draw(st.lists(st.sampled_from(known), min_size=1, max_size=len(known), unique=True))
        if draw(st.booleans()):
            svc["tcp"] = [{"match": {"port": draw(st.integers(min_value=1, max_value=65535))},
                           "to": draw(st.sampled_from(names))}]
        services[name] = svc
    gateways = {}
    for g in gateway_names:
        servers = draw(st.lists(st.sampled_from([
            {"port": 80}, {"port": 80, "httpsRedirect": True}, {"port": 443, "tls": {"secret": "istio-ingressgateway-certs"}},
            {"port": {"number": 8443, "name": "mtls", "protocol": "HTTPS"}, "tls": {"mode": "MUTUAL"}},
            {"port": {"number": 31400, "name": "tcp", "protocol": "TCP"}}]), max_size=3, unique_by=lambda s: str(s["port"])))
        gateways[g] = {"hosts": [f"{g}.example.com"], **({"servers": servers} if servers else {})}
    egress = {}
    for e in draw(st.lists(label, max_size=2, unique=True)):
        if e in services:
            continue
        dns = draw(st.booleans())  # DNS resolution looks every host up: FQDNs only
        egress[e] = {"hosts": [f"{e}.example.com", f"*.{e}.example.org"][:1 if dns else draw(st.integers(1, 2))],
                     "ports": draw(st.lists(st.sampled_from([80, 443, {"number": 3306, "name": "mysql", "protocol": "TCP"}]),
                                            min_size=1, max_size=3, unique_by=str)),
                     **({"tls": "SIMPLE"} if draw(st.booleans()) else {}),
                     **({"resolution": "DNS"} if dns else {})}
    policy = {
        "deny": {d: {"match": f'source.labels["app"] == "{d}"'} for d in draw(st.lists(label.filter(lambda n: n != "quota"), max_size=2, unique=True))},
        "rateLimits": {"quotas": {q: {"maxAmount": draw(st.integers(1, 1000)), "validDuration": draw(durations),
                                      "dimensions": {"destination": 'destination.labels["app"] | "unknown"'},
                                      "services": sorted(services)[:1]}
                                  for q in draw(st.lists(label, max_size=2, unique=True))}},
    }
    rbac = {"mode": draw(st.sampled_from(["", "ON", "OFF", "ON_WITH_INCLUSION"])),
            "include": {"namespaces": ["default"]},
            "roles": {r: {"rules": [{"services": sorted(services)[:2], "methods": ["GET"]}],
                          "subjects": [{"serviceAccount": r}, {"user": "*"}]}
                      for r in draw(st.lists(label, max_size=2, unique=True))}}
    authentication = {"default": {"mtls": draw(st.sampled_from(["STRICT", "PERMISSIVE"]))}} if draw(st.booleans()) else {}
    return {"gateways": gateways, "services": services, "egress": egress, "policy": policy, "rbac": rbac,
            "authentication": authentication}


def check_duration(value: str) -> None:
    m = DURATION.match(value)
    assert m, value
    number, unit = value[:-len(m.group(3))], m.group(3)
    whole, _, fraction = number.partition(".")
    ns = int(whole or 0) * UNIT[unit] + int((fraction + "0" * 9)[:9]) * UNIT[unit] // 10**9
    assert ns >= 10**6 and ns % 10**6 == 0, value


def hosts_match(a: str, b: str) -> bool:
    """Pilot 1.0's Hostname.Matches: equal, or one a wildcard whose suffix ends the other."""
    if a[:1] != "*" and b[:1] != "*":
        return a == b
    if a[:1] == "*" and b[:1] == "*":
        short, long = sorted((a[1:], b[1:]), key=len)
        return long.endswith(short)
    wild, plain = (a, b) if a[:1] == "*" else (b, a)
    return plain.endswith(wild[1:])


def check_istio_1_0(docs: list[dict]) -> None:
    """The rules pilot 1.0 applies to these objects, and that every subset routed to exists."""
    subsets = {d["spec"]["host"]: {s["name"] for s in d["spec"].get("subsets", [])}
               for d in docs if d["kind"] == "DestinationRule"}
    gateways = {d["metadata"]["name"] for d in docs if d["kind"] == "Gateway"} | {"mesh"}
    for doc in docs:
        if doc["kind"] == "Gateway":
            names = [server["port"]["name"] for server in doc["spec"]["servers"]]
            assert len(set(names)) == len(names)
            for server in doc["spec"]["servers"]:
                assert server["hosts"]
                assert (server["port"]["protocol"].upper() in ("HTTPS", "TLS")) <= ("serverCertificate" in server.get("tls", {}))
                if server.get("tls", {}).get("mode") == "MUTUAL":
                    assert server["tls"]["caCertificates"]
        if doc["kind"] == "ServiceEntry":
            assert "*" not in doc["spec"]["hosts"]
            ports = doc["spec"]["ports"]
            assert len({p["name"] for p in ports}) == len({p["number"] for p in ports}) == len(ports)
            assert all(HOST_LABEL.match(p["name"]) for p in ports)
            if doc["spec"].get("resolution") == "DNS" and not doc["spec"].get("endpoints"):
                assert not any("*" in h for h in doc["spec"]["hosts"])
    for doc in docs:
        if doc["kind"] != "VirtualService":
            continue
        vs = doc["spec"]
        assert vs["hosts"] and (vs.get("http") or vs.get("tcp"))
        for i, a in enumerate(vs["hosts"]):
            assert not any(hosts_match(a, b) for b in vs["hosts"][i + 1:])
        for r in vs.get("tcp", []):
            route = r["route"]
            assert len(route) == 1  # Istio 1.0 has no weighted TCP routes
            for d in route:
                if "subset" in d["destination"]:
                    assert d["destination"]["subset"] in subsets[d["destination"]["host"]]
        for host in vs["hosts"]:
            assert host != "*" and all(HOST_LABEL.match(part) for part in host.split(".")), host
        for g in vs.get("gateways", []):
            assert g in gateways
        for r in vs.get("http", []):
            route = r.get("route", [])
            assert route or r.get("redirect")
            if len(route) > 1:
                assert sum(d["weight"] for d in route) == 100
            for d in route + ([{"destination": r["mirror"]}] if "mirror" in r else []):
                dest = d["destination"]
                assert 0 <= d.get("weight", 0) <= 100
                if "subset" in dest:
                    assert dest["subset"] in subsets[dest["host"]]
            for key in ("timeout",):
                if key in r:
                    check_duration(r[key])
            if "retries" in r:
                assert r["retries"]["attempts"] > 0
                check_duration(r["retries"]["perTryTimeout"])
            fault = r.get("fault", {})
            assert fault == {} or "delay" in fault or "abort" in fault
            if "delay" in fault:
                assert 0 <= fault["delay"]["percent"] <= 100
                check_duration(fault["delay"]["fixedDelay"])
            if "abort" in fault:
                assert 0 <= fault["abort"]["percent"] <= 100 and 0 <= fault["abort"]["httpStatus"] <= 600
            for m in r.get("match", []):
                for g in m.get("gateways", []):
                    assert g in gateways


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(values=mesh_values())
def test_random_valid_values_render_objects_istio_1_0_accepts(tmp_path, values):
    path = tmp_path / "random.yaml"
    path.write_text(to_yaml(values))
    manifest = render(chart="mesh-app", namespace="default", values_files=[path])
    docs = [d.object for d in manifest.documents]
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "VirtualService"} == set(values["services"])
    check_istio_1_0(docs)
    report = validate_manifest(manifest, "v1.15.0")  # meshcharts' own check of Istio 1.0 objects
    assert not report.errors, [str(f) for f in report.errors]


# --- TCP, per-service switches, mesh-wide policy (added shapes) ----------------------------------

def test_tcp_routes_and_per_service_switches(tmp_path):
    found = objects(tmp_path, """
        services:
          tcp-echo:
            versions: [v1, v2]
            port: 9000
            destinationRule: false
            tcp:
              - match: {port: 31400}
                to: v2
          mesh-mtls:
            host: "*.local"
            namespace: istio-system
            virtualService: false
            trafficPolicy: {tls: ISTIO_MUTUAL}
    """)
    assert sorted(found) == [("DestinationRule", "mesh-mtls"), ("VirtualService", "tcp-echo")]
    assert spec(found, "VirtualService", "tcp-echo") == {"hosts": ["tcp-echo"], "tcp": [{
        "match": [{"port": 31400}],
        "route": [{"destination": {"host": "tcp-echo", "subset": "v2", "port": {"number": 9000}}}]}]}
    assert found[("DestinationRule", "mesh-mtls")]["metadata"]["namespace"] == "istio-system"


def test_a_weight_the_user_gives_is_written_even_alone(tmp_path):
    found = objects(tmp_path, """
        services:
          httpbin:
            versions: [v1, v2]
            routes:
              - to: {v1: 100}
                mirror: v2
    """)
    assert spec(found, "VirtualService", "httpbin")["http"] == [{
        "route": [{"destination": {"host": "httpbin", "subset": "v1"}, "weight": 100}],
        "mirror": {"host": "httpbin", "subset": "v2"}}]


def test_mesh_wide_authentication_policy(tmp_path):
    found = objects(tmp_path, """
        authentication:
          default: {mesh: true, mtls: STRICT}
    """)
    policy = found[("MeshPolicy", "default")]
    assert policy["spec"] == {"peers": [{"mtls": {}}]} and "namespace" not in policy["metadata"]


def test_metrics_share_a_handler_and_a_rule(tmp_path):
    found = objects(tmp_path, """
        policy:
          metrics:
            mongoreceivedbytes:
              value: connection.received.bytes | 0
              dimensions: {source: source.workload.name | "unknown"}
              prometheus: {handler: mongohandler, name: mongo_received_bytes}
              rule: {name: mongoprom, match: context.protocol == "tcp"}
            mongosentbytes:
              value: connection.sent.bytes | 0
              dimensions: {source: source.workload.name | "unknown"}
              prometheus: {handler: mongohandler, name: mongo_sent_bytes}
              rule: {name: mongoprom, match: context.protocol == "tcp"}
    """)
    assert [m["name"] for m in spec(found, "prometheus", "mongohandler")["metrics"]] == [
        "mongo_received_bytes", "mongo_sent_bytes"]
    assert spec(found, "rule", "mongoprom") == {"match": 'context.protocol == "tcp"', "actions": [
        {"handler": "mongohandler.prometheus", "instances": ["mongoreceivedbytes.metric", "mongosentbytes.metric"]}]}
    assert len([k for k in found if k[0] == "prometheus"]) == 1


def test_deny_rules_share_a_handler_and_an_instance(tmp_path):
    found = objects(tmp_path, """
        policy:
          deny:
            denyingress:
              handler: handler
              instance: denyrequest
              match: source.labels["istio"] == "ingressgateway"
            denyjohn:
              handler: handler
              instance: denyrequest
              match: request.headers["x-user"] == "john"
    """)
    assert sorted(found) == [("checknothing", "denyrequest"), ("denier", "handler"), ("rule", "denyingress"),
                             ("rule", "denyjohn")]


def test_a_subset_with_empty_labels_has_none(tmp_path):
    found = objects(tmp_path, """
        services:
          egressgateway-for-cnn:
            host: istio-egressgateway.istio-system.svc.cluster.local
            virtualService: false
            versions: [{name: cnn, labels: {}}]
    """)
    assert spec(found, "DestinationRule", "egressgateway-for-cnn")["subsets"] == [{"name": "cnn"}]


# One mistake planted in random valid values: the render stops with a values error located in the
# file, never a template error or a crash.
MISTAKES = {
    "weights": lambda svc: svc.update(routes=[{"to": {svc["versions"][0]: 60}}]),
    "version": lambda svc: svc.update(routes=[{"to": "undeclared-version"}]),
    "mirror": lambda svc: svc.update(routes=[{"mirror": "undeclared-version"}]),
    "percent": lambda svc: svc.update(routes=[{"fault": {"delay": "1s", "percent": 101}}]),
    "status": lambda svc: svc.update(routes=[{"fault": {"abort": 601}}]),
    "duration": lambda svc: svc.update(routes=[{"timeout": "1.5ms"}]),
    "host": lambda svc: svc.update(host="not_a_host"),
    "gateway": lambda svc: svc.update(gateways=["nowhere"]),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(values=mesh_values(), mistake=st.sampled_from(sorted(MISTAKES)), data=st.data())
def test_one_planted_mistake_is_reported_in_the_values_file(tmp_path, values, mistake, data):
    import pytest
    from meshcharts.errors import ValuesError
    name = data.draw(st.sampled_from(sorted(values["services"])))
    MISTAKES[mistake](values["services"][name])
    path = tmp_path / "planted.yaml"
    path.write_text(to_yaml(values))
    with pytest.raises(ValuesError) as caught:
        render(chart="mesh-app", namespace="default", values_files=[path])
    assert caught.value.where.startswith(f"{path}:")
    assert f"services.{name}" in caught.value.message


def test_second_gateway_port_of_a_protocol_gets_a_distinct_name(tmp_path):
    found = objects(tmp_path, """
        gateways:
          g:
            hosts: ["*"]
            servers: [{port: 80, tls: {httpsRedirect: true}}, {port: 8080}]
    """)
    assert [(s["port"]["name"], s.get("tls")) for s in spec(found, "Gateway", "g")["servers"]] == [
        ("http", {"httpsRedirect": True}), ("http-8080", None)]


def test_every_book_step_passes_meshcharts_validation():
    for path in sorted((EXAMPLES / "book").glob("*.yaml")):
        manifest = render(chart="mesh-app", namespace="default", values_files=[EXAMPLES / "book" / "onboard.yaml", path])
        report = validate_manifest(manifest, "v1.15.0")
        assert not report.errors, (path.name, [str(f) for f in report.errors])
