import { ResourceValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, at, isKind } from "../lib/kube";
import { ISTIO_NETWORKING } from "../lib/mesh";
import { forKubeObjects, violation } from "../lib/rule";

/** Every place a DestinationRule sets client TLS: the top-level policy, per port, per subset and per subset port. */
function tlsSettings(o: KubeObject): [string, unknown][] {
    const fromPolicy = (policy: unknown, path: string): [string, unknown][] => [
        [`${path}.tls.mode`, at(policy, "tls", "mode")],
        ...asArray(at(policy, "portLevelSettings")).map((p, i): [string, unknown] => [`${path}.portLevelSettings[${i}].tls.mode`, at(p, "tls", "mode")]),
    ];
    return [
        ...fromPolicy(at(o.body, "spec", "trafficPolicy"), "spec.trafficPolicy"),
        ...asArray(at(o.body, "spec", "subsets")).flatMap((s, i) => fromPolicy(at(s, "trafficPolicy"), `spec.subsets[${i}].trafficPolicy`)),
    ];
}

export const destinationRuleTls: ResourceValidationPolicy = {
    name: "destination-rule-no-disable",
    description: "Istio DestinationRules must not turn TLS off (tls.mode DISABLE) at any level.",
    severity: "critical",
    validateResource: forKubeObjects(
        (o) => isKind(o, ISTIO_NETWORKING, "DestinationRule"),
        (o) =>
            tlsSettings(o)
                .filter(([, mode]) => mode === "DISABLE")
                .map(([path]) => violation(o, path, "is DISABLE, so the sidecar sends plaintext", "use ISTIO_MUTUAL (or remove the tls block to keep the mesh default)")),
    ),
};
