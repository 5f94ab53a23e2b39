import { StackValidationPolicy } from "@pulumi/policy";
import { KubeObject, asArray, at, isKind, namespaceOf } from "../lib/kube";
import { ISTIO_NETWORKING, kubeObjects } from "../lib/mesh";
import { violation } from "../lib/rule";
import { spinnakerOrRedis } from "../lib/workloads";
import { hostNamespaces } from "./destinationRuleMutual";

/** Every route destination of a VirtualService (http, tcp, tls, and mirrors), with its field path. */
function destinations(o: KubeObject): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const protocol of ["http", "tcp", "tls"]) {
        asArray(at(o.body, "spec", protocol)).forEach((route, i) => {
            asArray(at(route, "route")).forEach((r, j) => out.push([`spec.${protocol}[${i}].route[${j}].destination.host`, at(r, "destination", "host")]));
            if (at(route, "mirror") !== undefined) out.push([`spec.${protocol}[${i}].mirror.host`, at(route, "mirror", "host")]);
        });
    }
    return out;
}

export const virtualServiceDestinations: StackValidationPolicy = {
    name: "virtual-service-destinations",
    description:
        "A VirtualService in a namespace running Spinnaker or Redis, or bound to a Gateway, must route (and mirror) only to in-cluster Services: a destination outside the mesh (an external name, an IP) takes Spinnaker's traffic, and its users' tokens, out of mutual TLS.",
    severity: "critical",
    validateStack: (args, report) => {
        const objects = kubeObjects(args.resources);
        const protectedNamespaces = new Set(objects.filter((o) => spinnakerOrRedis(o) !== undefined).map(namespaceOf));
        for (const o of objects.filter((x) => isKind(x, ISTIO_NETWORKING, "VirtualService"))) {
            const gateways = asArray(at(o.body, "spec", "gateways")).filter((g) => g !== "mesh");
            if (!protectedNamespaces.has(namespaceOf(o)) && gateways.length === 0) continue;
            for (const [path, host] of destinations(o)) {
                if (typeof host !== "string") continue;
                const namespaces = hostNamespaces(host, namespaceOf(o));
                if (namespaces === "*" || namespaces.length > 0) continue;
                report(violation(o, path, `is '${host}', outside the cluster, so this traffic leaves the mesh and its mutual TLS`, "route only to in-cluster Services (<service>.<namespace>.svc.cluster.local)"), o.urn);
            }
        }
    },
};
