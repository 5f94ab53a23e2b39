import { ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, at, isKind } from "../lib/kube";
import { ISTIO_NETWORKING } from "../lib/mesh";
import { forKubeObjects, violation } from "../lib/rule";
import { isCatchAll } from "./gatewayTls";

export const virtualServiceHosts: ResourceValidationPolicy = {
    name: "virtual-service-hosts",
    description: "Istio VirtualServices must name their hosts; '*' routes every host to Spinnaker.",
    severity: "high",
    validateResource: forKubeObjects(
        (o) => isKind(o, ISTIO_NETWORKING, "VirtualService"),
        (o) =>
            asArray(at(o.body, "spec", "hosts")).flatMap((h, i) =>
                isCatchAll(h) ? [violation(o, `spec.hosts[${i}]`, `is '${String(h)}', which matches any host name`, "name the Spinnaker host (e.g. spinnaker.example.com)")] : [],
            ),
    ),
};
