import { StackValidationPolicy } from "@pulumi/policy";
import { at, namespaceOf } from "../lib/kube";
import { INJECT, MeshView, kubeObjects } from "../lib/mesh";
import { shown, violation } from "../lib/rule";
import { DECK, EDGE_SERVICES, GO_SERVICES, SpinnakerConfig, isSpinnakerService, isTrue } from "../lib/spinnaker";

interface Config {
    rootNamespace: string;
    meshNamespaces: string[];
}

/** What a TLS server needs besides `enabled`, as Spinnaker reads it. */
const JAVA_REQUIRED = ["server.ssl.key-store", "server.ssl.key-store-password", "server.ssl.trust-store", "server.ssl.trust-store-password"];
const GO_REQUIRED = ["server.ssl.certFile", "server.ssl.keyFile", "server.ssl.cacertFile"];

/**
 * The documented edge exception: Deck and Gate may serve plain HTTP to their
 * own sidecar when the mesh authenticates every caller (STRICT), the pod has
 * a sidecar, and authorization admits only named principals or namespaces
 * (the ingress gateway, Spinnaker's own namespace). Why it does not hold.
 */
function edgeGaps(spin: SpinnakerConfig, service: string, mesh: MeshView): string[] {
    const ns = namespaceOf(spin.object);
    const gaps: string[] = [];
    if (!mesh.strict(ns)) gaps.push(`no STRICT PeerAuthentication covers namespace ${ns}`);
    const k8s = at(spin.settings(service), "kubernetes");
    const perService = isTrue(at(k8s, "podLabels", INJECT)) || isTrue(at(k8s, "podAnnotations", INJECT));
    if (!mesh.injectionOf(ns)?.enabled && !perService) gaps.push(`its pods get no sidecar (namespace ${ns} is not labelled istio-injection=enabled and podLabels does not set ${INJECT}: "true")`);
    gaps.push(...mesh.openings(ns, spin.podLabels(service)));
    return gaps;
}

export const serverSsl: StackValidationPolicy = {
    name: "spinnaker-server-ssl",
    description:
        "Every Spinnaker service must serve TLS with its certificate (server.ssl for Java and Go services, DECK_CERT/DECK_KEY for Deck); Deck and Gate may serve plain HTTP only behind the ingress in a STRICT mesh that admits named callers only.",
    severity: "critical",
    configSchema: {
        properties: {
            rootNamespace: { type: "string", default: "istio-system", description: "Istio's root namespace." },
            meshNamespaces: { type: "array", items: { type: "string" }, default: [], description: "Namespaces that are mesh-enabled outside this stack." },
        },
    },
    validateStack: (args, report) => {
        const { rootNamespace, meshNamespaces } = args.getConfig<Config>();
        const mesh = new MeshView(kubeObjects(args.resources), rootNamespace, meshNamespaces);
        const services = mesh.objects.filter(isSpinnakerService);
        if (services.length === 0) args.notApplicable("the stack declares no SpinnakerService");
        for (const o of services) {
            const spin = new SpinnakerConfig(o);
            for (const service of spin.judged()) {
                const tls = spin.tls(service);
                if (!tls.on) {
                    const serve = service === DECK ? "set DECK_CERT and DECK_KEY to its certificate" : "set server.ssl.enabled: true with its keystore";
                    if (!EDGE_SERVICES.includes(service)) {
                        report(violation(o, tls.where, `is ${shown(tls.value)}, so ${service} serves plain HTTP`, serve), o.urn);
                    } else {
                        const gaps = edgeGaps(spin, service, mesh);
                        if (gaps.length) report(violation(o, tls.where, `is ${shown(tls.value)}, so ${service} serves plain HTTP outside the edge exception: ${gaps.join("; ")}`, `${serve}, or close those gaps`), o.urn);
                    }
                    continue;
                }
                if (service === DECK) continue;
                const go = GO_SERVICES.includes(service);
                for (const property of go ? GO_REQUIRED : JAVA_REQUIRED) {
                    const s = go ? spin.goProperty(service, property) : spin.javaProperty(service, property);
                    if (s === undefined || s.value === "" || s.value === null) {
                        report(violation(o, spin.profilePath(service, property), `is not set, so ${service} cannot serve TLS with its certificate`, "point it at the service's Secret with an encryptedFile:/encrypted: reference"), o.urn);
                    }
                }
            }
        }
    },
};
