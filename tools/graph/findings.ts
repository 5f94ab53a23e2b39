// The policy pack's findings, attached to what they concern. A finding names
// a resource (its URN) and, for the SpinnakerService, a field path in its
// message; both are mapped onto the graph:
// - profiles.<svc>.server.* / default.* (how <svc> serves): the node and every
//   edge into it;
// - profiles.<svc>.(ok-http-client|http|redis|services).* (how <svc> calls
//   out): the node and every edge out of it;
// - service-settings.<svc>.*: the node;
// - a resource named after a node (spin-<svc>-..., istio-destination-rule-<svc>)
//   or a certificate: that node or certificate.
// Whatever matches nothing concerns the stack as a whole (attachedTo empty).
import { urnName } from "./exportView";
import { AttachedTo, GraphFinding, TrustGraph } from "./schema";

export interface PackFinding {
    readonly policy: string;
    readonly level: string;
    readonly urn: string;
    readonly message: string;
}

const INCOMING = /profiles\.([a-z0-9]+)\.(?:server|default)\./g;
const OUTGOING = /profiles\.([a-z0-9]+)\.(?:ok-http-client|http|redis|services)\./g;
const SETTINGS = /service-settings\.([a-z0-9]+)\./g;

export function attachFindings(graph: TrustGraph, findings: readonly PackFinding[]): GraphFinding[] {
    const nodes = new Set(graph.nodes.map((n) => n.id));
    const certificates = graph.certificates.map((c) => c.id).sort((a, b) => b.length - a.length);
    const sorted = [...findings].sort((a, b) => {
        const ka = `${a.policy}\u0000${urnName(a.urn)}\u0000${a.message}`;
        const kb = `${b.policy}\u0000${urnName(b.urn)}\u0000${b.message}`;
        return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    return sorted.map((f, i) => {
        const attached: AttachedTo[] = [];
        const add = (a: AttachedTo) => {
            if (!attached.some((x) => x.kind === a.kind && x.id === a.id)) attached.push(a);
        };
        for (const m of f.message.matchAll(INCOMING)) {
            if (!nodes.has(m[1])) continue;
            add({ kind: "node", id: m[1] });
            for (const e of graph.edges.filter((x) => x.to === m[1])) add({ kind: "edge", id: e.id });
        }
        for (const m of f.message.matchAll(OUTGOING)) {
            if (!nodes.has(m[1])) continue;
            add({ kind: "node", id: m[1] });
            for (const e of graph.edges.filter((x) => x.from === m[1])) add({ kind: "edge", id: e.id });
        }
        for (const m of f.message.matchAll(SETTINGS)) if (nodes.has(m[1])) add({ kind: "node", id: m[1] });
        const resource = urnName(f.urn);
        const cert = certificates.find((c) => resource === c || resource.startsWith(`${c}-`));
        if (cert) add({ kind: "certificate", id: cert });
        const named = /^(?:spin-|istio-destination-rule-|istio-allow-ingress-spin-)([a-z0-9]+(?:-go)?)/.exec(resource)?.[1];
        if (named && nodes.has(named)) add({ kind: "node", id: named });
        return { id: `F${i + 1}`, policy: f.policy, level: f.level, resource, message: f.message, attachedTo: attached };
    });
}

/** The findings that concern one node, edge or certificate. */
export const findingsOn = (graph: TrustGraph, kind: AttachedTo["kind"], id: string): GraphFinding[] =>
    (graph.findings ?? []).filter((f) => f.attachedTo.some((a) => a.kind === kind && a.id === id));
