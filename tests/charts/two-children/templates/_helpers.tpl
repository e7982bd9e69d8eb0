{# Shared by the parent and both children. #}
{% define "shop.fullname" %}{{ printf("%s-%s", Release.Name, Chart.Name) | trunc(63) | trimSuffix("-") }}{% enddefine %}

{% define "shop.labels" %}
app: {{ Chart.Name }}
chart: {{ Chart.Name }}-{{ Chart.Version | replace("+", "_") }}
release: {{ Release.Name }}
{%- for key, value in Values.global.labels | items %}

{{ key }}: {{ value | quote }}
{%- endfor %}
{% enddefine %}
