// What changes between two trust graphs (this stack "after", the other
// "before"): edges added and removed, and edges present in both whose
// protection went down (weakened), up (strengthened), or changed otherwise.
//
// Edges are matched by id (caller, callee, port); an edge left unmatched on
// each side between the same two nodes is then paired as one edge whose port
// changed, so moving a service to another port is not drawn as a removal
// plus an addition.
import { CaRef, EdgeChange, EdgeDiff, GraphDiff, GraphEdge, TrustGraph, protectionRank } from "./schema";

const MESH_CA_ID = "istio-mesh-ca";

const TLS_AUTH_RANK: Record<string, number> = { need: 3, "tls-auth-clients yes": 3, want: 2, none: 1, "tls-auth-clients no": 1, plain: 0 };
const MESH_RANK: Record<string, number> = { STRICT: 2, PERMISSIVE: 1, none: 0 };

function compare(before: GraphEdge, after: GraphEdge): { change: EdgeChange | undefined; reasons: string[] } {
    const weaker: string[] = [];
    const stronger: string[] = [];
    const other: string[] = [];
    const rb = protectionRank(before.protection);
    const ra = protectionRank(after.protection);
    if (ra < rb) weaker.push(`protection ${before.protection} -> ${after.protection}`);
    if (ra > rb) stronger.push(`protection ${before.protection} -> ${after.protection}`);
    const tb = TLS_AUTH_RANK[before.clientAuth.tls] ?? 0;
    const ta = TLS_AUTH_RANK[after.clientAuth.tls] ?? 0;
    // What a server asks of callers that never present a certificate (browsers) changes nothing for this call.
    const presents = before.clientIdentity.certificate !== null || after.clientIdentity.certificate !== null;
    if (before.clientAuth.tls !== after.clientAuth.tls) (!presents ? other : ta < tb ? weaker : ta > tb ? stronger : other).push(`client auth ${before.clientAuth.tls} -> ${after.clientAuth.tls}`);
    const mb = MESH_RANK[before.clientAuth.mesh] ?? 0;
    const ma = MESH_RANK[after.clientAuth.mesh] ?? 0;
    if (before.clientAuth.mesh !== after.clientAuth.mesh) (ma < mb ? weaker : ma > mb ? stronger : other).push(`mesh mTLS ${before.clientAuth.mesh} -> ${after.clientAuth.mesh}`);
    if (before.hostnameVerified === true && after.hostnameVerified !== true) weaker.push("the host name is no longer verified");
    if (before.hostnameVerified !== true && after.hostnameVerified === true) stronger.push("the host name is now verified");
    // More trust anchors at the application layer widen who can pose as the other side. The mesh's own
    // CA arrives with the mesh layer, which the mesh comparison above already reports.
    // A CA is the same when its id is, unless both sides know its fingerprint and they differ (a planned
    // graph knows no fingerprint of a CA the offline engine generated).
    const same = (a: CaRef, b: CaRef) => a.id === b.id && (a.fingerprint === null || b.fingerprint === null || a.fingerprint === b.fingerprint);
    const grown = (was: readonly CaRef[], is: readonly CaRef[]) => is.filter((c) => c.id !== MESH_CA_ID && !was.some((w) => same(w, c))).map((c) => c.id);
    const moreTrust = grown(before.trustedCas.client, after.trustedCas.client);
    if (moreTrust.length) weaker.push(`the client trusts more CAs: ${moreTrust.join(", ")}`);
    const moreServerTrust = grown(before.trustedCas.server, after.trustedCas.server);
    if (moreServerTrust.length) weaker.push(`the server accepts callers from more CAs: ${moreServerTrust.join(", ")}`);
    if (before.port !== after.port) other.push(`port ${before.port} -> ${after.port}`);
    if (before.protocol !== after.protocol) other.push(`protocol ${before.protocol} -> ${after.protocol}`);
    if (before.mesh !== after.mesh) other.push(`hop ${before.mesh} -> ${after.mesh}`);
    if ((before.clientIdentity.certificate ?? "") !== (after.clientIdentity.certificate ?? "")) other.push(`client certificate ${before.clientIdentity.certificate ?? "none"} -> ${after.clientIdentity.certificate ?? "none"}`);
    if ((before.serverIdentity.certificate ?? "") !== (after.serverIdentity.certificate ?? "")) other.push(`server certificate ${before.serverIdentity.certificate ?? "none"} -> ${after.serverIdentity.certificate ?? "none"}`);
    const reasons = [...weaker, ...stronger, ...other];
    const change: EdgeChange | undefined = weaker.length ? "weakened" : stronger.length ? "strengthened" : other.length ? "changed" : undefined;
    return { change, reasons };
}

export function diffGraphs(after: TrustGraph, before: TrustGraph): GraphDiff {
    const beforeIds = new Set(before.edges.map((e) => e.id));
    const afterIds = new Set(after.edges.map((e) => e.id));
    const added = after.edges.filter((e) => !beforeIds.has(e.id));
    const removed = before.edges.filter((e) => !afterIds.has(e.id));
    const pairs: [GraphEdge, GraphEdge][] = after.edges.filter((e) => beforeIds.has(e.id)).map((e) => [before.edges.find((x) => x.id === e.id)!, e]);
    for (const a of [...added]) {
        const sameEnds = (e: GraphEdge) => e.from === a.from && e.to === a.to;
        const candidates = removed.filter(sameEnds);
        if (candidates.length === 1 && added.filter(sameEnds).length === 1) {
            pairs.push([candidates[0], a]);
            added.splice(added.indexOf(a), 1);
            removed.splice(removed.indexOf(candidates[0]), 1);
        }
    }
    const edges: EdgeDiff[] = [
        ...added.map((e) => ({ id: e.id, change: "added" as const, before: null, after: e, reasons: [`new call, ${e.protection}`] })),
        ...removed.map((e) => ({ id: e.id, change: "removed" as const, before: e, after: null, reasons: ["the call is gone"] })),
        ...pairs.flatMap(([b, a]) => {
            const { change, reasons } = compare(b, a);
            return change ? [{ id: a.id, change, before: b, after: a, reasons }] : [];
        }),
    ].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    const beforeNodes = new Set(before.nodes.map((n) => n.id));
    const afterNodes = new Set(after.nodes.map((n) => n.id));
    return {
        against: before.stack,
        nodesAdded: [...afterNodes].filter((n) => !beforeNodes.has(n)).sort(),
        nodesRemoved: before.nodes.filter((n) => !afterNodes.has(n.id)),
        edges,
    };
}
