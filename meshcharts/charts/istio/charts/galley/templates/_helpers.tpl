{# Names shared by the Galley templates. #}
{# The chart's short name, used as the `app` label (nameOverride replaces it). #}
{% define "galley.name" %}{{ Values.nameOverride | default(Chart.Name) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# The release-qualified name, kept for charts that want "<release>-galley". #}
{% define "galley.fullname" %}{{ printf("%s-%s", Release.Name, Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}{% enddefine %}
