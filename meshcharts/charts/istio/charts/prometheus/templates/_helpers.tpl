{# Names shared by the Prometheus templates. #}
{# The chart's short name (nameOverride replaces it). #}
{% define "prometheus.name" %}{{ Values.nameOverride | default(Chart.Name) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# The release-qualified name, "<release>-prometheus". #}
{% define "prometheus.fullname" %}{{ printf("%s-%s", Release.Name, Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}{% enddefine %}
