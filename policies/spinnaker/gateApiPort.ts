import { StackValidationPolicy } from "@pulumi/policy";
import { KubeObject, at, isKind, isRecord, namespaceOf } from "../lib/kube";
import { kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";
import { SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";

/** The label the Operator and Halyard select Gate's pods by (its Service spin-gate selects cluster: spin-gate). */
const GATE_CLUSTER = "spin-gate";

/** Whether a Service in `namespace` selects Gate's pods and sends a port to `apiPort`. */
function reachesGateApiPort(o: KubeObject, namespace: string, apiPort: number): boolean {
    if (!isKind(o, "", "Service") || o.patch || namespaceOf(o) !== namespace) return false;
    const selector = at(o.body, "spec", "selector");
    if (!isRecord(selector) || selector.cluster !== GATE_CLUSTER) return false;
    const ports = at(o.body, "spec", "ports");
    return Array.isArray(ports) && ports.some((p) => isRecord(p) && Number(p.targetPort ?? p.port) === apiPort);
}

export const gateApiPort: StackValidationPolicy = {
    name: "spinnaker-gate-api-port",
    description:
        "Gate's client-certificate port (default.apiPort, where client certificates are required) must have a way in: a Service in the stack selecting Gate's pods on that port, or spec.expose (the Operator then makes spin-gate-x509). Without one, every caller uses the port that only asks for a certificate.",
    severity: "high",
    validateStack: (args, report) => {
        const objects = kubeObjects(args.resources);
        const services = objects.filter(isSpinnakerService);
        if (services.length === 0) args.notApplicable("the stack declares no SpinnakerService");
        for (const o of services) {
            const spin = new SpinnakerConfig(o);
            const apiPort = spin.gateApiPort();
            if (apiPort === undefined) continue;
            const expose = at(o.body, "spec", "expose", "type");
            if (typeof expose === "string" && expose !== "") continue;
            if (objects.some((s) => reachesGateApiPort(s, namespaceOf(o), apiPort))) continue;
            report(
                violation(
                    o,
                    spin.javaProperty("gate", "default.apiPort")?.where ?? spin.profilePath("gate", "default.apiPort"),
                    `Gate's client-certificate port ${apiPort} has no way in: no Service in namespace ${namespaceOf(o)} selects cluster=${GATE_CLUSTER} on port ${apiPort}, and spec.expose is not set, so every caller uses the port that only asks for a certificate`,
                    `declare a Service selecting cluster=${GATE_CLUSTER} with targetPort ${apiPort} (the program's spin-gate-api), or set spec.expose for the Operator's spin-gate-x509`,
                ),
                o.urn,
            );
        }
    },
};
