{{- define "tidemark.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tidemark.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tidemark.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "tidemark.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "tidemark.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tidemark.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "tidemark.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tidemark.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "tidemark.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "tidemark.runnerImage" -}}
{{- default (include "tidemark.image" .) .Values.runner.image -}}
{{- end -}}

{{/* Namespaces that get runner service accounts and, when watching a list, the operator's Roles. */}}
{{- define "tidemark.runnerNamespaces" -}}
{{- if .Values.watchNamespaces -}}
{{- join "," .Values.watchNamespaces -}}
{{- else if .Values.runner.namespaces -}}
{{- join "," .Values.runner.namespaces -}}
{{- else -}}
{{- .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{/* runner.pod as the operator's --runner-pod-template JSON; the chart-wide imagePullSecrets
     come first, so runner pods pull from the same registries as the operator. */}}
{{- define "tidemark.runnerPodTemplate" -}}
{{- $pod := deepCopy .Values.runner.pod -}}
{{- $_ := set $pod "imagePullSecrets" (concat .Values.imagePullSecrets .Values.runner.pod.imagePullSecrets | default list) -}}
{{- toJson $pod -}}
{{- end -}}

{{/* Fails the install when the Prometheus operator's API is missing (what = the kind asked for). */}}
{{- define "tidemark.requireMonitoringApi" -}}
{{- if not (.root.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") -}}
{{- fail (printf "%s is set, but this cluster has no monitoring.coreos.com/v1 API (the Prometheus operator's CRDs, e.g. from kube-prometheus-stack). Install them first, or set %s=false." .value .value) -}}
{{- end -}}
{{- end -}}
