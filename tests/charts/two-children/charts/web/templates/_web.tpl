{% define "web.image" %}{{ Values.global.registry }}/{{ Values.image }}:{{ Chart.Version }}{% enddefine %}
