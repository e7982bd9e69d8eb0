{# Naming helpers shared by the parent chart and every child chart. #}

{# Short chart name: nameOverride when given, else the chart's own name (63 chars max, DNS-safe). #}
{% define "istio.name" %}
{{- Values.nameOverride | default(Chart.Name) | trunc(63) | trimSuffix("-") -}}
{% enddefine %}

{# "<release>-<chart name>", cut to the 63 characters a Kubernetes name may hold. #}
{% define "istio.fullname" %}
{{- printf("%s-%s", Release.Name, Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") -}}
{% enddefine %}

{# Name of the release's mesh-config ConfigMap. #}
{% define "istio.configmap.fullname" %}
{{- printf("%s-%s", Release.Name, "istio-mesh-config") | trunc(63) | trimSuffix("-") -}}
{% enddefine %}

{# Pod annotation value: sha256 of the caller's "<templates dir>/configmap.yaml" path. #}
{% define "istio.configmap.checksum" %}
{{- (Template.BasePath ~ "/configmap.yaml") | sha256sum -}}
{% enddefine %}

{# The statsd sink as host:port for proxy arguments; with the sink enabled, both must be set
   (without them the argument would print as a bare ":" and break the manifest). #}
{% define "istio.statsd.hostport" %}{{ required("global.proxy.envoyStatsd.host must be set when global.proxy.envoyStatsd.enabled is true", Values.global.proxy.envoyStatsd.host) }}:{{ required("global.proxy.envoyStatsd.port must be set when global.proxy.envoyStatsd.enabled is true", Values.global.proxy.envoyStatsd.port) }}{% enddefine %}
