{#
  Checks and small lookups shared by the templates. Each check stops the render with failValue,
  which names the values path it is given and the file and line the user set that value in.
  The rules are Istio 1.0's own (pilot's validation of the same fields), so that what renders
  here is what Pilot and Galley accept.
#}

{# The names of a service's versions, comma-joined (versions are DNS labels, so no name holds a
   comma): a list of names or of {name, labels} maps, or a map of name to labels. #}
{% define "mesh-app.versionNames" %}
{% if dot.versions is mapping %}
{% for name in dot.versions %}{{ name }},{% endfor %}
{% else %}
{% for v in dot.versions or [] %}{{ v.name if v is mapping else v }},{% endfor %}
{% endif %}
{% enddefine %}

{# A host as Istio 1.0 takes it: a short name, an FQDN, or a name whose first label is a
   wildcard ("*", "*.example.com", "*-svc.example.com"); labels of at most 63 characters,
   at most 255 in all. dot: {host, path, star} (star: whether "*" alone is allowed). #}
{% define "mesh-app.checkHost" %}
{% set h = dot.host %}
{% if h is not string or h == "" or (h | length) > 255
      or not regexMatch("^(\\*|(\\*|\\*-)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$", h)
      or regexMatch("[^.]{64}", h) %}
{{ failValue(dot.path, printf("%q is not a host: give a short name (reviews), an FQDN (reviews.prod.svc.cluster.local) or a wildcard (*.example.com)", text(h))) }}
{% elif h == "*" and not dot.star %}
{{ failValue(dot.path, dot.starMessage or "\"*\" alone is not allowed here: name the hosts, or a wildcard domain such as *.example.com") }}
{% endif %}
{% enddefine %}

{# A duration as Istio 1.0 takes it (Go's syntax, e.g. 500ms, 7s, 1m30s) and accepts it: at
   least 1ms, in whole milliseconds. dot: {value, path}. #}
{% define "mesh-app.checkDuration" %}
{% set d = dot.value %}
{% set piece = "([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|ms|s|m|h)" %}
{% if d is not string or not regexMatch("^(" ~ piece ~ ")+$", d) %}
{{ failValue(dot.path, printf("%s is not a duration: write a number and a unit (ns, us, ms, s, m, h), e.g. 500ms, 7s, 1m30s", (d | toJson))) }}
{% endif %}
{% set total = namespace(ns=0) %}
{% set scale = {"ns": 1, "us": 1000, "µs": 1000, "ms": 1000000, "s": 1000000000, "m": 60000000000, "h": 3600000000000} %}
{% for part in regexFindAll("[0-9.]+[a-zµ]+", d) %}
{% set number = regexFindAll("^[0-9.]+", part)[0] %}
{% set whole = regexFindAll("^[0-9]*", number)[0] %}
{% set fraction = (number[(whole | length) + 1:] ~ "000000000")[:9] %}
{% set unit = scale[part[number | length:]] %}
{% set total.ns = total.ns + (whole | int) * unit + (fraction | int) * unit // 1000000000 %}
{% endfor %}
{% if total.ns < 1000000 %}
{{ failValue(dot.path, printf("%q is shorter than 1ms, which Istio rejects", d)) }}
{% elif total.ns % 1000000 != 0 %}
{{ failValue(dot.path, printf("%q is not a whole number of milliseconds, which Istio requires", d)) }}
{% endif %}
{% enddefine %}

{# A gateway a VirtualService or a match names: "mesh", a gateway of these values (by name or
   namespace/name), or one listed in externalGateways. dot: {name, path, known}. #}
{% define "mesh-app.checkGateway" %}
{% if dot.name not in dot.known %}
{{ failValue(dot.path, printf("unknown gateway %q: declare it under gateways, or list it in externalGateways if it exists elsewhere (known: %s)", text(dot.name), dot.known | join(", "))) }}
{% endif %}
{% enddefine %}

{# A version name a route or mirror sends to must be one the service declares. dot: {version,
   versions, service, path}. #}
{% define "mesh-app.checkVersion" %}
{% if dot.version not in dot.versions %}
{{ failValue(dot.path, printf("version %q is not declared by service %q (declared: %s)", text(dot.version), text(dot.service), (dot.versions | join(", ")) or "none")) }}
{% endif %}
{% enddefine %}

{# A percentage: 0 to 100. dot: {value, path}. #}
{% define "mesh-app.checkPercent" %}
{% if dot.value is not number or dot.value is boolean or dot.value < 0 or dot.value > 100 %}
{{ failValue(dot.path, printf("percentage %s is outside 0-100", (dot.value | toJson))) }}
{% endif %}
{% enddefine %}

{# A port's protocol, as Istio 1.0 parses it (any case). dot: {value, path}. #}
{% define "mesh-app.checkProtocol" %}
{% if dot.value is not string or (dot.value | lower) not in ["http", "https", "http2", "grpc", "tcp", "udp", "tls", "mongo", "redis"] %}
{{ failValue(dot.path, printf("protocol %s is not one Istio 1.0 knows: HTTP, HTTPS, HTTP2, GRPC, TCP, UDP, TLS, MONGO or REDIS", (dot.value | toJson))) }}
{% endif %}
{% enddefine %}

{# A port name as Istio 1.0 takes it in a ServiceEntry: a DNS label. dot: {value, path}. #}
{% define "mesh-app.checkPortName" %}
{% if dot.value is not string or (dot.value | length) > 63 or not regexMatch("^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$", dot.value) %}
{{ failValue(dot.path, printf("port name %s is not a DNS label (letters, digits and '-')", (dot.value | toJson))) }}
{% endif %}
{% enddefine %}
