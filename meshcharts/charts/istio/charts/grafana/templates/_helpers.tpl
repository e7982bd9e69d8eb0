{# Names shared by the Grafana templates. #}
{# The chart's short name (nameOverride replaces it). #}
{% define "grafana.name" %}{{ Values.nameOverride | default(Chart.Name) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# The release-qualified name, "<release>-grafana". #}
{% define "grafana.fullname" %}{{ printf("%s-%s", Release.Name, Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# chart/release/heritage labels carried by most Grafana objects. #}
{% define "grafana.release-labels" %}
chart: {{ Chart.Name }}-{{ Chart.Version | replace("+", "_") }}
release: {{ Release.Name }}
heritage: {{ Release.Service }}
{% enddefine %}
