{# Galley's ValidatingWebhookConfiguration, rendered into its ConfigMap (configmap.yaml); #}
{# this file only holds the define. With global.configValidation off the webhook list is empty. #}
{% define "validatingwebhookconfiguration.yaml.tpl" %}
{#
  One entry per webhook: the URL path Galley serves it on and the resources it validates,
  each rule as (API group, API versions, resources). Only create and update are checked.
#}
{% set webhooks = [
  ("pilot", [
    ("config.istio.io", ["v1alpha2"],
      ["httpapispecs", "httpapispecbindings", "quotaspecs", "quotaspecbindings"]),
    ("rbac.istio.io", ["*"], ["*"]),
    ("authentication.istio.io", ["*"], ["*"]),
    ("networking.istio.io", ["*"],
      ["destinationrules", "envoyfilters", "gateways", "serviceentries", "virtualservices"]),
  ]),
  ("mixer", [
    ("config.istio.io", ["v1alpha2"],
      ["rules", "attributemanifests",
       "circonuses", "deniers", "fluentds", "kubernetesenvs", "listcheckers", "memquotas",
       "noops", "opas", "prometheuses", "rbacs", "servicecontrols", "solarwindses",
       "stackdrivers", "statsds", "stdios",
       "apikeys", "authorizations", "checknothings", "listentries", "logentries", "metrics",
       "quotas", "reportnothings", "servicecontrolreports", "tracespans"]),
  ]),
] %}
apiVersion: admissionregistration.k8s.io/v1beta1
kind: ValidatingWebhookConfiguration
metadata:
  name: istio-galley
  namespace: {{ Release.Namespace }}
  labels:
    app: istio-galley
    chart: {{ Chart.Name }}-{{ Chart.Version | replace("+", "_") }}
    release: {{ Release.Name }}
    heritage: {{ Release.Service }}
webhooks:
{% if Values.global.configValidation %}
{% for component, rules in webhooks %}
  - name: {{ component }}.validation.istio.io
    clientConfig:
      service:
        name: istio-galley
        namespace: {{ Release.Namespace }}
        path: "/admit{{ component }}"
      caBundle: ""
    rules:
{% for group, versions, resources in rules %}
      - operations: [CREATE, UPDATE]
        apiGroups: [{{ group }}]
        apiVersions: {{ versions | toJson }}
        resources: {{ resources | toJson }}
{% endfor %}
    failurePolicy: Fail
{% endfor %}
{% endif %}
{% enddefine %}
