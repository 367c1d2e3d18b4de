{{/* The name of every object: the release name when it already says keyferry. */}}
{{- define "keyferry.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object (the kustomize base's two, plus Helm's own). */}}
{{- define "keyferry.labels" -}}
app.kubernetes.io/name: keyferry
app.kubernetes.io/part-of: keyferry
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "keyferry.selectorLabels" -}}
app.kubernetes.io/name: keyferry
app.kubernetes.io/component: controller
{{- end -}}

{{/* The namespace the operator watches in namespace-scoped mode. */}}
{{- define "keyferry.watchNamespace" -}}
{{- .Values.namespaceScoped.namespace | default .Release.Namespace -}}
{{- end -}}

{{/* A manifest of manifests/ (linked in as files/manifests), parsed. */}}
{{- define "keyferry.manifest" -}}
{{- $text := .root.Files.Get (printf "files/manifests/%s" .path) -}}
{{- if not $text -}}{{- fail (printf "files/manifests/%s is missing from the chart" .path) -}}{{- end -}}
{{- $text -}}
{{- end -}}

{{/* `keyferry run`'s arguments from the values. */}}
{{- define "keyferry.args" -}}
- run
{{- if .Values.metrics.secure }}
- --metrics-secure
{{- if .Values.metrics.certSecret }}
- --metrics-cert-dir=/etc/keyferry/metrics-tls
{{- end }}
{{- end }}
- --metrics-addr=:{{ .Values.metrics.port }}
- --health-addr=:{{ .Values.health.port }}
{{- if .Values.leaderElection.enabled }}
- --leader-elect
{{- end }}
{{- if .Values.sharding.enabled }}
- --shard-index-from-pod-name
- --shard-count={{ .Values.sharding.shards }}
{{- end }}
{{- if .Values.namespaceScoped.enabled }}
- --namespace={{ include "keyferry.watchNamespace" . }}
{{- end }}
{{- with .Values.operator }}
{{- if not (kindIs "invalid" .concurrency) }}
- --concurrency={{ .concurrency }}
{{- end }}
{{- if not (kindIs "invalid" .clientQps) }}
- --client-qps={{ .clientQps }}
{{- end }}
{{- if not (kindIs "invalid" .clientBurst) }}
- --client-burst={{ .clientBurst }}
{{- end }}
{{- if not (kindIs "invalid" .providerQps) }}
- --provider-qps={{ .providerQps }}
{{- end }}
{{- if not (kindIs "invalid" .providerMaxConcurrent) }}
- --provider-max-concurrent={{ .providerMaxConcurrent }}
{{- end }}
{{- if .fetchMode }}
- --fetch-mode={{ .fetchMode }}
{{- end }}
{{- if .redisUrl }}
- --redis-url={{ .redisUrl }}
{{- end }}
{{- if .logLevel }}
- --log-level={{ .logLevel }}
{{- end }}
{{- range .extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The pod template, shared by the Deployment and the sharded StatefulSet. */}}
{{- define "keyferry.podTemplate" -}}
metadata:
  labels:
    {{- include "keyferry.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "keyferry.fullname" . }}
  automountServiceAccountToken: true
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    seccompProfile:
      type: RuntimeDefault
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range . }}
    - {{ toYaml (merge (deepCopy .) (dict "labelSelector" (dict "matchLabels" (include "keyferry.selectorLabels" $ | fromYaml)))) | nindent 6 | trim }}
    {{- end }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: keyferry
      image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      {{- with .Values.nodeFlags }}
      command:
        - node
        {{- toYaml . | nindent 8 }}
        - bin/keyferry.js
      {{- end }}
      args:
        {{- include "keyferry.args" . | nindent 8 }}
      env:
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        {{- with .Values.operator.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: metrics
          containerPort: {{ .Values.metrics.port }}
          protocol: TCP
        - name: health
          containerPort: {{ .Values.health.port }}
          protocol: TCP
      livenessProbe:
        httpGet:
          path: /healthz
          port: health
        initialDelaySeconds: 10
        periodSeconds: 20
      readinessProbe:
        httpGet:
          path: /readyz
          port: health
        initialDelaySeconds: 5
        periodSeconds: 10
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsNonRoot: true
        capabilities:
          drop:
            - ALL
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if and .Values.metrics.secure .Values.metrics.certSecret }}
        - name: metrics-tls
          mountPath: /etc/keyferry/metrics-tls
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if and .Values.metrics.secure .Values.metrics.certSecret }}
    - name: metrics-tls
      secret:
        secretName: {{ .Values.metrics.certSecret }}
    {{- end }}
{{- end -}}
