import { ResourceValidationPolicy } from "@pulumi/policy";
import { KubeObject, asRecord, at, isKind } from "../lib/kube";
import { ISTIO_SECURITY } from "../lib/mesh";
import { forKubeObjects, violation } from "../lib/rule";

function problems(o: KubeObject): string[] {
    const out: string[] = [];
    const mtls = at(o.body, "spec", "mtls");
    const mode = at(mtls, "mode");
    // A patch that leaves the mode alone does not change it; anything else must say STRICT.
    if (!(o.patch && mtls === undefined) && mode !== "STRICT") {
        out.push(violation(o, "spec.mtls.mode", `is ${mode === undefined ? "not set (UNSET inherits, PERMISSIVE by default)" : `'${String(mode)}'`}, which lets plaintext in`, "set spec.mtls.mode: STRICT"));
    }
    // Port-level overrides can reopen a port that the policy closes.
    for (const [port, setting] of Object.entries(asRecord(at(o.body, "spec", "portLevelMtls")))) {
        const m = at(setting, "mode");
        if (m !== "STRICT") out.push(violation(o, `spec.portLevelMtls.${port}.mode`, `is '${String(m ?? "UNSET")}', which lets plaintext in on port ${port}`, `set it to STRICT or remove the port-level entry`));
    }
    return out;
}

export const peerAuthenticationStrict: ResourceValidationPolicy = {
    name: "peer-authentication-strict",
    description: "Istio PeerAuthentication must require mutual TLS (STRICT), on every port.",
    severity: "critical",
    validateResource: forKubeObjects((o) => isKind(o, ISTIO_SECURITY, "PeerAuthentication"), problems),
};
