// The trust graph of one stack, read from what the program rendered: the
// SpinnakerService's settings (baseUrls, server.ssl, ok-http-client, Redis
// URLs), the Redis objects, the Istio objects and the certificates. Which
// services call which comes from calls.ts; everything about a call (port,
// scheme, who presents what, who trusts what) comes from the state.
import { SERVICE_CATALOG, ServiceName, isServiceName } from "../../lib/catalog/serviceCatalog";
import { KubeObject, asArray, asRecord, at, isKind, isRecord, stringMap } from "../../policies/lib/kube";
import { MeshView } from "../../policies/lib/mesh";
import { GO_SERVICES, SpinnakerConfig, isSpinnakerService, isTrue } from "../../policies/lib/spinnaker";
import { DECK_TO_GATE, SPINNAKER_CALLS } from "./calls";
import { CertificateSet, isoSeconds, pemCertificates, fingerprintOf, readCertificates } from "./certificates";
import { ExportView, REDACTED } from "./exportView";
import { CaRef, Certificate, ClientAuth, GraphEdge, GraphNode, Identity, Listener, Protection, SCHEMA_VERSION, TrustGraph, TrustStore, TrustedCas } from "./schema";

export interface BuildOptions {
    readonly now: Date;
    readonly basis: "planned" | "state";
    /** The stack file or the export's file name, for people. */
    readonly source: string;
    /** --stack only: CA certificates (PEM) the stack config adds to the JVM trust store (jvmExtraCaCertsPem, redisExternalCaCertPem). */
    readonly extraTrustPem?: readonly string[];
}

const JVM_TRUSTSTORE_SECRET = "spinnaker-mtls-jvm-truststore";
const MESH_CA: CaRef = { id: "istio-mesh-ca", fingerprint: null };
const PUBLIC_ROOTS: CaRef = { id: "public-roots", fingerprint: null };
const BROWSER_ROOTS: CaRef = { id: "browser-roots", fingerprint: null };
const MESH_STORE = "istio:workload-trust-bundle";
const BROWSER_STORE = "browser";

const KORK_REDIS_HOSTNAME =
    "kork's Jedis client sets only ssl=true and passes no hostname verifier, so Jedis checks no host name; the JVM trust store also holds the public roots, so any publicly issued certificate for any name passes as Redis (issue 23, item 7). Mitigations: the mesh, the Redis NetworkPolicy, name constraints on the CA";
const HTTP_HOSTNAME = "not established by this project: the caller's HTTP client decides (kork's OkHttp client for the Java services)";
const GO_HOSTNAME = "not established by this project: Armory's Go client code decides, and terraformer's source is not public";
const PLAIN_HOSTNAME = "plain HTTP: no certificate at the application; the sidecars authenticate each other's SPIFFE identity";
const BROWSER_HOSTNAME = "browsers check the host name against the certificate";
const REPLICATION_HOSTNAME = "not established by this project: redis-server's replication client decides";

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" && v !== REDACTED ? v : undefined);

/** `encryptedFile:k8s!n:<secret>!k:<key>` (or `encrypted:`) to its Secret and key. */
export function secretRef(v: unknown): { secret: string; key: string } | undefined {
    const m = typeof v === "string" ? /^encrypted(?:File)?:k8s!n:([^!]+)!k:(.+)$/.exec(v) : null;
    return m ? { secret: m[1], key: m[2] } : undefined;
}

/** `/opt/<svc>/secrets/<secret>/<key>`, where the Operator mounts a referenced Secret, to that Secret and key. */
function mountedSecret(path: unknown): { secret: string; key: string } | undefined {
    const m = typeof path === "string" ? /^\/opt\/[^/]+\/secrets\/([^/]+)\/(.+)$/.exec(path) : null;
    return m ? { secret: m[1], key: m[2] } : undefined;
}

function urlParts(url: string | undefined): { protocol: string; host: string; port: number } | undefined {
    if (!url) return undefined;
    try {
        const u = new URL(url);
        const protocol = u.protocol.replace(/:$/, "");
        const fallback = protocol === "https" ? 443 : protocol === "http" ? 80 : 6379;
        return { protocol, host: u.hostname, port: u.port ? Number(u.port) : fallback };
    } catch {
        return undefined;
    }
}

const sortById = <T extends { id: string }>(xs: T[]): T[] => xs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const uniqueCas = (xs: readonly CaRef[]): CaRef[] => {
    const seen = new Set<string>();
    return xs.filter((x) => (seen.has(x.id) ? false : (seen.add(x.id), true)));
};

const noIdentity = (note: string): Identity => ({ certificate: null, subject: null, sans: [], spiffe: null, note });

export function protectionOf(protocol: string, tlsAuth: string, clientPresents: boolean, meshMode: string): Protection {
    const tls = protocol === "https" || protocol === "rediss";
    if (tls && clientPresents && (tlsAuth === "need" || tlsAuth === "tls-auth-clients yes")) return "mtls-need";
    if (meshMode === "STRICT") return "mesh-mtls";
    if (tls && clientPresents && tlsAuth === "want") return "mtls-want";
    return tls ? "tls" : "plain";
}

interface Workload {
    readonly node: GraphNode;
    /** The certificate presented as a client (may differ from the served one); null for none. */
    readonly clientCertificate: string | null;
    /** The store its outgoing calls trust, and the one its listener trusts callers with. */
    readonly clientStore: string | null;
    readonly serverStore: string | null;
}

class Builder {
    private readonly stores = new Map<string, { holds: CaRef[]; usedBy: Set<string>; note: string }>();
    private readonly certificateUsers = new Map<string, Set<string>>();
    readonly workloads = new Map<string, Workload>();
    readonly edges: GraphEdge[] = [];
    readonly namespace: string;
    readonly spinnaker: SpinnakerConfig;
    readonly mesh: MeshView;
    readonly trustDomain: string;
    readonly certs: CertificateSet;
    readonly notes: string[] = [];
    private readonly extraCas: CaRef[];

    constructor(
        readonly view: ExportView,
        readonly opts: BuildOptions,
    ) {
        this.namespace = str(view.outputs.namespace) ?? "spinnaker";
        const spinnakerObject = view.objects.find(isSpinnakerService);
        this.spinnaker = new SpinnakerConfig(
            spinnakerObject ?? { group: "spinnaker.io", kind: "SpinnakerService", patch: true, name: "spinnaker", namespace: this.namespace, labels: {}, annotations: {}, body: {}, ref: "SpinnakerService (absent)" },
        );
        if (!spinnakerObject || !isRecord(spinnakerObject.body.spec)) this.notes.push("the SpinnakerService's settings are not readable in this state: calls are drawn without their TLS settings");
        this.mesh = new MeshView(view.objects, "istio-system");
        const principal = view.objects
            .filter((o) => isKind(o, "security.istio.io", "AuthorizationPolicy"))
            .flatMap((o) => asArray(at(o.body, "spec", "rules")).flatMap((r) => asArray(asRecord(r).from).flatMap((f) => asArray(at(f, "source", "principals")))))
            .find((p): p is string => typeof p === "string" && p.includes("/ns/"));
        this.trustDomain = principal ? principal.slice(0, principal.indexOf("/ns/")) : "cluster.local";
        this.certs = readCertificates(view, { now: opts.now, showGeneratedFingerprints: opts.basis === "state", namespace: this.namespace });
        this.extraCas = (opts.extraTrustPem ?? []).flatMap((pem) => pemCertificates(pem)).map((c) => {
            const fp = fingerprintOf(c);
            return { id: `extra-${fp.replace(/:/g, "").slice(0, 16).toLowerCase()}`, fingerprint: fp };
        });
    }

    // --- trust stores ---------------------------------------------------------

    store(ns: string, ref: { secret: string; key: string } | undefined, user: string): string | null {
        if (!ref) return null;
        const id = `${ns}/${ref.secret}:${ref.key}`;
        if (!this.stores.has(id)) {
            const jvm = ref.secret === JVM_TRUSTSTORE_SECRET;
            const holds = jvm ? [...this.certs.spinnakerCas, ...this.extraCas, PUBLIC_ROOTS] : [...this.certs.spinnakerCas];
            const note = jvm
                ? `the JVM-wide trust store: the CA certificate(s) of the stack output caCertificatePem, ${
                      this.opts.basis === "planned" ? (this.extraCas.length ? "the CAs of jvmExtraCaCertsPem/redisExternalCaCertPem, " : "") : "any CAs of jvmExtraCaCertsPem/redisExternalCaCertPem (not visible in a state), "
                  }and the public roots bundled with the Node.js that ran the program`
                : "the CA certificate(s) of the stack output caCertificatePem, which the program writes into every ca.crt and truststore.p12 (the Secret itself is not read: it is secret)";
            this.stores.set(id, { holds, usedBy: new Set(), note });
        }
        this.stores.get(id)!.usedBy.add(user);
        return id;
    }

    sharedStore(id: string, holds: CaRef[], user: string, note: string): string {
        if (!this.stores.has(id)) this.stores.set(id, { holds, usedBy: new Set(), note });
        this.stores.get(id)!.usedBy.add(user);
        return id;
    }

    holdings(storeId: string | null): CaRef[] {
        return storeId ? [...(this.stores.get(storeId)?.holds ?? [])] : [];
    }

    certificateOf(ns: string, secret: string | undefined): string | null {
        return secret ? (this.certs.bySecret.get(`${ns}/${secret}`) ?? null) : null;
    }

    useCertificate(cert: string | null, user: string): void {
        if (!cert) return;
        if (!this.certificateUsers.has(cert)) this.certificateUsers.set(cert, new Set());
        this.certificateUsers.get(cert)!.add(user);
    }

    certificate(id: string | null): Certificate | undefined {
        return id ? this.certs.certificates.find((c) => c.id === id) : undefined;
    }

    identity(certId: string | null, spiffe: string | null, note: string | null): Identity {
        const c = this.certificate(certId);
        return { certificate: c ? c.id : null, subject: c?.subject ?? null, sans: c ? [...c.sans] : [], spiffe, note };
    }

    // --- the mesh ---------------------------------------------------------------

    sidecar(ns: string, podLabels: Record<string, string>): boolean {
        const label = podLabels["sidecar.istio.io/inject"];
        if (label !== undefined) return label === "true";
        return this.mesh.injectionOf(ns)?.enabled === true;
    }

    spiffe(ns: string, sa: string): string {
        return `spiffe://${this.trustDomain}/ns/${ns}/sa/${sa}`;
    }

    meshMode(ns: string, sidecarOnBoth: boolean): string {
        if (!sidecarOnBoth) return "none";
        return this.mesh.strict(ns) ? "STRICT" : "PERMISSIVE";
    }

    // --- finishing ------------------------------------------------------------

    graph(): TrustGraph {
        const nodes = sortById([...this.workloads.values()].map((w) => w.node));
        const certificates = this.certs.certificates.map((c) => ({ ...c, usedBy: [...(this.certificateUsers.get(c.id) ?? [])].sort() }));
        const stores: TrustStore[] = sortById([...this.stores.entries()].map(([id, s]) => ({ id, holds: s.holds, usedBy: [...s.usedBy].sort(), note: s.note })));
        const edges = this.edges.sort((a, b) => (a.from !== b.from ? (a.from < b.from ? -1 : 1) : a.to !== b.to ? (a.to < b.to ? -1 : 1) : a.port - b.port));
        return {
            schemaVersion: SCHEMA_VERSION,
            stack: {
                name: this.view.stack,
                project: this.view.project,
                namespace: this.namespace,
                basis: this.opts.basis,
                source: this.opts.source,
                certificateBackend: str(this.view.outputs.certificateBackend) ?? "pulumi",
                clientAuth: str(this.view.outputs.clientAuth) ?? "unknown",
                now: isoSeconds(this.opts.now),
            },
            nodes,
            edges,
            certificates,
            stores,
            findings: null,
            findingsNote: "",
            notes: [...this.notes],
        };
    }
}

// --- nodes ------------------------------------------------------------------

function enabledServices(view: ExportView): ServiceName[] {
    const fromOutputs = [...Object.keys(asRecord(view.outputs.redisClients)), ...Object.keys(asRecord(view.outputs.serviceCertificates))];
    return [...new Set(fromOutputs)].filter(isServiceName).sort();
}

function serviceWorkload(b: Builder, svc: ServiceName): Workload {
    const sc = b.spinnaker;
    const ns = b.namespace;
    const runtime = SERVICE_CATALOG[svc].runtime;
    const go = GO_SERVICES.includes(svc);
    const baseUrl = urlParts(str(sc.settings(svc).baseUrl));
    const port = baseUrl?.port ?? SERVICE_CATALOG[svc].port;
    const listeners: Listener[] = [];
    let served: string | undefined;
    let clientCertSecret: string | undefined;
    let serverStore: string | null = null;
    let clientStore: string | null = null;
    if (runtime === "deck") {
        const tls = sc.deckTls();
        served = mountedSecret(sc.env("deck").DECK_CERT)?.secret;
        listeners.push({ port, protocol: tls.on ? "https" : "http", clientAuth: "none", note: tls.on ? "Deck's Apache serves HTTPS and asks for no client certificate" : null });
    } else {
        const prop = (p: string) => (go ? sc.goProperty(svc, p) : sc.javaProperty(svc, p))?.value;
        const tlsOn = isTrue(prop("server.ssl.enabled"));
        const clientAuth = tlsOn ? String(prop(go ? "server.ssl.clientAuth" : "server.ssl.client-auth") ?? "none").toLowerCase() : "none";
        listeners.push({ port, protocol: tlsOn ? "https" : "http", clientAuth, note: null });
        served = (go ? secretRef(prop("server.ssl.certFile")) : secretRef(prop("server.ssl.key-store")))?.secret;
        clientCertSecret = (go ? secretRef(prop("http.clientCertFile")) : secretRef(prop("ok-http-client.key-store")))?.secret;
        if (tlsOn) serverStore = b.store(ns, go ? secretRef(prop("server.ssl.cacertFile")) : secretRef(prop("server.ssl.trust-store")), svc);
        clientStore = b.store(ns, go ? secretRef(prop("http.cacertFile")) : secretRef(prop("ok-http-client.trust-store")), svc);
        const apiPort = svc === "gate" ? sc.gateApiPort() : undefined;
        if (apiPort && tlsOn) {
            listeners.push({ port: apiPort, protocol: "https", clientAuth: "need", note: "default.apiPort: Gate's second listener, which requires a client certificate, for API callers that have one" });
        }
    }
    const outputSecret = str(asRecord(asRecord(b.view.outputs.serviceCertificates)[svc]).secretName);
    const certificate = b.certificateOf(ns, served ?? clientCertSecret ?? outputSecret);
    const clientCertificate = clientCertSecret ? b.certificateOf(ns, clientCertSecret) : null;
    const sidecar = b.sidecar(ns, sc.podLabels(svc));
    const sa = str(at(sc.settings(svc), "kubernetes", "serviceAccountName")) ?? "default";
    b.useCertificate(certificate, svc);
    b.useCertificate(clientCertificate, svc);
    return {
        node: {
            id: svc,
            label: svc,
            kind: "spinnaker-service",
            namespace: ns,
            runtime,
            certificate,
            listeners: listeners.sort((x, y) => x.port - y.port),
            sidecar,
            serviceAccount: sa,
            spiffeId: sidecar ? b.spiffe(ns, sa) : null,
            notes: !certificate
                ? ["presents no certificate of this stack"]
                : !served && !clientCertSecret
                  ? [`the stack issues ${outputSecret}, but no setting of ${svc} reads it`]
                  : [],
        },
        clientCertificate,
        clientStore,
        serverStore,
    };
}

interface RedisInstance {
    readonly id: string;
    readonly instance: string;
    readonly namespace: string;
    readonly authClients: string;
    readonly certificate: string | null;
    readonly caStore: string | null;
    readonly caRef: { secret: string; key: string } | undefined;
    readonly replicas: number;
    readonly sidecar: boolean;
    readonly serviceAccount: string;
}

function redisInstances(b: Builder): RedisInstance[] {
    const sets = b.view.objects.filter((o) => isKind(o, "apps", "StatefulSet") && stringMap(at(o.body, "spec", "template", "metadata", "labels"))["app.kubernetes.io/name"] === "redis");
    return sets.map((o) => {
        const labels = stringMap(at(o.body, "spec", "template", "metadata", "labels"));
        const instance = labels["app.kubernetes.io/instance"] ?? o.name;
        const ns = o.namespace ?? b.namespace;
        const conf = b.view.objects.find((c) => isKind(c, "", "ConfigMap") && c.namespace === o.namespace && c.name === `${instance}-config`);
        const text = String(stringMap(at(conf?.body, "data"))["redis.conf"] ?? "");
        const auth = /^tls-auth-clients\s+(\S+)/m.exec(text)?.[1] ?? (text.includes("tls-port") ? "yes" : "unknown");
        // Each Secret a volume mounts, and the keys it takes when not all: a projected volume may take
        // tls.crt and tls.key from one Secret and ca.crt from another (the program's trust bundle beside
        // cert-manager's certificate).
        const mounted = asArray(at(o.body, "spec", "template", "spec", "volumes")).flatMap((v): { secret: string; keys?: string[] }[] => {
            const whole = str(at(v, "secret", "secretName"));
            if (whole) return [{ secret: whole }];
            return asArray(at(v, "projected", "sources")).flatMap((src) => {
                const secret = str(at(src, "secret", "name"));
                const keys = asArray(at(src, "secret", "items")).map((i) => str(at(i, "key"))).filter((k): k is string => !!k);
                return secret ? [{ secret, ...(keys.length > 0 ? { keys } : {}) }] : [];
            });
        });
        const tlsSecret = mounted.map((m) => m.secret).find((s) => b.certificateOf(ns, s) !== null);
        const sa = str(at(o.body, "spec", "template", "spec", "serviceAccountName")) ?? "default";
        const id = instance.replace(/^spin-/, "");
        const caSecret = tlsSecret ? mounted.find((m) => !m.keys || m.keys.includes("ca.crt"))?.secret : undefined;
        const caRef = caSecret ? { secret: caSecret, key: "ca.crt" } : undefined;
        return {
            id,
            instance,
            namespace: ns,
            authClients: `tls-auth-clients ${auth}`,
            certificate: b.certificateOf(ns, tlsSecret),
            caStore: b.store(ns, caRef, id),
            caRef,
            replicas: Math.max(0, Number(at(o.body, "spec", "replicas") ?? 1) - 1),
            sidecar: b.sidecar(ns, labels),
            serviceAccount: sa,
        };
    });
}

function redisWorkloads(b: Builder, r: RedisInstance): Workload[] {
    const listener: Listener = { port: 6379, protocol: "rediss", clientAuth: r.authClients, note: "TLS only: no plaintext port" };
    const node = (id: string, label: string, kind: GraphNode["kind"], notes: string[]): Workload => {
        b.useCertificate(r.certificate, id);
        b.store(r.namespace, r.caRef, id);
        return {
            node: { id, label, kind, namespace: r.namespace, runtime: "redis", certificate: r.certificate, listeners: [listener], sidecar: r.sidecar, serviceAccount: r.serviceAccount, spiffeId: r.sidecar ? b.spiffe(r.namespace, r.serviceAccount) : null, notes },
            clientCertificate: r.certificate,
            clientStore: r.caStore,
            serverStore: r.caStore,
        };
    };
    const out = [node(r.id, r.instance, "redis", r.replicas ? [`primary (pod ${r.instance}-0)`] : [])];
    for (let i = 1; i <= r.replicas; i++) out.push(node(`${r.id}-${i}`, `${r.instance}-${i}`, "redis-replica", [`read replica of ${r.instance}-0 (tls-replication yes)`]));
    return out;
}

interface Gateway {
    readonly node: GraphNode;
    readonly object: KubeObject;
    readonly hosts: string[];
}

function gateways(b: Builder): Gateway[] {
    const gws = b.view.objects.filter((o) => isKind(o, "networking.istio.io", "Gateway"));
    const principals = b.view.objects
        .filter((o) => isKind(o, "security.istio.io", "AuthorizationPolicy"))
        .flatMap((o) => asArray(at(o.body, "spec", "rules")).flatMap((r) => asArray(asRecord(r).from).flatMap((f) => asArray(at(f, "source", "principals")))))
        .filter((p): p is string => typeof p === "string");
    return gws.map((o, i) => {
        const ns = o.namespace ?? "default";
        const servers = asArray(at(o.body, "spec", "servers")).map(asRecord);
        const credential = servers.map((s) => str(at(s, "tls", "credentialName"))).find(Boolean);
        const certificate = b.certificateOf(ns, credential);
        const principal = principals.find((p) => p.includes(`/ns/${ns}/sa/`));
        const sa = principal ? principal.slice(principal.lastIndexOf("/sa/") + 4) : null;
        const id = gws.length === 1 ? "ingress-gateway" : `ingress-gateway-${i + 1}`;
        const selector = Object.entries(stringMap(at(o.body, "spec", "selector"))).map(([k, v]) => `${k}=${v}`).join(",");
        b.useCertificate(certificate, id);
        const listeners: Listener[] = servers.map((s) => {
            const mode = str(at(s, "tls", "mode"));
            const redirect = at(s, "tls", "httpsRedirect") === true;
            return {
                port: Number(at(s, "port", "number")),
                protocol: String(at(s, "port", "protocol") ?? "").toLowerCase(),
                clientAuth: mode === "MUTUAL" || mode === "ISTIO_MUTUAL" ? "need" : "none",
                note: redirect ? "redirects to HTTPS" : mode ? `Gateway tls.mode ${mode}` : null,
            };
        });
        return {
            object: o,
            hosts: servers.flatMap((s) => asArray(s.hosts).map(String)),
            node: {
                id,
                label: "ingress gateway",
                kind: "ingress-gateway",
                namespace: ns,
                runtime: "envoy",
                certificate,
                listeners: listeners.sort((x, y) => x.port - y.port),
                sidecar: true,
                serviceAccount: sa,
                spiffeId: sa ? b.spiffe(ns, sa) : null,
                notes: [`Istio Gateway ${ns}/${o.name}${selector ? `, pods ${selector}` : ""}`],
            },
        };
    });
}

// --- edges ------------------------------------------------------------------

function caSide(b: Builder, store: string | null, mesh: boolean): CaRef[] {
    return uniqueCas([...b.holdings(store), ...(mesh ? [MESH_CA] : [])]);
}

function serviceCall(b: Builder, from: Workload, to: Workload, source: string): GraphEdge {
    const callee = to.node.id as ServiceName;
    const url = str(b.spinnaker.settings(callee).baseUrl);
    const parts = urlParts(url);
    const listener = to.node.listeners[0];
    const port = parts?.port ?? listener.port;
    const protocol = parts?.protocol ?? listener.protocol;
    const tls = protocol === "https";
    const meshOnBoth = from.node.sidecar && to.node.sidecar;
    const meshMode = b.meshMode(to.node.namespace, meshOnBoth);
    const presents = tls && from.clientCertificate !== null;
    const tlsAuth = tls ? listener.clientAuth : "plain";
    const notes: string[] = [];
    if (!url) notes.push(`no baseUrl for ${callee} in this stack: the caller uses the Operator's or Halyard's default address`);
    if (tls && listener.protocol !== "https") notes.push(`${callee} serves ${listener.protocol} on ${listener.port}, but the caller is configured for https`);
    if (tls && tlsAuth === "need" && !presents) notes.push("the caller presents no client certificate: this call is refused");
    const serverCert = b.certificate(to.node.certificate);
    if (tls && parts && serverCert && serverCert.sans.length && !serverCert.sans.includes(parts.host)) notes.push(`the host ${parts.host} is not among ${callee}'s certificate SANs`);
    const go = GO_SERVICES.includes(from.node.id);
    const clientAuth: ClientAuth = { tls: tlsAuth, mesh: meshMode };
    return {
        id: `${from.node.id}->${callee}:${port}`,
        from: from.node.id,
        to: callee,
        port,
        protocol,
        url: url ?? null,
        via: null,
        source,
        clientIdentity: b.identity(presents ? from.clientCertificate : null, meshOnBoth ? from.node.spiffeId : null, presents || meshOnBoth ? null : tls ? "presents no client certificate" : "plain HTTP: no certificate"),
        serverIdentity: b.identity(tls ? to.node.certificate : null, meshOnBoth ? to.node.spiffeId : null, tls || meshOnBoth ? null : "plain HTTP: no certificate"),
        trustedCas: trusted(b, tls && tlsAuth !== "none" ? to.serverStore : null, tls ? from.clientStore : null, meshOnBoth, [from.node.id, callee]),
        mesh: meshOnBoth ? "sidecar" : "none",
        clientAuth,
        protection: protectionOf(protocol, tlsAuth, presents, meshMode),
        hostnameVerified: null,
        hostnameNote: !tls ? (meshOnBoth ? PLAIN_HOSTNAME : "plain HTTP: no certificate to check") : go ? GO_HOSTNAME : HTTP_HOSTNAME,
        notes,
    };
}

/** Both sides' trust: their stores at the application layer, and under the mesh the sidecars' trust bundle as well. */
function trusted(b: Builder, serverStore: string | null, clientStore: string | null, mesh: boolean, users: readonly string[]): TrustedCas {
    if (mesh) for (const u of users) b.sharedStore(MESH_STORE, [MESH_CA], u, "the trust bundle istiod gives every sidecar and gateway (its root CA, not managed by this stack)");
    return {
        server: caSide(b, serverStore, mesh),
        client: caSide(b, clientStore, mesh),
        serverStore: serverStore ?? (mesh ? MESH_STORE : null),
        clientStore: clientStore ?? (mesh ? MESH_STORE : null),
    };
}

/** Deck's code runs in the browser: its calls to Gate leave from there, to the URL halconfig gives it. */
function browserToGate(b: Builder, deck: Workload, gate: Workload, gws: readonly Gateway[]): GraphEdge {
    const override = str(at(b.spinnaker.config, "config", "security", "apiSecurity", "overrideBaseUrl"));
    const gateBaseUrl = str(b.spinnaker.settings("gate").baseUrl);
    const notes: string[] = [];
    // Halyard's fallback when nothing says where Gate is (ServiceSettings.buildBaseUri).
    const url = override ?? gateBaseUrl ?? "http://localhost:8084";
    if (!override) {
        notes.push(
            gateBaseUrl
                ? "no apiSecurity.overrideBaseUrl: Deck's browser code is handed Gate's in-cluster baseUrl, which resolves nowhere in a browser"
                : "no gateUrl or apiSecurity.overrideBaseUrl in this stack: Halyard falls back to http://localhost:8084, which a browser cannot reach while Gate serves HTTPS (issue 23, item 1)",
        );
    }
    const parts = urlParts(url)!;
    const gw = gws.find((g) => g.hosts.includes(parts.host));
    const tls = parts.protocol === "https";
    let tlsAuth = "plain";
    let serverCert: string | null = null;
    let serverStore: string | null = null;
    if (gw) {
        const l = gw.node.listeners.find((x) => x.port === parts.port);
        tlsAuth = tls ? (l?.clientAuth ?? "none") : "plain";
        serverCert = tls ? gw.node.certificate : null;
        notes.push(`through the ingress gateway (${gw.object.namespace}/${gw.object.name}), which routes to gate`);
    } else if (tls) {
        const l = gate.node.listeners.find((x) => x.port === parts.port) ?? gate.node.listeners[0];
        tlsAuth = l.clientAuth;
        serverCert = gate.node.certificate;
        serverStore = tlsAuth !== "none" ? gate.serverStore : null;
        if (tlsAuth === "want") notes.push("Gate asks for a client certificate and does without: browsers have none, so Gate's own user authentication is what protects this port");
    }
    const browserStore = tls ? b.sharedStore(BROWSER_STORE, [BROWSER_ROOTS], deck.node.id, "the browser's own trust store (its public roots, plus whatever the user or their company installed)") : null;
    const servedBy = b.certificate(serverCert);
    if (servedBy && !servedBy.sans.includes(parts.host)) notes.push(`the host ${parts.host} is not among the served certificate's SANs`);
    if (servedBy && servedBy.issuer && !servedBy.issuer.startsWith("ACME")) notes.push(`the certificate is issued by ${servedBy.issuer}: browsers must be given that CA`);
    return {
        id: `deck->gate:${parts.port}`,
        from: deck.node.id,
        to: gate.node.id,
        port: parts.port,
        protocol: parts.protocol,
        url,
        via: gw ? gw.node.id : null,
        source: DECK_TO_GATE.source,
        clientIdentity: noIdentity("the browser running Deck's code: browsers carry no client certificate"),
        serverIdentity: b.identity(serverCert, null, tls ? null : "plain HTTP: no certificate"),
        trustedCas: { server: b.holdings(serverStore), client: tls ? [BROWSER_ROOTS] : [], serverStore, clientStore: browserStore },
        mesh: gw ? "gateway" : "none",
        clientAuth: { tls: tlsAuth, mesh: "none" },
        protection: protectionOf(parts.protocol, tlsAuth, false, "none"),
        hostnameVerified: tls ? true : null,
        hostnameNote: tls ? BROWSER_HOSTNAME : "plain HTTP: no certificate to check",
        notes,
    };
}

function gatewayRoutes(b: Builder, gws: readonly Gateway[]): GraphEdge[] {
    const out: GraphEdge[] = [];
    for (const vs of b.view.objects.filter((o) => isKind(o, "networking.istio.io", "VirtualService"))) {
        const gwRefs = asArray(at(vs.body, "spec", "gateways")).map(String);
        const gw = gws.find((g) => gwRefs.some((r) => r === `${g.object.namespace}/${g.object.name}` || r === g.object.name));
        if (!gw) continue;
        for (const route of asArray(at(vs.body, "spec", "http"))) {
            for (const dest of asArray(asRecord(route).route)) {
                const host = String(at(dest, "destination", "host") ?? "");
                const svc = host.split(".")[0].replace(/^spin-/, "");
                const to = b.workloads.get(svc);
                if (!to) continue;
                const port = Number(at(dest, "destination", "port", "number") ?? to.node.listeners[0].port);
                const listener = to.node.listeners.find((l) => l.port === port) ?? to.node.listeners[0];
                const tls = listener.protocol === "https";
                const meshMode = b.meshMode(to.node.namespace, to.node.sidecar);
                const edge: GraphEdge = {
                    id: `${gw.node.id}->${svc}:${port}`,
                    from: gw.node.id,
                    to: svc,
                    port,
                    protocol: listener.protocol,
                    url: null,
                    via: null,
                    source: `VirtualService ${vs.namespace}/${vs.name}, route ${String(asRecord(route).name ?? "")}`.trim(),
                    clientIdentity: b.identity(null, gw.node.spiffeId, gw.node.spiffeId ? null : "the gateway's mesh identity (its ServiceAccount is not named in this stack)"),
                    serverIdentity: b.identity(tls ? to.node.certificate : null, to.node.sidecar ? to.node.spiffeId : null, null),
                    trustedCas: trusted(b, null, null, to.node.sidecar, [gw.node.id, svc]),
                    mesh: "gateway",
                    clientAuth: { tls: tls ? listener.clientAuth : "plain", mesh: meshMode },
                    protection: protectionOf(listener.protocol, tls ? listener.clientAuth : "plain", false, meshMode),
                    hostnameVerified: null,
                    hostnameNote: tls ? HTTP_HOSTNAME : PLAIN_HOSTNAME,
                    notes: to.node.sidecar ? [] : [`${svc} has no sidecar: the gateway's mTLS ends at no one`],
                };
                if (!out.some((e) => e.id === edge.id)) out.push(edge);
            }
        }
    }
    return out;
}

function redisCalls(b: Builder, instances: readonly RedisInstance[]): GraphEdge[] {
    const out: GraphEdge[] = [];
    const plans = asRecord(b.view.outputs.redisClients);
    for (const [svc, planValue] of Object.entries(plans)) {
        const from = b.workloads.get(svc);
        const client = str(asRecord(planValue).client);
        if (!from || !client || client === "none" || !isServiceName(svc)) continue;
        const go = client !== "kork";
        const rawUrl = go ? b.spinnaker.goProperty(svc, "redis.baseUrl")?.value : b.spinnaker.javaProperty(svc, "redis.connection")?.value;
        const url = str(rawUrl);
        const parts = url && !secretRef(url) ? urlParts(url) : undefined;
        const instance = parts ? instances.find((r) => parts.host.split(".")[0] === r.instance) : undefined;
        let to = instance ? b.workloads.get(instance.id) : undefined;
        const notes: string[] = [];
        if (!to) {
            // A managed Redis: its URL may carry a password, so it is only ever a Secret reference.
            const id = "redis-external";
            if (!b.workloads.has(id)) {
                b.workloads.set(id, {
                    node: { id, label: "external Redis", kind: "redis", namespace: "(outside the cluster)", runtime: "redis", certificate: null, listeners: [{ port: parts?.port ?? 6379, protocol: parts?.protocol ?? "rediss", clientAuth: "unknown", note: null }], sidecar: false, serviceAccount: null, spiffeId: null, notes: ["a managed Redis outside this stack: its URL is a secret"] },
                    clientCertificate: null,
                    clientStore: null,
                    serverStore: null,
                });
            }
            to = b.workloads.get(id)!;
            notes.push("the URL is a Secret reference (it may carry a password): host and certificate not shown");
        }
        const listener = to.node.listeners[0];
        const protocol = parts?.protocol ?? listener.protocol;
        const tls = protocol === "rediss";
        const presents = tls && !go && from.node.certificate !== null;
        const meshOnBoth = from.node.sidecar && to.node.sidecar;
        const meshMode = b.meshMode(to.node.namespace, meshOnBoth);
        const jvmStore = go ? null : b.store(b.namespace, { secret: JVM_TRUSTSTORE_SECRET, key: "truststore.p12" }, svc);
        const goStore = go ? b.store(b.namespace, mountedSecret(b.spinnaker.env(svc).SSL_CERT_FILE), svc) : null;
        if (go) notes.push("the Go services' Redis client presents no client certificate: this instance runs tls-auth-clients no, and a NetworkPolicy admits only them");
        else notes.push("kork's Jedis client presents the JVM-wide key store (the service's own keystore, from its JVM argfile)");
        const tlsAuth = tls ? listener.clientAuth : "plain";
        if (tlsAuth === "tls-auth-clients yes" && !presents) notes.push("the caller presents no client certificate: Redis refuses it");
        out.push({
            id: `${svc}->${to.node.id}:${parts?.port ?? listener.port}`,
            from: svc,
            to: to.node.id,
            port: parts?.port ?? listener.port,
            protocol,
            url: parts ? url! : null,
            via: null,
            source: `profiles.${svc}.${go ? "redis.baseUrl" : "redis.connection"} (Redis plan: ${client})`,
            clientIdentity: b.identity(presents ? from.node.certificate : null, meshOnBoth ? from.node.spiffeId : null, presents || meshOnBoth ? null : "presents no client certificate"),
            serverIdentity: b.identity(tls ? to.node.certificate : null, meshOnBoth ? to.node.spiffeId : null, to.node.certificate ? null : "not managed by this stack"),
            trustedCas: trusted(b, tls && tlsAuth === "tls-auth-clients yes" ? to.serverStore : null, tls ? (jvmStore ?? goStore) : null, meshOnBoth, [svc, to.node.id]),
            mesh: meshOnBoth ? "sidecar" : "none",
            clientAuth: { tls: tlsAuth, mesh: meshMode },
            protection: protectionOf(protocol, tlsAuth, presents, meshMode),
            hostnameVerified: go ? null : false,
            hostnameNote: go ? GO_HOSTNAME : KORK_REDIS_HOSTNAME,
            notes,
        });
    }
    return out;
}

function replication(b: Builder, instances: readonly RedisInstance[]): GraphEdge[] {
    const out: GraphEdge[] = [];
    for (const r of instances) {
        const primary = b.workloads.get(r.id)!;
        for (let i = 1; i <= r.replicas; i++) {
            const replica = b.workloads.get(`${r.id}-${i}`)!;
            const meshMode = b.meshMode(r.namespace, r.sidecar);
            const presents = r.certificate !== null;
            out.push({
                id: `${replica.node.id}->${r.id}:6379`,
                from: replica.node.id,
                to: r.id,
                port: 6379,
                protocol: "rediss",
                url: null,
                via: null,
                source: `StatefulSet ${r.namespace}/${r.instance}: --replicaof ${r.instance}-0 with tls-replication yes`,
                clientIdentity: b.identity(primary.node.certificate, r.sidecar ? replica.node.spiffeId : null, "a replica presents the instance's own certificate (tls-cert-file) to its primary"),
                serverIdentity: b.identity(primary.node.certificate, r.sidecar ? primary.node.spiffeId : null, null),
                trustedCas: trusted(b, r.authClients === "tls-auth-clients yes" ? r.caStore : null, r.caStore, r.sidecar, [replica.node.id, r.id]),
                mesh: r.sidecar ? "sidecar" : "none",
                clientAuth: { tls: r.authClients, mesh: meshMode },
                protection: protectionOf("rediss", r.authClients, presents, meshMode),
                hostnameVerified: null,
                hostnameNote: REPLICATION_HOSTNAME,
                notes: [],
            });
        }
    }
    return out;
}

/** The stack's trust graph, without findings (findings.ts attaches them). */
export function buildTrustGraph(view: ExportView, opts: BuildOptions): TrustGraph {
    const b = new Builder(view, opts);
    const services = enabledServices(view);
    for (const svc of services) b.workloads.set(svc, serviceWorkload(b, svc));
    const instances = redisInstances(b);
    for (const r of instances) for (const w of redisWorkloads(b, r)) b.workloads.set(w.node.id, w);
    const gws = gateways(b);
    for (const g of gws) b.workloads.set(g.node.id, { node: g.node, clientCertificate: null, clientStore: null, serverStore: null });

    for (const c of SPINNAKER_CALLS) {
        const from = b.workloads.get(c.from);
        const to = b.workloads.get(c.to);
        if (from && to) b.edges.push(serviceCall(b, from, to, c.source));
    }
    const deck = b.workloads.get("deck");
    const gate = b.workloads.get("gate");
    if (deck && gate) b.edges.push(browserToGate(b, deck, gate, gws));
    b.edges.push(...gatewayRoutes(b, gws), ...redisCalls(b, instances), ...replication(b, instances));
    if (view.unreadableSettings) b.notes.push("the SpinnakerService's settings are encrypted in this export: export with --show-secrets (the graph still shows no secret)");
    return b.graph();
}
