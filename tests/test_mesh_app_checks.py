"""The mesh-app chart's checks, one by one: each mistake stops the render before anything is
printed, with one message naming the values path and the file, line and column it was set at."""
from __future__ import annotations

import textwrap

import pytest

from cli_runner import invoke
from meshcharts import MeshchartsError, render


def render_text(tmp_path, text: str, *sets: str):
    path = tmp_path / "services.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return render(chart="mesh-app", namespace="default", values_files=[path], set_values=sets), path


def error_of(tmp_path, text: str, *sets: str) -> tuple[str, str]:
    with pytest.raises(MeshchartsError) as caught:
        render_text(tmp_path, text, *sets)
    return str(caught.value), str(tmp_path / "services.yaml")


REVIEWS = """
services:
  reviews:
    versions: [v1, v2, v3]
    routes:
{routes}
"""


def reviews(routes: str) -> str:
    return REVIEWS.format(routes=textwrap.indent(textwrap.dedent(routes).strip("\n"), "      "))


# --- weights ---------------------------------------------------------------------------------

def test_weights_that_do_not_add_up_to_100(tmp_path):
    message, file = error_of(tmp_path, reviews("- to: {v1: 80, v2: 30}"))
    assert message == f"{file}:5:9: services.reviews.routes[0].to: weights add up to 110, not 100"


def test_weights_in_a_destination_list(tmp_path):
    message, file = error_of(tmp_path, reviews("""
        - to:
            - {version: v1, weight: 60}
            - {version: v2, weight: 30}
    """))
    assert message == f"{file}:5:9: services.reviews.routes[0].to: weights add up to 90, not 100"


def test_a_single_weighted_destination_must_take_everything(tmp_path):
    message, file = error_of(tmp_path, reviews("- to: {v2: 50}"))
    assert message == f"{file}:5:9: services.reviews.routes[0].to: weights add up to 50, not 100"


def test_weights_adding_up_to_100_render(tmp_path):
    manifest, _ = render_text(tmp_path, reviews("- to: {v1: 70, v2: 30}"))
    [vs] = [d.object for d in manifest.documents if d.kind == "VirtualService"]
    assert [(r["destination"]["subset"], r["weight"]) for r in vs["spec"]["http"][0]["route"]] == [("v1", 70), ("v2", 30)]


# --- undeclared versions -----------------------------------------------------------------------

def test_route_to_an_undeclared_version(tmp_path):
    message, file = error_of(tmp_path, reviews("- to: v4"))
    assert message == (f"{file}:5:9: services.reviews.routes[0].to: version \"v4\" is not declared by service "
                       f"\"reviews\" (declared: v1, v2, v3)")


def test_weighted_route_to_an_undeclared_version_names_that_version(tmp_path):
    message, file = error_of(tmp_path, reviews("- to: {v1: 50, v9: 50}"))
    assert message.startswith(f"{file}:5:22: services.reviews.routes[0].to.v9: version \"v9\" is not declared")


def test_route_to_another_services_undeclared_version(tmp_path):
    message, file = error_of(tmp_path, """
        services:
          ratings:
            versions: [v1]
          reviews:
            versions: [v1]
            routes:
              - to: [{service: ratings, version: v2}]
    """)
    assert message.startswith(f"{file}:7:14: services.reviews.routes[0].to[0]: version \"v2\" is not declared "
                              f"by service \"ratings\"")


def test_route_from_a_service_without_versions(tmp_path):
    message, file = error_of(tmp_path, """
        services:
          details:
            routes:
              - to: v2
    """)
    assert message.endswith("version \"v2\" is not declared by service \"details\" (declared: none)")


def test_mirror_to_an_undeclared_version(tmp_path):
    message, file = error_of(tmp_path, reviews("""
        - to: v1
          mirror: v5
    """))
    assert message == (f"{file}:6:9: services.reviews.routes[0].mirror: version \"v5\" is not declared by service "
                       f"\"reviews\" (declared: v1, v2, v3)")


def test_default_version_must_be_declared(tmp_path):
    message, file = error_of(tmp_path, """
        services:
          reviews:
            versions: [v1]
            defaultVersion: v2
    """)
    assert message.startswith(f"{file}:4:5: services.reviews.defaultVersion: version \"v2\" is not declared")


# --- percentages -------------------------------------------------------------------------------

@pytest.mark.parametrize("fault, where, shown", [
    ("{delay: 7s, percent: 120}", "6:28", "fault.percent: percentage 120"),
    ("{abort: {httpStatus: 500, percent: -1}}", "6:42", "fault.abort.percent: percentage -1"),
    ("{delay: {fixedDelay: 1s, percent: 101}}", "6:41", "fault.delay.percent: percentage 101"),
])
def test_fault_percentage_outside_0_to_100(tmp_path, fault, where, shown):
    message, file = error_of(tmp_path, reviews(f"""
        - to: v1
          fault: {fault}
    """))
    assert message == f"{file}:{where}: services.reviews.routes[0].{shown} is outside 0-100"


def test_weight_outside_0_to_100(tmp_path):
    message, file = error_of(tmp_path, reviews("- to: {v1: 150, v2: -50}"))
    assert message == f"{file}:5:14: services.reviews.routes[0].to.v1: percentage 150 is outside 0-100"


def test_outlier_ejection_percentage(tmp_path):
    message, file = error_of(tmp_path, """
        services:
          reviews:
            trafficPolicy:
              outlierDetection: {maxEjectionPercent: 200}
    """)
    assert message == (f"{file}:4:26: services.reviews.trafficPolicy.outlierDetection.maxEjectionPercent: "
                       f"percentage 200 is outside 0-100")


# --- abort status and durations (Istio 1.0's own limits) -------------------------------------------

@pytest.mark.parametrize("abort", ["700", "-1", "{httpStatus: 601}"])
def test_abort_status_istio_rejects(tmp_path, abort):
    message, file = error_of(tmp_path, reviews(f"""
        - to: v1
          fault: {{abort: {abort}}}
    """))
    assert "services.reviews.routes[0].fault.abort" in message
    assert message.startswith(f"{file}:6:")
    assert "is not an HTTP status Istio accepts (0-600)" in message


@pytest.mark.parametrize("duration, problem", [
    ("7 seconds", "is not a duration"),
    ("7", "is not a duration"),
    ("0.5ms", "is shorter than 1ms"),
    ("900us", "is shorter than 1ms"),
    ("1.5ms", "is not a whole number of milliseconds"),
    ("1500us", "is not a whole number of milliseconds"),
])
def test_timeout_istio_rejects(tmp_path, duration, problem):
    message, file = error_of(tmp_path, reviews(f"""
        - to: v1
          timeout: "{duration}"
    """))
    assert message.startswith(f"{file}:6:9: services.reviews.routes[0].timeout: ")
    assert problem in message


@pytest.mark.parametrize("duration", ["1ms", "2000us", "0.5s", "1m30s", "1.25s", "7s", "1h"])
def test_durations_istio_accepts(tmp_path, duration):
    manifest, _ = render_text(tmp_path, reviews(f"""
        - to: v1
          timeout: "{duration}"
    """))
    [vs] = [d.object for d in manifest.documents if d.kind == "VirtualService"]
    assert vs["spec"]["http"][0]["timeout"] == duration


def test_fault_delay_and_retry_durations_are_checked(tmp_path):
    message, file = error_of(tmp_path, reviews("""
        - to: v1
          fault: {delay: 0s}
    """))
    assert message.startswith(f"{file}:6:17: services.reviews.routes[0].fault.delay: \"0s\" is shorter than 1ms")
    message, file = error_of(tmp_path, reviews("""
        - to: v1
          retries: {attempts: 3, perTryTimeout: 2 s}
    """))
    assert message.startswith(f"{file}:6:32: services.reviews.routes[0].retries.perTryTimeout: \"2 s\" is not a duration")


def test_circuit_breaker_durations_are_checked(tmp_path):
    message, file = error_of(tmp_path, """
        services:
          reviews:
            trafficPolicy:
              outlierDetection: {interval: 1x}
    """)
    assert message.startswith(f"{file}:4:26: services.reviews.trafficPolicy.outlierDetection.interval:")


# --- hosts --------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["bad_host", "reviews..default", "-reviews", "a" * 64, "re*views", "*.*.example.com",
                                  "x." * 127 + "xy"])
def test_host_that_is_no_short_name_fqdn_or_wildcard(tmp_path, host):
    message, file = error_of(tmp_path, f"""
        services:
          reviews:
            host: "{host}"
    """)
    assert message.startswith(f"{file}:3:5: services.reviews.host: ")
    assert "is not a host: give a short name (reviews), an FQDN" in message


@pytest.mark.parametrize("host", ["reviews", "reviews.prod.svc.cluster.local", "*.example.com", "*-api.example.com"])
def test_hosts_istio_takes(tmp_path, host):
    manifest, _ = render_text(tmp_path, f"""
        services:
          reviews:
            host: "{host}"
    """)
    [vs] = [d.object for d in manifest.documents if d.kind == "VirtualService"]
    assert vs["spec"]["hosts"] == [host]


def test_star_host_needs_a_gateway(tmp_path):
    message, file = error_of(tmp_path, """
        services:
          reviews:
            hosts: ["*"]
    """)
    assert message.startswith(f"{file}:3:13: services.reviews.hosts[0]: \"*\" alone is only allowed for routes bound to gateways")


def test_egress_host_checks(tmp_path):
    message, file = error_of(tmp_path, """
        egress:
          everything:
            hosts: ["*"]
    """)
    assert message.startswith(f"{file}:3:13: egress.everything.hosts[0]: a ServiceEntry cannot take every host")
    message, file = error_of(tmp_path, """
        egress:
          api:
            hosts: [api.example.com, "bad host"]
    """)
    assert message.startswith(f"{file}:3:30: egress.api.hosts[1]: \"bad host\" is not a host")


def test_gateway_hosts_are_fqdns(tmp_path):
    message, file = error_of(tmp_path, """
        gateways:
          web:
            hosts: [bookinfo]
    """)
    assert message.startswith(f"{file}:3:13: gateways.web.hosts[0]: \"bookinfo\" is a short name")


def test_ingress_destination_host(tmp_path):
    message, file = error_of(tmp_path, """
        gateways:
          web: {hosts: ["*"]}
        ingress:
          site:
            gateways: [web]
            routes:
              - to: "product page"
    """)
    assert message.startswith(f"{file}:7:9: ingress.site.routes[0].to: \"product page\" is not a host")


# --- gateways ----------------------------------------------------------------------------------

def test_unknown_gateway_of_a_service(tmp_path):
    message, file = error_of(tmp_path, """
        gateways:
          bookinfo-gateway: {hosts: ["*"]}
        services:
          productpage:
            gateways: [mesh, bookinfo-gw]
    """)
    assert message == (f"{file}:5:22: services.productpage.gateways[1]: unknown gateway \"bookinfo-gw\": declare it "
                       f"under gateways, or list it in externalGateways if it exists elsewhere (known: mesh, "
                       f"bookinfo-gateway, default/bookinfo-gateway)")


def test_unknown_gateway_in_a_match(tmp_path):
    message, file = error_of(tmp_path, reviews("""
        - match: {gateways: [edge]}
          to: v2
    """))
    assert message.startswith(f"{file}:5:28: services.reviews.routes[0].match.gateways[0]: unknown gateway \"edge\"")


def test_unknown_gateway_of_an_ingress_entry(tmp_path):
    message, file = error_of(tmp_path, """
        ingress:
          site:
            gateways: [istio-system/istio-autogenerated-k8s-ingress]
            routes: [{to: productpage}]
    """)
    assert message.startswith(f"{file}:3:16: ingress.site.gateways[0]: unknown gateway")


def test_gateways_named_elsewhere_mesh_and_namespaced_names_are_known(tmp_path):
    manifest, _ = render_text(tmp_path, """
        externalGateways: [istio-system/istio-autogenerated-k8s-ingress]
        gateways:
          web: {namespace: edge, hosts: ["*"]}
        services:
          productpage:
            gateways: [mesh, edge/web, web, istio-system/istio-autogenerated-k8s-ingress]
    """)
    [vs] = [d.object for d in manifest.documents if d.kind == "VirtualService"]
    assert vs["spec"]["gateways"] == ["mesh", "edge/web", "web", "istio-system/istio-autogenerated-k8s-ingress"]


# --- where the message points -------------------------------------------------------------------

def test_a_set_value_is_named_by_its_argument(tmp_path):
    message, _ = error_of(tmp_path, reviews("- to: v1"), "services.reviews.routes[0].to=v7")
    assert message.startswith("--set services.reviews.routes[0].to=v7: services.reviews.routes[0].to: version \"v7\"")


def test_cli_prints_one_error_line_and_nothing_on_stdout(tmp_path):
    path = tmp_path / "services.yaml"
    path.write_text(reviews("- to: {v1: 90, v2: 20}").lstrip("\n"))
    result = invoke(["render", "--chart", "mesh-app", "-f", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {path}:5:9: services.reviews.routes[0].to: weights add up to 110, not 100\n"


def test_lint_reports_the_same_location(tmp_path):
    path = tmp_path / "services.yaml"
    path.write_text(reviews("- to: v4").lstrip("\n"))
    result = invoke(["lint", "--chart", "mesh-app", "-f", str(path)])
    assert result.exit_code == 1
    assert f"Error: {path}:5:9: services.reviews.routes[0].to: version \"v4\" is not declared" in result.stderr


def test_schema_types_are_checked_with_their_location(tmp_path):
    message, file = error_of(tmp_path, reviews("- to: {v1: 50, v2: \"50\"}"))
    assert message.startswith(f"{file}:5:22: services.reviews.routes[0].to.v2: expected a whole number")


def test_lint_finds_unknown_keys(tmp_path):
    path = tmp_path / "services.yaml"
    path.write_text("services:\n  reviews:\n    versions: [v1]\n    rotues: []\n")
    result = invoke(["lint", "--chart", "mesh-app", "-f", str(path)])
    assert result.exit_code == 1
    assert f"{path}:4:5: services.reviews.rotues: unknown key (did you mean routes?)" in result.stderr


# --- shapes that cannot make a route ---------------------------------------------------------------

def test_a_missing_key_is_reported_at_the_nearest_key_set(tmp_path):
    message, file = error_of(tmp_path, """
        gateways:
          web: {hosts: ["*"]}
        ingress:
          site:
            gateways: [web]
            routes:
              - match: {uri: /x}
    """)
    assert message == (f"{file}:7:9: ingress.site.routes[0].to: this route needs `to`: the service (or host) it "
                       f"sends traffic to")


def test_an_empty_to(tmp_path):
    message, file = error_of(tmp_path, reviews("- to: []"))
    assert message == f"{file}:5:9: services.reviews.routes[0].to: `to` is empty: name at least one destination"


def test_an_ingress_entry_named_like_a_service(tmp_path):
    message, file = error_of(tmp_path, """
        gateways:
          web: {hosts: ["*"]}
        services:
          reviews: {}
        ingress:
          reviews:
            gateways: [web]
            routes: [{to: reviews}]
    """)
    assert message.startswith(f"{file}:6:3: ingress.reviews: service \"reviews\" has a VirtualService of that name")


def test_a_redirect_route_sends_no_traffic_on(tmp_path):
    message, file = error_of(tmp_path, reviews("""
        - redirect: {uri: /new}
          to: v1
    """))
    assert message.startswith(f"{file}:5:9: services.reviews.routes[0].redirect: a redirect sends no traffic on")


@pytest.mark.parametrize("hosts, shown", [
    ('[a.example.com, "*.example.com"]', '"a.example.com" and "*.example.com"'),
    ('["*.example.com", "*.com"]', '"*.example.com" and "*.com"'),
    ('["*-api.example.com", x-api.example.com]', '"*-api.example.com" and "x-api.example.com"'),
    ('[a.example.com, a.example.com]', '"a.example.com" and "a.example.com"'),
])
def test_overlapping_hosts_of_one_virtual_service(tmp_path, hosts, shown):
    message, file = error_of(tmp_path, f"""
        services:
          reviews:
            hosts: {hosts}
    """)
    assert f"services.reviews.hosts[1]: hosts {shown} overlap, which Istio refuses" in message
    assert message.startswith(f"{file}:3:")


def test_a_service_host_under_a_wildcard_of_its_own_hosts(tmp_path):
    message, file = error_of(tmp_path, """
        gateways:
          g: {hosts: ["*"]}
        services:
          tcp-echo:
            gateways: [g]
            hosts: ["*"]
    """)
    assert message.startswith(f"{file}:6:13: services.tcp-echo.hosts[0]: hosts \"tcp-echo\" and \"*\" overlap")


def test_mesh_policy_is_named_default(tmp_path):
    message, file = error_of(tmp_path, """
        authentication:
          strict: {mesh: true, mtls: STRICT, targets: [reviews]}
    """)
    assert message.startswith(f"{file}:2:12: authentication.strict.mesh: a mesh-wide policy is named \"default\"")


def test_a_shared_handler_with_different_settings(tmp_path):
    message, file = error_of(tmp_path, """
        policy:
          deny:
            a: {handler: handler, instance: denyrequest, message: nope}
            b: {handler: handler, instance: denyrequest, message: never}
    """)
    assert message == (f"{file}:4:5: policy.deny.b: denier \"handler\" in namespace default is written twice with "
                       f"different settings: give one of them another name")


def test_metrics_sharing_a_rule_agree_on_its_match(tmp_path):
    message, file = error_of(tmp_path, """
        policy:
          metrics:
            a: {rule: {name: shared, match: "true"}}
            b: {rule: {name: shared, match: "false"}}
    """)
    assert message.startswith(f"{file}:4:30: policy.metrics.b.rule.match: metrics \"a\" and \"b\" share rule \"shared\"")


def test_an_egress_entry_named_like_a_service(tmp_path):
    message, file = error_of(tmp_path, """
        services:
          books: {versions: [v1]}
        egress:
          books: {hosts: [books.example.com], tls: SIMPLE}
    """)
    assert message.startswith(f"{file}:4:39: egress.books.tls: service \"books\" may write a DestinationRule")


@pytest.mark.parametrize("versions, where, shown", [("[v1, V2]", "3:28", "versions[1]: version name \"V2\""),
                                                    ("[v1, v1]", "3:28", "versions[1]: version \"v1\" is declared twice"),
                                                    ("{v_1: }", "3:24", "versions.v_1: version name \"v_1\"")])
def test_version_names_are_checked_even_without_destination_rules(tmp_path, versions, where, shown):
    message, file = error_of(tmp_path, f"""
        generate: {{destinationRules: false}}
        services:
          reviews: {{versions: {versions}}}
    """)
    assert message.startswith(f"{file}:{where}: services.reviews.{shown}")


# --- ports ---------------------------------------------------------------------------------------

def test_a_protocol_istio_does_not_know(tmp_path):
    message, file = error_of(tmp_path, """
        egress:
          ftp:
            hosts: [files.example.com]
            ports: [{number: 21, protocol: ftp}]
    """)
    assert message.startswith(f"{file}:4:26: egress.ftp.ports[0].protocol: protocol \"ftp\" is not one Istio 1.0 knows")
    message, file = error_of(tmp_path, """
        gateways:
          g: {hosts: ["*"], servers: [{port: 8080, protocol: WEB}]}
    """)
    assert message.startswith(f"{file}:2:44: gateways.g.servers[0].protocol: protocol \"WEB\"")


def test_a_port_name_that_is_no_dns_label(tmp_path):
    message, file = error_of(tmp_path, """
        egress:
          api:
            hosts: [api.example.com]
            ports: [{number: 443, name: tls_port, protocol: TLS}]
    """)
    assert message.startswith(f"{file}:4:27: egress.api.ports[0].name: port name \"tls_port\" is not a DNS label")


def test_port_numbers_are_checked_by_the_schema(tmp_path):
    message, file = error_of(tmp_path, """
        services:
          reviews: {port: 0}
    """)
    assert message.startswith(f"{file}:2:13: services.reviews.port: 0 is less than the minimum of 1")


def test_a_tcp_route_has_one_destination(tmp_path):
    message, file = error_of(tmp_path, """
        services:
          tcp-echo:
            versions: [v1, v2]
            tcp:
              - to: {v1: 80, v2: 20}
    """)
    assert message == (f"{file}:5:9: services.tcp-echo.tcp[0].to: a TCP route sends to exactly one destination in "
                       f"Istio 1.0 (no weighted TCP splits)")


@pytest.mark.parametrize("entry, where, shown", [
    ('{hosts: [b.example.com, "*.b.example.org"], resolution: DNS}', "2:30", "hosts[1]: with resolution DNS and no endpoints"),
    ("{hosts: [b.example.com], resolution: STATIC}", "2:31", "resolution: resolution STATIC needs endpoints"),
    ("{hosts: [b.example.com], endpoints: [{address: 10.1.2.3}]}", "2:31", "endpoints: endpoints need resolution"),
    ("{hosts: [b.example.com], resolution: DNS, addresses: [10.0.0.0/8]}", "2:60", "addresses[0]: CIDR addresses need"),
])
def test_service_entry_resolution_rules(tmp_path, entry, where, shown):
    message, file = error_of(tmp_path, f"""
        egress:
          b: {entry}
    """)
    assert message.startswith(f"{file}:{where}: egress.b.{shown}")


def test_a_plain_text_gateway_port_takes_no_certificates(tmp_path):
    message, file = error_of(tmp_path, """
        gateways:
          g:
            hosts: ["*"]
            servers:
              - {port: 80, tls: {httpsRedirect: true}}
              - {port: 8080, tls: {secret: istio-ingressgateway-certs}}
    """)
    assert message == (f"{file}:6:22: gateways.g.servers[1].tls: plain-text port 8080 (HTTP) cannot have TLS settings: "
                       f"use protocol HTTPS or TLS (an HTTP port may only take httpsRedirect)")
