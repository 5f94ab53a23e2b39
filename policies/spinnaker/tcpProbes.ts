import { ResourceValidationPolicy } from "@pulumi/policy";
import { at } from "../lib/kube";
import { forKubeObjects, shown, violation } from "../lib/rule";
import { SpinnakerConfig, isSpinnakerService, isTrue } from "../lib/spinnaker";

export const tcpProbes: ResourceValidationPolicy = {
    name: "spinnaker-tcp-probes",
    description: "Every Spinnaker service that serves TLS must use TCP probes: the kubelet's HTTP probes present no client certificate and fail.",
    severity: "medium",
    validateResource: forKubeObjects(isSpinnakerService, (o) => {
        const spin = new SpinnakerConfig(o);
        return spin
            .judged()
            .filter((s) => spin.tls(s).on && !isTrue(at(spin.settings(s), "kubernetes", "useTcpProbe")))
            .map((s) =>
                violation(o, spin.settingsPath(s, "kubernetes.useTcpProbe"), `is ${shown(at(spin.settings(s), "kubernetes", "useTcpProbe"))}, not true, although ${s} serves TLS, so its readiness probe fails and the pod never becomes ready`, "set kubernetes.useTcpProbe: true"),
            );
    }),
};
