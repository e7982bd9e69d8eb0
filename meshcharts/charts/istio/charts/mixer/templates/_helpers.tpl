{#- Names of the mixer chart. Both read the chart's own values, so pass `root`. -#}

{#- Short name: nameOverride if set, else the chart name; at most 63 characters (DNS label). -#}
{% define "mixer.name" -%}
{{ Values.nameOverride | default(Chart.Name) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}

{#- Release-qualified name "<release>-<name>", cut to 63 characters. -#}
{% define "mixer.fullname" -%}
{{ printf("%s-%s", Release.Name, Values.nameOverride | default(Chart.Name)) | trunc(63) | trimSuffix("-") }}
{%- enddefine %}
