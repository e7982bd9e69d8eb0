{# Names shared by the Citadel templates. #}
{# The chart's short name, used as the `app` label (nameOverride replaces it). #}
{% define "security.name" %}{{ Values.nameOverride | default(Chart.Name) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# The release-qualified name, kept for charts that want "<release>-security". #}
{% define "security.fullname" %}{{ printf("%s-%s", Release.Name, Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}{% enddefine %}
