{# Names shared by the tracing templates. #}
{# The chart's short name (nameOverride replaces it). #}
{% define "tracing.name" %}{{ Values.nameOverride | default(Chart.Name) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# The release-qualified name, "<release>-tracing": the name of the zipkin Ingress. #}
{% define "tracing.fullname" %}{{ printf("%s-%s", Release.Name, Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# chart/release/heritage labels carried by most tracing objects. #}
{% define "tracing.release-labels" %}
chart: {{ Chart.Name }}-{{ Chart.Version | replace("+", "_") }}
release: {{ Release.Name }}
heritage: {{ Release.Service }}
{% enddefine %}
