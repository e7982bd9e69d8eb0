{# Names shared by the Servicegraph templates. #}
{# The chart's short name (nameOverride replaces it). #}
{% define "servicegraph.name" %}{{ Values.nameOverride | default(Chart.Name) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# The release-qualified name, "<release>-servicegraph": the Ingress and the Service it points at. #}
{% define "servicegraph.fullname" %}{{ printf("%s-%s", Release.Name, Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}{% enddefine %}
