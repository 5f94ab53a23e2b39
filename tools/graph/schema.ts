// The trust graph's JSON, version 1 (docs/trust-graph.md is its reference).
// Every renderer (SVG, Mermaid, HTML) reads only this shape, so a held JSON
// file re-renders to the same pictures without the stack that produced it.

export const SCHEMA_VERSION = 1;

/** What protects a call, strongest first; the pictures style edges by it. */
export const PROTECTIONS = ["mtls-need", "mesh-mtls", "mtls-want", "tls", "plain"] as const;
export type Protection = (typeof PROTECTIONS)[number];

export const PROTECTION_LABEL: Readonly<Record<Protection, string>> = {
    "mtls-need": "mutual TLS, client certificate required",
    "mesh-mtls": "mesh mutual TLS only (Istio STRICT)",
    "mtls-want": "TLS, client certificate asked for but not required",
    tls: "TLS, server authenticated only",
    plain: "plain (no TLS)",
};

/** Higher is stronger: a change to a lower rank is a weakening. */
export const protectionRank = (p: Protection): number => PROTECTIONS.length - PROTECTIONS.indexOf(p);

export type NodeKind = "spinnaker-service" | "redis" | "redis-replica" | "ingress-gateway";

export interface Listener {
    readonly port: number;
    readonly protocol: string;
    /** need, want, none, or Redis's `tls-auth-clients yes|no`. */
    readonly clientAuth: string;
    readonly note: string | null;
}

export interface GraphNode {
    readonly id: string;
    readonly label: string;
    readonly kind: NodeKind;
    readonly namespace: string;
    /** java, go, deck, redis, envoy. */
    readonly runtime: string;
    /** The certificate (id in `certificates`) the workload presents; null when it presents none. */
    readonly certificate: string | null;
    readonly listeners: Listener[];
    readonly sidecar: boolean;
    readonly serviceAccount: string | null;
    readonly spiffeId: string | null;
    readonly notes: string[];
}

/** One side of a call: what it presents. */
export interface Identity {
    /** The certificate's id in `certificates`, when the stack issues it. */
    readonly certificate: string | null;
    readonly subject: string | null;
    readonly sans: string[];
    /** The workload's SPIFFE ID when a sidecar (or the gateway) carries the call. */
    readonly spiffe: string | null;
    readonly note: string | null;
}

export interface CaRef {
    /** A certificate id in `certificates`, or a bundle: public-roots, istio-mesh-ca, browser-roots, extra-<fingerprint>. */
    readonly id: string;
    /** SHA-256 of the DER, colon-separated hex; null when not known (planned run, or not managed by this stack). */
    readonly fingerprint: string | null;
}

export interface TrustedCas {
    readonly server: CaRef[];
    readonly client: CaRef[];
    /** The stores (ids in `stores`) those come from. */
    readonly serverStore: string | null;
    readonly clientStore: string | null;
}

export interface ClientAuth {
    /** The application's TLS: need, want, none (TLS without asking), tls-auth-clients yes/no (Redis), plain (no TLS). */
    readonly tls: string;
    /** The mesh's: STRICT, PERMISSIVE, or none. */
    readonly mesh: string;
}

export type MeshHop = "sidecar" | "gateway" | "none";

export interface GraphEdge {
    /** `<from>-><to>:<port>`. */
    readonly id: string;
    readonly from: string;
    readonly to: string;
    readonly port: number;
    /** https, http, rediss, redis. */
    readonly protocol: string;
    /** The URL the caller is configured with; null when it is a secret or not set. */
    readonly url: string | null;
    /** A hop between the two (the ingress gateway for browser traffic). */
    readonly via: string | null;
    /** Why the call exists: the architecture table's source, or the setting that configures it. */
    readonly source: string;
    readonly clientIdentity: Identity;
    readonly serverIdentity: Identity;
    readonly trustedCas: TrustedCas;
    readonly mesh: MeshHop;
    readonly clientAuth: ClientAuth;
    readonly protection: Protection;
    /** Whether the caller checks the server's certificate against the host it dialled; null when not established. */
    readonly hostnameVerified: boolean | null;
    readonly hostnameNote: string;
    readonly notes: string[];
}

export interface CertificateFlags {
    /** The leaf's notAfter is later than its CA's; null when either date is unknown. */
    readonly outlivesCa: boolean | null;
    /** `now` is at or past renewAt (and not past notAfter). */
    readonly inRenewalWindow: boolean | null;
    readonly expired: boolean | null;
}

export interface Certificate {
    readonly id: string;
    readonly kind: "ca" | "leaf";
    /** pulumi (the tls provider at pulumi up), cert-manager, otterize, imported. */
    readonly issuedBy: string;
    /** The issuing CA's certificate id, or a description of an issuer outside the stack (ACME). */
    readonly issuer: string;
    readonly subject: string | null;
    readonly sans: string[];
    readonly key: string | null;
    /** namespace/name of the Kubernetes Secret that holds it. */
    readonly secret: string | null;
    readonly usedBy: string[];
    readonly fingerprint: string | null;
    readonly notBefore: string | null;
    readonly notAfter: string | null;
    readonly renewAt: string | null;
    /** Why a date is null, or where the dates come from. */
    readonly datesNote: string;
    readonly validityHours: number | null;
    readonly renewBeforeHours: number | null;
    /** When and by what it is renewed. */
    readonly renewal: string;
    readonly flags: CertificateFlags;
}

export interface TrustStore {
    /** `<namespace>/<secret>:<key>`, or a name for stores outside the stack. */
    readonly id: string;
    readonly holds: CaRef[];
    readonly usedBy: string[];
    readonly note: string;
}

export interface AttachedTo {
    readonly kind: "node" | "edge" | "certificate";
    readonly id: string;
}

export interface GraphFinding {
    readonly id: string;
    readonly policy: string;
    readonly level: string;
    /** The resource's name (the last part of its URN). */
    readonly resource: string;
    readonly message: string;
    /** Empty when it concerns the stack as a whole. */
    readonly attachedTo: AttachedTo[];
}

export interface StackInfo {
    readonly name: string;
    readonly project: string;
    readonly namespace: string;
    /** planned: from the offline engine's run of the stack config; state: from an export. */
    readonly basis: "planned" | "state";
    /** The stack file or the export file's name. */
    readonly source: string;
    readonly certificateBackend: string;
    readonly clientAuth: string;
    /** The instant every "inside its renewal window" and the timeline's today are judged against (--now). */
    readonly now: string;
}

export type EdgeChange = "added" | "removed" | "weakened" | "strengthened" | "changed";

export interface EdgeDiff {
    readonly id: string;
    readonly change: EdgeChange;
    /** The edge as it is in this graph (absent for a removed edge) and as it was in the other. */
    readonly before: GraphEdge | null;
    readonly after: GraphEdge | null;
    readonly reasons: string[];
}

export interface GraphDiff {
    /** The stack or export compared against ("before"). */
    readonly against: StackInfo;
    readonly nodesAdded: string[];
    /** Whole, so a picture can still draw them. */
    readonly nodesRemoved: GraphNode[];
    readonly edges: EdgeDiff[];
}

export interface TrustGraph {
    readonly schemaVersion: typeof SCHEMA_VERSION;
    readonly stack: StackInfo;
    readonly nodes: GraphNode[];
    readonly edges: GraphEdge[];
    readonly certificates: Certificate[];
    readonly stores: TrustStore[];
    /** null when the policy pack was not run (--no-findings); findingsNote says why. */
    readonly findings: GraphFinding[] | null;
    readonly findingsNote: string;
    /** What could not be read from the state, or holds for the stack as a whole. */
    readonly notes: string[];
    /** Only with --against. */
    readonly diff?: GraphDiff;
}
