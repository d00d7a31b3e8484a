"""Admission a real API server runs on pods that matter to tidemark, with its wording:
the ServiceAccount admission plugin (a pod's service account must exist, 403 otherwise) and
Pod Security admission for namespaces labelled pod-security.kubernetes.io/enforce (the
`baseline` and `restricted` checks that concern a pod's securityContext, host namespaces and
volume types)."""

RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}


def service_account_error(store, ns, pod):
    """The real plugin's message when the pod's service account does not exist, else None."""
    sa = pod.get("spec", {}).get("serviceAccountName") or "default"
    if store.get(("", "serviceaccounts"), ns, sa) is not None:
        return None
    return "error looking up service account %s/%s: serviceaccount \"%s\" not found" % (ns, sa, sa)


def pod_security_error(store, ns, pod):
    """`violates PodSecurity "LEVEL:latest": ...` for the namespace's enforce level, else None."""
    labels = (store.get(("", "namespaces"), "", ns) or {}).get("metadata", {}).get("labels") or {}
    level = labels.get("pod-security.kubernetes.io/enforce", "privileged")
    if level not in ("baseline", "restricted"):
        return None
    spec = pod.get("spec", {})
    psc = spec.get("securityContext") or {}
    containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
    problems = []

    def each(pred):
        return [c["name"] for c in containers if pred(c, c.get("securityContext") or {})]

    def quoted(names):
        return ", ".join('"%s"' % n for n in names)

    host = [k for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    if host:
        problems.append("host namespaces (%s)" % ", ".join("%s=true" % k for k in host))
    privileged = each(lambda c, sc: sc.get("privileged"))
    if privileged:
        problems.append("privileged (container%s %s must not set securityContext.privileged=true)"
                        % ("s" if len(privileged) > 1 else "", quoted(privileged)))
    host_path = [v["name"] for v in spec.get("volumes") or [] if "hostPath" in v]
    if host_path:
        problems.append("hostPath volumes (volume%s %s)" % ("s" if len(host_path) > 1 else "", quoted(host_path)))
    if level == "restricted":
        bad_volumes = [v["name"] for v in spec.get("volumes") or []
                       if not any(k in RESTRICTED_VOLUMES for k in v if k != "name")]
        if bad_volumes and not host_path:
            problems.append("restricted volume types (volumes %s)" % quoted(bad_volumes))
        escalation = each(lambda c, sc: sc.get("allowPrivilegeEscalation") is not False)
        if escalation:
            problems.append("allowPrivilegeEscalation != false (container%s %s must set "
                            "securityContext.allowPrivilegeEscalation=false)"
                            % ("s" if len(escalation) > 1 else "", quoted(escalation)))
        caps = each(lambda c, sc: "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []))
        if caps:
            problems.append("unrestricted capabilities (container%s %s must set "
                            "securityContext.capabilities.drop=[\"ALL\"])" % ("s" if len(caps) > 1 else "", quoted(caps)))
        non_root = each(lambda c, sc: sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is not True)
        if non_root:
            problems.append("runAsNonRoot != true (pod or container%s %s must set securityContext.runAsNonRoot=true)"
                            % ("s" if len(non_root) > 1 else "", quoted(non_root)))
        root = each(lambda c, sc: sc.get("runAsUser", psc.get("runAsUser")) == 0)
        if root:
            problems.append("runAsUser=0 (container%s %s must not set runAsUser=0)"
                            % ("s" if len(root) > 1 else "", quoted(root)))
        seccomp = each(lambda c, sc: ((sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
                                      not in ("RuntimeDefault", "Localhost")))
        if seccomp:
            problems.append("seccompProfile (pod or container%s %s must set securityContext.seccompProfile.type to "
                            "\"RuntimeDefault\" or \"Localhost\")" % ("s" if len(seccomp) > 1 else "", quoted(seccomp)))
    if not problems:
        return None
    return 'violates PodSecurity "%s:latest": %s' % (level, ", ".join(problems))
