{{/* Names and labels shared by every template. */}}

{{- define "baton.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "baton.selectorLabels" -}}
app.kubernetes.io/name: baton
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "baton.labels" -}}
{{ include "baton.selectorLabels" . }}
app.kubernetes.io/part-of: baton
app.kubernetes.io/version: {{ .root.Values.image.tag | default .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* The image of service .name: registry/prefix<name>:tag. */}}
{{- define "baton.image" -}}
{{- $img := .root.Values.image -}}
{{- $repo := printf "%s%s" $img.repositoryPrefix .name -}}
{{- if $img.registry }}{{ $repo = printf "%s/%s" $img.registry $repo }}{{ end -}}
{{- printf "%s:%s" $repo ($img.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{/* Env every Baton container gets (service pods and hook jobs alike). */}}
{{- define "baton.commonEnv" -}}
{{- $v := .root.Values -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ $v.kafka.bootstrapServers | quote }}
- name: BATON_TOPIC_PREFIX
  value: {{ $v.kafka.topicPrefix | quote }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.database.secretName }}
      key: {{ $v.database.secretKey }}
{{- end -}}

{{/* A NetworkPolicy egress rule per dependency: to the given peers (any, if none) on its ports. */}}
{{- define "baton.egressRule" -}}
- ports:
  {{- range .ports }}
    - protocol: TCP
      port: {{ . }}
  {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
