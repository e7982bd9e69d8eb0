{# Names shared by the sidecar injector templates. #}
{# The chart's short name, used as the `app` label (nameOverride replaces it). #}
{% define "sidecar-injector.name" %}{{ Values.nameOverride | default(Chart.Name) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# The release-qualified name, kept for charts that want "<release>-sidecarInjectorWebhook". #}
{% define "sidecar-injector.fullname" %}{{ printf("%s-%s", Release.Name, Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}{% enddefine %}
