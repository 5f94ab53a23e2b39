// What the pictures draw (the scene: nodes, edges, namespaces, with their
// status in a diff), and where: ELK's layered algorithm places the nodes,
// with each namespace a compound node around its workloads, and routes the
// edges. No coordinate is decided here; they all come from ELK.
import ELK from "elkjs/lib/elk.bundled.js";
import type { ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api";
import { GraphEdge, GraphNode, Protection, TrustGraph } from "./schema";

export type SceneStatus = "same" | "added" | "removed" | "weakened" | "strengthened" | "changed";

export interface SceneNode {
    readonly id: string;
    readonly label: string;
    /** Its listeners, one line: `https :8083 need`. */
    readonly detail: string;
    readonly namespace: string;
    readonly kind: GraphNode["kind"];
    readonly status: SceneStatus;
    readonly findings: number;
    readonly mandatory: boolean;
    /** Its certificate is inside its renewal window or expired. */
    readonly renewDue: boolean;
    readonly width: number;
    readonly height: number;
}

export interface SceneEdge {
    readonly id: string;
    readonly from: string;
    readonly to: string;
    readonly protection: Protection;
    /** Carried by a sidecar or the gateway (drawn with a casing). */
    readonly meshed: boolean;
    readonly status: SceneStatus;
    readonly findings: number;
    /** A line for a tooltip. */
    readonly title: string;
}

export interface Scene {
    readonly nodes: SceneNode[];
    readonly edges: SceneEdge[];
    readonly namespaces: string[];
    readonly diff: boolean;
}

/** Character width of the pictures' 12px sans-serif, generous, so labels fit without measuring text. */
const CHAR = 7.2;
const NODE_HEIGHT = 46;

export const listenerLine = (n: GraphNode): string =>
    n.listeners.map((l) => `${l.protocol} :${l.port} ${l.clientAuth.replace("tls-auth-clients ", "auth ")}`).join(" · ");

export const edgeTitle = (e: GraphEdge): string =>
    `${e.from} -> ${e.to}:${e.port} ${e.protocol}, ${e.protection}, client auth ${e.clientAuth.tls}${e.clientAuth.mesh !== "none" ? `, mesh ${e.clientAuth.mesh}` : ""}${e.via ? `, via ${e.via}` : ""}`;

function sceneNode(g: TrustGraph, n: GraphNode, status: SceneStatus): SceneNode {
    const on = (g.findings ?? []).filter((f) => f.attachedTo.some((a) => a.kind === "node" && a.id === n.id));
    const cert = g.certificates.find((c) => c.id === n.certificate);
    const detail = listenerLine(n);
    const label = n.kind === "ingress-gateway" ? `${n.label}` : n.label;
    return {
        id: n.id,
        label,
        detail,
        namespace: n.namespace,
        kind: n.kind,
        status,
        findings: on.length,
        mandatory: on.some((f) => f.level === "mandatory"),
        renewDue: cert?.flags.inRenewalWindow === true || cert?.flags.expired === true,
        width: Math.ceil(Math.max(label.length * CHAR * 1.1, detail.length * CHAR * 0.92, 96) + 24),
        height: NODE_HEIGHT,
    };
}

function sceneEdge(g: TrustGraph, e: GraphEdge, status: SceneStatus): SceneEdge {
    return {
        id: e.id,
        from: e.from,
        to: e.to,
        protection: e.protection,
        meshed: e.clientAuth.mesh !== "none",
        status,
        findings: (g.findings ?? []).filter((f) => f.attachedTo.some((a) => a.kind === "edge" && a.id === e.id)).length,
        title: edgeTitle(e),
    };
}

export function buildScene(g: TrustGraph): Scene {
    const d = g.diff;
    const added = new Set(d?.nodesAdded ?? []);
    const change = new Map((d?.edges ?? []).map((x) => [x.id, x.change]));
    const nodes = [
        ...g.nodes.map((n) => sceneNode(g, n, added.has(n.id) ? "added" : "same")),
        // A removed workload is drawn where it was: in this stack's namespace when it was in the other stack's.
        ...(d?.nodesRemoved ?? []).map((n) => sceneNode(g, n.namespace === d!.against.namespace ? { ...n, namespace: g.stack.namespace } : n, "removed")),
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    const edges = [
        ...g.edges.map((e) => sceneEdge(g, e, (change.get(e.id) as SceneStatus | undefined) ?? "same")),
        ...(d?.edges ?? []).filter((x) => x.change === "removed").map((x) => sceneEdge(g, x.before!, "removed")),
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    const namespaces = [...new Set(nodes.map((n) => n.namespace))].sort();
    return { nodes, edges, namespaces, diff: d !== undefined };
}

export interface Point {
    readonly x: number;
    readonly y: number;
}
export interface Box {
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
}

export interface Layout {
    readonly width: number;
    readonly height: number;
    readonly nodes: ReadonlyMap<string, Box>;
    readonly namespaces: ReadonlyMap<string, Box>;
    /** Per edge, its route: start, bend points, end. */
    readonly edges: ReadonlyMap<string, Point[]>;
}

const NAMESPACE_PREFIX = "namespace:";

const LAYOUT_OPTIONS: Record<string, string> = {
    "elk.algorithm": "layered",
    "elk.direction": "RIGHT",
    "elk.hierarchyHandling": "INCLUDE_CHILDREN",
    "elk.edgeRouting": "ORTHOGONAL",
    "elk.layered.spacing.nodeNodeBetweenLayers": "70",
    "elk.spacing.nodeNode": "22",
    "elk.spacing.edgeEdge": "6",
    "elk.spacing.edgeNode": "12",
    "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
    "elk.layered.crossingMinimization.strategy": "LAYER_SWEEP",
    "elk.randomSeed": "1",
};

let elk: InstanceType<typeof ELK> | undefined;

/** Places the scene with ELK. Same scene, same coordinates: ELK is deterministic for a fixed seed and input order. */
export async function layoutScene(scene: Scene): Promise<Layout> {
    elk ??= new ELK();
    const children: ElkNode[] = scene.namespaces.map((ns) => ({
        id: `${NAMESPACE_PREFIX}${ns}`,
        layoutOptions: { "elk.padding": "[top=34,left=16,bottom=16,right=16]" },
        children: scene.nodes.filter((n) => n.namespace === ns).map((n) => ({ id: n.id, width: n.width, height: n.height })),
    }));
    const edges: ElkExtendedEdge[] = scene.edges.filter((e) => e.from !== e.to).map((e) => ({ id: e.id, sources: [e.from], targets: [e.to] }));
    const input: ElkNode = { id: "root", layoutOptions: LAYOUT_OPTIONS, children, edges };
    const root: ElkNode = await elk.layout(input);
    const nodes = new Map<string, Box>();
    const namespaces = new Map<string, Box>();
    const origin = new Map<string, Point>([["root", { x: 0, y: 0 }]]);
    const walk = (n: ElkNode, ox: number, oy: number) => {
        for (const c of n.children ?? []) {
            const x = ox + (c.x ?? 0);
            const y = oy + (c.y ?? 0);
            origin.set(c.id, { x, y });
            const box = { x, y, width: c.width ?? 0, height: c.height ?? 0 };
            if (c.id.startsWith(NAMESPACE_PREFIX)) namespaces.set(c.id.slice(NAMESPACE_PREFIX.length), box);
            else nodes.set(c.id, box);
            walk(c, x, y);
        }
    };
    walk(root, 0, 0);
    const routes = new Map<string, Point[]>();
    const collect = (n: ElkNode) => {
        for (const e of n.edges ?? []) {
            const o = origin.get(e.container ?? n.id) ?? { x: 0, y: 0 };
            const s = e.sections?.[0];
            if (!s) continue;
            routes.set(e.id, [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => ({ x: o.x + p.x, y: o.y + p.y })));
        }
        for (const c of n.children ?? []) collect(c);
    };
    collect(root);
    return { width: root.width ?? 0, height: root.height ?? 0, nodes, namespaces, edges: routes };
}
