{#
  Node affinity built from global.arch (architecture -> weight).
  Architectures with a weight above 0 are allowed; each of them is also a preferred term
  carrying its weight. Like the Helm original, every define below starts with a newline and
  ends without one: callers write `affinity:` and append `include(...) | indent(6)` to it.
  (`+%}` keeps the newline that follows the define tag.)
#}
{% define "nodeaffinity" +%}
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:{{ include("nodeAffinityRequiredDuringScheduling", dot) }}
    preferredDuringSchedulingIgnoredDuringExecution:{{ include("nodeAffinityPreferredDuringScheduling", dot) }}
{%- enddefine %}

{# Hard requirement: the node's architecture is one with a positive weight. #}
{% define "nodeAffinityRequiredDuringScheduling" +%}
      nodeSelectorTerms:
      - matchExpressions:
        - key: beta.kubernetes.io/arch
          operator: In
          values:
{% for arch, weight in Values.global.arch | items if weight | int > 0 %}
          - {{ arch }}
{% endfor %}
{%- enddefine %}

{# Soft preference: one weighted term per allowed architecture. #}
{% define "nodeAffinityPreferredDuringScheduling" %}
{% for arch, weight in Values.global.arch | items if weight | int > 0 %}

    - weight: {{ weight | int }}
      preference:
        matchExpressions:
        - key: beta.kubernetes.io/arch
          operator: In
          values:
          - {{ arch }}
{%- endfor %}
{% enddefine %}
