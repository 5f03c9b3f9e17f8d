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

{{/* Where the Kafka TLS files are mounted (see baton.kafkaVolumes). */}}
{{- define "baton.kafkaTlsDir" -}}/etc/baton/kafka-tls{{- end -}}

{{/* The Kafka cluster and how to reach it: every Baton container, the topics job too. */}}
{{- define "baton.kafkaEnv" -}}
{{- $k := .root.Values.kafka -}}
{{- $protocol := $k.securityProtocol | default "PLAINTEXT" -}}
{{- if not (has $protocol (list "PLAINTEXT" "SSL" "SASL_PLAINTEXT" "SASL_SSL")) -}}
{{- fail (printf "kafka.securityProtocol %q: use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL" $protocol) -}}
{{- end -}}
- name: KAFKA_BOOTSTRAP_SERVERS
{{- with $k.bootstrapServersSecret }}
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.bootstrapServersSecret.name" .name }}
      key: {{ required "kafka.bootstrapServersSecret.key" .key }}
{{- else }}
  value: {{ required "kafka.bootstrapServers (or kafka.bootstrapServersSecret)" $k.bootstrapServers | quote }}
{{- end }}
- name: BATON_TOPIC_PREFIX
  value: {{ $k.topicPrefix | quote }}
- name: BATON_KAFKA_SECURITY_PROTOCOL
  value: {{ $protocol }}
{{- if hasPrefix "SASL_" $protocol }}
- name: BATON_KAFKA_SASL_MECHANISM
  value: {{ required "kafka.sasl.mechanism" $k.sasl.mechanism | quote }}
- name: BATON_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.sasl.secretName" $k.sasl.secretName }}
      key: {{ $k.sasl.usernameKey }}
- name: BATON_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $k.sasl.secretName }}
      key: {{ $k.sasl.passwordKey }}
{{- end }}
{{- if hasSuffix "SSL" $protocol }}
{{- if $k.tls.caSecretName }}
- name: BATON_KAFKA_SSL_CAFILE
  value: {{ include "baton.kafkaTlsDir" . }}/ca/ca.crt
{{- end }}
{{- if $k.tls.clientSecretName }}
- name: BATON_KAFKA_SSL_CERTFILE
  value: {{ include "baton.kafkaTlsDir" . }}/client/tls.crt
- name: BATON_KAFKA_SSL_KEYFILE
  value: {{ include "baton.kafkaTlsDir" . }}/client/tls.key
{{- end }}
{{- end }}
{{- end -}}

{{/* The Secrets with Kafka's TLS files, as volumes and their mounts (none without TLS). */}}
{{- define "baton.kafkaVolumes" -}}
{{- $k := .root.Values.kafka -}}
{{- if hasSuffix "SSL" ($k.securityProtocol | default "PLAINTEXT") }}
{{- with $k.tls.caSecretName }}
- name: kafka-ca
  secret:
    secretName: {{ . }}
    items:
      - key: {{ $k.tls.caKey }}
        path: ca.crt
    defaultMode: 0444
{{- end }}
{{- with $k.tls.clientSecretName }}
- name: kafka-client
  secret:
    secretName: {{ . }}
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
    # The pod's fsGroup may read the key; nobody else.
    defaultMode: 0440
{{- end }}
{{- end }}
{{- end -}}

{{- define "baton.kafkaVolumeMounts" -}}
{{- $k := .root.Values.kafka -}}
{{- if hasSuffix "SSL" ($k.securityProtocol | default "PLAINTEXT") }}
{{- if $k.tls.caSecretName }}
- name: kafka-ca
  mountPath: {{ include "baton.kafkaTlsDir" . }}/ca
  readOnly: true
{{- end }}
{{- if $k.tls.clientSecretName }}
- name: kafka-client
  mountPath: {{ include "baton.kafkaTlsDir" . }}/client
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{/* Env every Baton service and migration job gets: Kafka and the database. */}}
{{- define "baton.commonEnv" -}}
{{ include "baton.kafkaEnv" . }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.database.secretName }}
      key: {{ .root.Values.database.secretKey }}
{{- end -}}

{{/* How long bookkeeping rows are kept. Processed event ids must outlive every
redelivery Kafka can make: the longer of the topics' and the DLQs' retention. */}}
{{- define "baton.retentionEnv" -}}
{{- $r := .Values.retention -}}
{{- $kafkaMs := max (int64 (.Values.topics.retentionMs | default 0)) (int64 (.Values.topics.dlqRetentionMs | default 0)) -}}
{{- if and $r.processedEventsDays (le (mul (int64 $r.processedEventsDays) 86400000) $kafkaMs) -}}
{{- fail (printf "retention.processedEventsDays (%d) must exceed what Kafka keeps (topics.retentionMs, topics.dlqRetentionMs: %d days), or a redelivered event would be handled twice" (int64 $r.processedEventsDays) (div $kafkaMs 86400000)) -}}
{{- end -}}
- name: BATON_RETENTION_DAYS
  value: {{ $r.days | int64 | quote }}
- name: BATON_PROCESSED_EVENTS_RETENTION_DAYS
  value: {{ $r.processedEventsDays | int64 | quote }}
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

{{/* Where the services send OTLP: otel.endpoint, else the chart's own collector, else nowhere. */}}
{{- define "baton.otlpEndpoint" -}}
{{- if .Values.otel.endpoint -}}
{{- .Values.otel.endpoint -}}
{{- else if .Values.otelCollector.enabled -}}
{{- printf "http://%s:4318" (include "baton.fullname" (dict "root" . "name" "otel-collector")) -}}
{{- end -}}
{{- end -}}
