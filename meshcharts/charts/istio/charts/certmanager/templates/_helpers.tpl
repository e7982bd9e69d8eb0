{# Names shared by the cert-manager templates. #}
{# The chart's short name (nameOverride replaces it). #}
{% define "certmanager.name" %}{{ Values.nameOverride | default(Chart.Name) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# "<name>-<release>", unless fullnameOverride is set. #}
{% define "certmanager.fullname" %}{{ Values.fullnameOverride | default(printf("%s-%s", Values.nameOverride | default(Chart.Name), Release.Name)) | trunc(63) | trimSuffix("-") }}{% enddefine %}
{# "<chart>-<version>" as a label value. #}
{% define "certmanager.chart" %}{{ printf("%s-%s", Chart.Name, Chart.Version) | replace("+", "_") | trunc(63) | trimSuffix("-") }}{% enddefine %}
