// The threat model of the policy pack, in machine-readable form (the prose
// and tables are docs/policy-model.md): every security-relevant field of every
// resource the program emits, the values that weaken mTLS or leak a secret,
// the rule that refuses them, and how to apply each weakening to an export.
// model.test.ts applies every value of every row to the prod and dev exports
// and asserts the named rule refuses it at mandatory level.
import { ExportedResource, StackExport } from "../../engine/run";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

/** Marks a weakening that removes the field rather than setting it. */
export const REMOVED = Symbol("removed");

export interface Weakening {
    readonly value: unknown;
    /** What the rule's message must show of the value (it must name the value, or say it is unset). */
    readonly shows: string;
}

/** Weakening values whose message shows them quoted (`is 'PERMISSIVE'`). */
export const quoted = (...values: string[]): Weakening[] => values.map((value) => ({ value, shows: `'${value}'` }));
export const plain = (...values: (string | number | boolean)[]): Weakening[] => values.map((value) => ({ value, shows: String(value) }));
export const removed = (shows: string): Weakening => ({ value: REMOVED, shows });

export interface ModelRow {
    readonly area: "Istio" | "Network" | "cert-manager" | "tls provider" | "Redis" | "Spinnaker" | "Secrets";
    readonly kind: string;
    /** The field path the rule's message names (a concrete instance: index, service, port). */
    readonly field: string;
    readonly values: readonly Weakening[];
    /** The policy that refuses every value. */
    readonly rule: string;
    /** The resource of the export the weakening is applied to: the type's last segment and its metadata or URN name. */
    readonly target: { readonly type: string; readonly name: string };
    /** Applies one value to the target's inputs and outputs (a copy of it, renamed, unless `whole`). */
    readonly apply: (o: Obj, value: unknown) => void;
    /**
     * The rule judges the weakening in the picture of the whole stack (the
     * namespace it leaves uncovered, the service it exposes), so it is applied
     * to the target itself in an export of its own, and the message must name
     * `names` instead of the copy.
     */
    readonly whole?: { readonly names: string; readonly says: string };
    /** The stacks whose exports have what the weakening needs (dev has no mesh and no Go services); both by default. */
    readonly stacks?: readonly string[];
}

/** Sets, or removes for REMOVED, the value at a dotted path (array indices as numbers), creating objects on the way. */
export function setPath(o: Obj, path: (string | number)[], value: unknown): void {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let cur: any = o;
    for (const k of path.slice(0, -1)) {
        if (cur[k] === undefined || cur[k] === null) cur[k] = typeof k === "number" ? [] : {};
        cur = cur[k];
    }
    const last = path[path.length - 1];
    if (value === REMOVED) {
        if (Array.isArray(cur) && typeof last === "number") (cur as unknown[]).splice(last, 1);
        else delete cur[last];
    } else cur[last] = value;
}

const at = (...path: (string | number)[]) => (o: Obj, v: unknown) => setPath(o, path, v);
const spin = (...path: (string | number)[]) => at("spec", "spinnakerConfig", ...path);
const redisConf = (directive: string) => (o: Obj, v: unknown) => {
    const text = String(o.data["redis.conf"]);
    const line = new RegExp(`^${directive} .*$`, "m");
    o.data["redis.conf"] = line.test(text) ? text.replace(line, `${directive} ${String(v)}`) : `${text}${directive} ${String(v)}\n`;
};

const PA = { type: "PeerAuthentication", name: "default" };
const DR = { type: "DestinationRule", name: "spin-gate" };
const GW = { type: "Gateway", name: "spinnaker-gateway" };
const SPIN = { type: "SpinnakerServicePatch", name: "spinnaker" };
const REDIS_CONF = { type: "ConfigMap", name: "spin-redis-config" };
const REDIS_STS = { type: "StatefulSet", name: "spin-redis" };
const CERT = { type: "Certificate", name: "spin-orca" };
const NP = { type: "NetworkPolicy", name: "spin-redis-go-clients" };
const PROFILES = "spec.spinnakerConfig.profiles";
const SETTINGS = "spec.spinnakerConfig.service-settings";
const PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

export const MODEL: readonly ModelRow[] = [
    // Istio: PeerAuthentication
    { area: "Istio", kind: "PeerAuthentication", field: "spec.mtls.mode", values: [...quoted("PERMISSIVE", "DISABLE", "UNSET"), removed("not set")], rule: "peer-authentication-strict", target: PA, apply: at("spec", "mtls", "mode") },
    { area: "Istio", kind: "PeerAuthentication", field: "spec.portLevelMtls.8084.mode", values: quoted("PERMISSIVE", "DISABLE", "UNSET"), rule: "peer-authentication-strict", target: PA, apply: (o, v) => (o.spec.portLevelMtls = { 8084: { mode: v } }) },
    {
        area: "Istio",
        kind: "PeerAuthentication (workload selector)",
        field: "spec.mtls.mode",
        values: quoted("PERMISSIVE", "DISABLE"),
        rule: "peer-authentication-strict",
        target: PA,
        apply: (o, v) => Object.assign(o.spec, { selector: { matchLabels: { cluster: "spin-orca" } }, mtls: { mode: v } }),
    },
    {
        area: "Istio",
        kind: "PeerAuthentication (mesh-wide, root namespace)",
        field: "spec.mtls.mode",
        values: quoted("PERMISSIVE", "DISABLE"),
        rule: "peer-authentication-strict",
        target: PA,
        apply: (o, v) => ((o.metadata.namespace = "istio-system"), (o.spec.mtls.mode = v)),
    },
    {
        area: "Istio",
        kind: "PeerAuthentication (namespace placement)",
        field: "metadata.namespace",
        values: [
            { value: "default", shows: "covers it" },
            { value: "istio-config", shows: "covers it" },
        ],
        rule: "peer-authentication-coverage",
        target: PA,
        apply: at("metadata", "namespace"),
        whole: { names: "Namespace spinnaker", says: "no STRICT PeerAuthentication covers it" },
    },
    // Istio: DestinationRule
    { area: "Istio", kind: "DestinationRule", field: "spec.trafficPolicy.tls.mode", values: plain("DISABLE"), rule: "destination-rule-no-disable", target: DR, apply: at("spec", "trafficPolicy", "tls", "mode") },
    {
        area: "Istio",
        kind: "DestinationRule",
        field: "spec.trafficPolicy.portLevelSettings[0].tls.mode",
        values: plain("DISABLE"),
        rule: "destination-rule-no-disable",
        target: DR,
        apply: (o, v) => (o.spec.trafficPolicy.portLevelSettings = [{ port: { number: 8084 }, tls: { mode: v } }]),
    },
    {
        area: "Istio",
        kind: "DestinationRule",
        field: "spec.subsets[0].trafficPolicy.tls.mode",
        values: plain("DISABLE"),
        rule: "destination-rule-no-disable",
        target: DR,
        apply: (o, v) => (o.spec.subsets = [{ name: "canary", labels: { version: "canary" }, trafficPolicy: { tls: { mode: v } } }]),
    },
    {
        area: "Istio",
        kind: "DestinationRule",
        field: "spec.subsets[0].trafficPolicy.portLevelSettings[0].tls.mode",
        values: plain("DISABLE"),
        rule: "destination-rule-no-disable",
        target: DR,
        apply: (o, v) => (o.spec.subsets = [{ name: "canary", labels: { version: "canary" }, trafficPolicy: { portLevelSettings: [{ port: { number: 8084 }, tls: { mode: v } }] } }]),
    },
    // Istio: DestinationRule modes beyond DISABLE, for hosts in Spinnaker's and Redis's namespaces, in every host form
    { area: "Istio", kind: "DestinationRule", field: "spec.trafficPolicy.tls.mode", values: quoted("SIMPLE", "MUTUAL"), rule: "destination-rule-istio-mutual", target: DR, apply: at("spec", "trafficPolicy", "tls", "mode"), stacks: ["prod"] },
    { area: "Istio", kind: "DestinationRule", field: "spec.trafficPolicy.tls.insecureSkipVerify", values: plain(true), rule: "destination-rule-istio-mutual", target: DR, apply: at("spec", "trafficPolicy", "tls", "insecureSkipVerify"), stacks: ["prod"] },
    {
        area: "Istio",
        kind: "DestinationRule",
        field: "spec.trafficPolicy.portLevelSettings[0].tls.mode",
        values: quoted("SIMPLE", "MUTUAL"),
        rule: "destination-rule-istio-mutual",
        target: DR,
        apply: (o, v) => (o.spec.trafficPolicy.portLevelSettings = [{ port: { number: 8084 }, tls: { mode: v } }]),
        stacks: ["prod"],
    },
    {
        area: "Istio",
        kind: "DestinationRule",
        field: "spec.subsets[0].trafficPolicy.tls.mode",
        values: quoted("SIMPLE", "MUTUAL"),
        rule: "destination-rule-istio-mutual",
        target: DR,
        apply: (o, v) => (o.spec.subsets = [{ name: "canary", labels: { version: "canary" }, trafficPolicy: { tls: { mode: v } } }]),
        stacks: ["prod"],
    },
    {
        area: "Istio",
        kind: "DestinationRule (spec.host in every form, with SIMPLE)",
        field: "spec.trafficPolicy.tls.mode",
        values: ["spin-gate", "spin-gate.spinnaker", "spin-gate.spinnaker.svc", "*.spinnaker.svc.cluster.local", "*.svc.cluster.local", "*"].map((value) => ({ value, shows: `host '${value}'` })),
        rule: "destination-rule-istio-mutual",
        target: DR,
        apply: (o, v) => ((o.spec.host = v), (o.spec.trafficPolicy.tls.mode = "SIMPLE")),
        stacks: ["prod"],
    },
    // Istio: AuthorizationPolicy (judged where it opens Deck's and Gate's edge exception)
    {
        area: "Istio",
        kind: "AuthorizationPolicy",
        field: "spec.rules[0]",
        values: [{ value: REMOVED, shows: "has no 'from'" }],
        rule: "spinnaker-server-ssl",
        target: { type: "AuthorizationPolicy", name: "spinnaker-mtls-allow-namespace" },
        apply: at("spec", "rules", 0, "from"),
        whole: { names: "AuthorizationPolicy spinnaker/spinnaker-mtls-allow-namespace", says: "spec.rules[0] has no 'from'" },
    },
    {
        area: "Istio",
        kind: "AuthorizationPolicy",
        field: "spec.rules[0].from[0]",
        values: [{ value: ["*"], shows: "allows '*'" }],
        rule: "spinnaker-server-ssl",
        target: { type: "AuthorizationPolicy", name: "spinnaker-mtls-allow-ingress-spin-gate" },
        apply: at("spec", "rules", 0, "from", 0, "source", "principals"),
        whole: { names: "AuthorizationPolicy spinnaker/spinnaker-mtls-allow-ingress-spin-gate", says: "spec.rules[0].from[0] allows '*'" },
    },
    {
        area: "Istio",
        kind: "AuthorizationPolicy",
        field: "spec.rules[0].from[0]",
        values: [{ value: {}, shows: "names no principals or namespaces" }],
        rule: "spinnaker-server-ssl",
        target: { type: "AuthorizationPolicy", name: "spinnaker-mtls-allow-namespace" },
        apply: at("spec", "rules", 0, "from", 0, "source"),
        whole: { names: "AuthorizationPolicy spinnaker/spinnaker-mtls-allow-namespace", says: "spec.rules[0].from[0] names no principals or namespaces" },
    },
    { area: "Istio", kind: "AuthorizationPolicy (ALLOW)", field: "spec.rules[0].from", values: [removed("is not set")], rule: "authorization-policy-named-callers", target: { type: "AuthorizationPolicy", name: "spinnaker-mtls-allow-namespace" }, apply: at("spec", "rules", 0, "from"), stacks: ["prod"] },
    {
        area: "Istio",
        kind: "AuthorizationPolicy (ALLOW)",
        field: "spec.rules[0].from[0].source",
        values: [
            { value: {}, shows: "is {}" },
            { value: { namespaces: ["*"] }, shows: "'*' admits" },
            { value: { principals: ["*"] }, shows: "'*' admits" },
            { value: { ipBlocks: ["0.0.0.0/0"] }, shows: '{"ipBlocks":["0.0.0.0/0"]}' },
            { value: { notPrincipals: ["cluster.local/ns/x/sa/y"] }, shows: "notPrincipals" },
        ],
        rule: "authorization-policy-named-callers",
        target: { type: "AuthorizationPolicy", name: "spinnaker-mtls-allow-ingress-spin-gate" },
        apply: at("spec", "rules", 0, "from", 0, "source"),
        stacks: ["prod"],
    },
    // Istio: sidecar injection
    { area: "Istio", kind: "StatefulSet (pod template)", field: "spec.template.metadata.annotations.sidecar.istio.io/inject", values: [{ value: "false", shows: '"false"' }], rule: "sidecar-injection-not-disabled", target: REDIS_STS, apply: at("spec", "template", "metadata", "annotations", "sidecar.istio.io/inject"), stacks: ["prod"] },
    { area: "Istio", kind: "StatefulSet (pod template)", field: "spec.template.metadata.labels.sidecar.istio.io/inject", values: [{ value: "false", shows: '"false"' }], rule: "sidecar-injection-not-disabled", target: REDIS_STS, apply: at("spec", "template", "metadata", "labels", "sidecar.istio.io/inject"), stacks: ["prod"] },
    { area: "Istio", kind: "SpinnakerService", field: `${SETTINGS}.orca.kubernetes.podAnnotations.sidecar.istio.io/inject`, values: [{ value: "false", shows: '"false"' }], rule: "sidecar-injection-not-disabled", target: SPIN, apply: spin("service-settings", "orca", "kubernetes", "podAnnotations", "sidecar.istio.io/inject"), stacks: ["prod"] },
    { area: "Istio", kind: "SpinnakerService", field: `${SETTINGS}.orca.kubernetes.podLabels.sidecar.istio.io/inject`, values: [{ value: "false", shows: '"false"' }], rule: "sidecar-injection-not-disabled", target: SPIN, apply: spin("service-settings", "orca", "kubernetes", "podLabels", "sidecar.istio.io/inject"), stacks: ["prod"] },
    // Istio: a port, range or interface out of the sidecar's capture
    ...["excludeInboundPorts", "excludeOutboundPorts", "excludeOutboundIPRanges", "excludeInterfaces", "includeInboundPorts", "includeOutboundIPRanges"].map((name): ModelRow => ({
        area: "Istio",
        kind: "StatefulSet (pod template)",
        field: `spec.template.metadata.annotations.traffic.sidecar.istio.io/${name}`,
        values: quoted(name.startsWith("include") ? (name.endsWith("Ports") ? "6380" : "10.96.0.0/12") : name.endsWith("Ports") ? "6379" : name.endsWith("Ranges") ? "10.0.0.0/8" : "eth1"),
        rule: "sidecar-capture-not-narrowed",
        target: REDIS_STS,
        apply: at("spec", "template", "metadata", "annotations", `traffic.sidecar.istio.io/${name}`),
        stacks: ["prod"],
    })),
    { area: "Istio", kind: "SpinnakerService", field: `${SETTINGS}.orca.kubernetes.podAnnotations.traffic.sidecar.istio.io/excludeInboundPorts`, values: quoted("8083"), rule: "sidecar-capture-not-narrowed", target: SPIN, apply: spin("service-settings", "orca", "kubernetes", "podAnnotations", "traffic.sidecar.istio.io/excludeInboundPorts"), stacks: ["prod"] },
    {
        area: "Istio",
        kind: "Namespace",
        field: "metadata.labels.istio-injection",
        values: [{ value: "disabled", shows: '"disabled"' }],
        rule: "sidecar-injection-not-disabled",
        target: { type: "NamespacePatch", name: "spinnaker" },
        apply: at("metadata", "labels", "istio-injection"),
        whole: { names: "Namespace spinnaker", says: "metadata.labels.istio-injection" },
    },
    // Istio: Gateway
    { area: "Istio", kind: "Gateway", field: "spec.servers[1].tls.mode", values: [...quoted("PASSTHROUGH", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL"), removed("'unset'")], rule: "gateway-tls", target: GW, apply: at("spec", "servers", 1, "tls", "mode") },
    { area: "Istio", kind: "Gateway", field: "spec.servers[1].tls.minProtocolVersion", values: [...quoted("TLSV1_0", "TLSV1_1", "TLS_AUTO"), removed("'unset'")], rule: "gateway-tls", target: GW, apply: at("spec", "servers", 1, "tls", "minProtocolVersion") },
    { area: "Istio", kind: "Gateway", field: "spec.servers[1].tls.maxProtocolVersion", values: quoted("TLSV1_0", "TLSV1_1"), rule: "gateway-tls", target: GW, apply: at("spec", "servers", 1, "tls", "maxProtocolVersion") },
    { area: "Istio", kind: "Gateway", field: "spec.servers[0].tls.httpsRedirect", values: [{ value: false, shows: "is 'false': the HTTP server" }, { value: REMOVED, shows: "is not set: the HTTP server" }], rule: "gateway-tls", target: GW, apply: at("spec", "servers", 0, "tls", "httpsRedirect") },
    { area: "Istio", kind: "Gateway", field: "spec.servers[1].hosts[0]", values: quoted("*", "*/*"), rule: "gateway-tls", target: GW, apply: at("spec", "servers", 1, "hosts", 0) },
    {
        area: "Istio",
        kind: "Gateway",
        field: "spec.servers[1].tls.cipherSuites[0]",
        values: ["ECDHE-RSA-AES128-SHA", "DES-CBC3-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-NULL-SHA"].map((value) => ({ value, shows: `'${value}'` })),
        rule: "gateway-cipher-suites",
        target: GW,
        apply: (o, v) => (o.spec.servers[1].tls.cipherSuites = [v]),
    },
    {
        area: "Istio",
        kind: "Gateway",
        field: "spec.servers[1].tls.credentialName",
        values: ["spin-gate-tls", "spinnaker/spin-gate-tls", "hand-made-tls"].map((value) => ({ value, shows: `'${value}'` })),
        rule: "gateway-credential",
        target: GW,
        apply: at("spec", "servers", 1, "tls", "credentialName"),
    },
    // Istio: VirtualService
    { area: "Istio", kind: "VirtualService", field: "spec.hosts[0]", values: quoted("*", "istio-system/*"), rule: "virtual-service-hosts", target: { type: "VirtualService", name: "spinnaker" }, apply: at("spec", "hosts", 0) },
    // Network: what stands in for client authentication where a Redis has none
    ...(
        [
            [REMOVED, "is not set"],
            [[], "is empty"],
            [[{}], "names no pods"],
            [[{ namespaceSelector: {} }], "pods of every namespace"],
            [[{ namespaceSelector: { matchLabels: { team: "ci" } } }], "every pod of the namespaces it selects"],
            [[{ podSelector: {} }], "podSelector {}"],
            [[{ ipBlock: { cidr: "0.0.0.0/0" } }], "addresses 0.0.0.0/0"],
        ] as const
    ).map(
        ([value, shows]): ModelRow => ({
            area: "Network",
            kind: "NetworkPolicy (selecting a Redis without client authentication)",
            field: Array.isArray(value) && value.length > 0 ? "spec.ingress[0].from[0]" : "spec.ingress[0].from",
            values: [{ value, shows }],
            rule: "redis-client-network-policy",
            target: NP,
            apply: (o, v) => setPath(o, ["spec", "ingress", 0, "from"], v),
            stacks: ["prod"],
        }),
    ),
    {
        area: "Network",
        kind: "NetworkPolicy (selecting a Redis without client authentication)",
        field: "spec.podSelector / spec.policyTypes",
        values: [
            { value: { podSelector: { matchLabels: { app: "something-else" } } }, shows: "tls-auth-clients no" },
            { value: { policyTypes: ["Egress"] }, shows: "tls-auth-clients no" },
        ],
        rule: "redis-client-network-policy",
        target: NP,
        apply: (o, v) => Object.assign(o.spec, v),
        whole: { names: "StatefulSet spinnaker/spin-redis-go", says: "no NetworkPolicy limits who reaches it" },
        stacks: ["prod"],
    },
    {
        area: "Istio",
        kind: "VirtualService",
        field: "spec.http[0].route[0].destination.host",
        values: ["spinnaker.attacker.example", "10.1.2.3", "spin-gate.spinnaker.example.com"].map((value) => ({ value, shows: `'${value}'` })),
        rule: "virtual-service-destinations",
        target: { type: "VirtualService", name: "spinnaker" },
        apply: at("spec", "http", 0, "route", 0, "destination", "host"),
    },
    { area: "Istio", kind: "VirtualService", field: "spec.http[1].mirror.host", values: [{ value: { host: "collector.example.net" }, shows: "'collector.example.net'" }], rule: "virtual-service-destinations", target: { type: "VirtualService", name: "spinnaker" }, apply: at("spec", "http", 1, "mirror") },
    // cert-manager: Certificate
    {
        area: "cert-manager",
        kind: "Certificate",
        field: "spec.usages",
        values: [
            { value: ["digital signature", "server auth"], shows: "lacks 'client auth'" },
            { value: ["digital signature", "client auth"], shows: "lacks 'server auth'" },
            { value: REMOVED, shows: "lacks 'server auth' (unset" },
        ],
        rule: "certificate-usages",
        target: CERT,
        apply: at("spec", "usages"),
    },
    {
        area: "cert-manager",
        kind: "Certificate",
        field: "spec.privateKey.size",
        values: [
            { value: { algorithm: "RSA", size: 1024 }, shows: "is 1024 for RSA" },
            { value: { algorithm: "ECDSA", size: 224 }, shows: "is 224 for ECDSA" },
        ],
        rule: "certificate-key-strength",
        target: CERT,
        apply: (o, v) => Object.assign(o.spec.privateKey, v),
    },
    { area: "cert-manager", kind: "Certificate", field: "spec.duration", values: [...plain("8760h", "2161h", "87600h"), { value: "forever", shows: "forever" }, ], rule: "certificate-validity", target: CERT, apply: at("spec", "duration") },
    { area: "cert-manager", kind: "Certificate", field: "spec.renewBefore", values: [...plain("2160h", "0s", "3000h"), removed("is not set")], rule: "certificate-validity", target: CERT, apply: at("spec", "renewBefore") },
    { area: "cert-manager", kind: "Certificate", field: "spec.privateKey.rotationPolicy", values: quoted("Never"), rule: "certificate-key-rotation", target: CERT, apply: at("spec", "privateKey", "rotationPolicy") },
    {
        area: "cert-manager",
        kind: "Certificate",
        field: "spec.keystores.pkcs12.password",
        values: [{ value: "hunter2", shows: "is a literal password" }],
        rule: "cert-manager-keystore-password",
        target: CERT,
        apply: (o, v) => ((o.spec.keystores.pkcs12.password = v), delete o.spec.keystores.pkcs12.passwordSecretRef),
    },
    { area: "cert-manager", kind: "Certificate", field: "spec.keystores.pkcs12.profile", values: [...quoted("LegacyRC2", "LegacyDES"), removed("unset (LegacyRC2)")], rule: "cert-manager-keystore-profile", target: CERT, apply: at("spec", "keystores", "pkcs12", "profile") },
    { area: "cert-manager", kind: "Certificate", field: "spec.isCA", values: plain(true), rule: "certificate-service-not-ca", target: CERT, apply: at("spec", "isCA") },
    {
        area: "cert-manager",
        kind: "Certificate",
        field: "spec.issuerRef",
        values: [
            { value: { group: "cert-manager.io", kind: "ClusterIssuer", name: "someone-elses-ca" }, shows: "ClusterIssuer/someone-elses-ca" },
            // The CA's name as a ClusterIssuer: the stack declares none, so whoever creates one issues Spinnaker's identities.
            { value: { kind: "ClusterIssuer", name: "spinnaker-mtls-ca" }, shows: "ClusterIssuer/spinnaker-mtls-ca" },
            { value: { group: "awspca.cert-manager.io", kind: "AWSPCAClusterIssuer", name: "pca" }, shows: "awspca.cert-manager.io/AWSPCAClusterIssuer/pca" },
        ],
        rule: "certificate-issuer",
        target: CERT,
        apply: at("spec", "issuerRef"),
    },
    {
        area: "cert-manager",
        kind: "Certificate (issuer name only)",
        field: "spec.issuerRef",
        // The ACME Issuer lives in the gateway's namespace only; named from Spinnaker's, it is an issuer the stack does not declare.
        values: ["spinnaker-mtls-selfsigned", "spinnaker-mtls-acme"].map((value) => ({ value, shows: `spinnaker/Issuer/${value}` })),
        rule: "certificate-issuer",
        target: CERT,
        apply: at("spec", "issuerRef", "name"),
    },
    {
        area: "cert-manager",
        kind: "Certificate",
        field: "spec.dnsNames",
        values: [
            { value: ["*.spinnaker.svc"], shows: "'*.spinnaker.svc', a wildcard" },
            { value: ["spin-orca.spinnaker.svc", "spin-redis-0.spin-redis-headless.spinnaker.svc.cluster.local"], shows: "'spin-redis-0.spin-redis-headless.spinnaker.svc.cluster.local', a name of spin-redis" },
        ],
        rule: "certificate-names",
        target: CERT,
        apply: at("spec", "dnsNames"),
    },
    {
        area: "cert-manager",
        kind: "Certificate",
        field: "spec.dnsNames",
        values: [{ value: ["spin-orca.spinnaker.svc", "login.example.com"], shows: "'login.example.com', outside the name constraints" }],
        rule: "certificate-names-within-ca-constraints",
        target: CERT,
        apply: at("spec", "dnsNames"),
    },
    // cert-manager: who may issue
    {
        area: "cert-manager",
        kind: "Issuer",
        field: "spec.ca",
        values: [{ value: "ClusterIssuer", shows: "cluster-scoped issuer" }],
        rule: "certificate-issuer-scope",
        target: { type: "Issuer", name: "spinnaker-mtls-ca" },
        apply: (o, kind) => ((o.kind = kind), delete o.metadata.namespace),
    },
    {
        area: "cert-manager",
        kind: "Issuer",
        field: "spec.acme",
        values: [{ value: "ClusterIssuer", shows: "cluster-scoped issuer" }],
        rule: "certificate-issuer-scope",
        target: { type: "Issuer", name: "spinnaker-mtls-acme" },
        apply: (o, kind) => ((o.kind = kind), delete o.metadata.namespace),
        stacks: ["prod"],
    },
    // tls provider (dev)
    {
        area: "tls provider",
        kind: "LocallySignedCert",
        field: "allowedUses",
        values: [
            { value: ["digital_signature", "server_auth"], shows: "lacks 'client_auth'" },
            { value: ["digital_signature", "client_auth"], shows: "lacks 'server_auth'" },
        ],
        rule: "certificate-usages",
        target: { type: "LocallySignedCert", name: "spin-orca-cert" },
        apply: at("allowedUses"),
    },
    { area: "tls provider", kind: "LocallySignedCert", field: "validityPeriodHours", values: plain(8760, 2161), rule: "certificate-validity", target: { type: "LocallySignedCert", name: "spin-orca-cert" }, apply: at("validityPeriodHours") },
    { area: "tls provider", kind: "LocallySignedCert", field: "earlyRenewalHours", values: [...plain(0, 2160), removed("unset")], rule: "certificate-validity", target: { type: "LocallySignedCert", name: "spin-orca-cert" }, apply: at("earlyRenewalHours") },
    // Which names a leaf may carry
    {
        area: "tls provider",
        kind: "CertRequest",
        field: "dnsNames",
        values: [
            { value: ["*.spinnaker-dev.svc.cluster.local"], shows: "'*.spinnaker-dev.svc.cluster.local', a wildcard" },
            { value: ["spin-orca.spinnaker-dev.svc", "spin-gate.spinnaker-dev.svc"], shows: "'spin-gate.spinnaker-dev.svc', a name of spin-gate" },
        ],
        rule: "certificate-names",
        target: { type: "CertRequest", name: "spin-orca-csr" },
        apply: at("dnsNames"),
        stacks: ["dev"],
    },
    {
        area: "tls provider",
        kind: "CertRequest",
        field: "dnsNames",
        values: [{ value: ["spin-orca.spinnaker-dev.svc", "login.example.com"], shows: "'login.example.com', outside the name constraints" }],
        rule: "certificate-names-within-ca-constraints",
        target: { type: "CertRequest", name: "spin-orca-csr" },
        apply: at("dnsNames"),
        stacks: ["dev"],
    },
    { area: "tls provider", kind: "LocallySignedCert", field: "isCaCertificate", values: plain(true), rule: "certificate-service-not-ca", target: { type: "LocallySignedCert", name: "spin-orca-cert" }, apply: at("isCaCertificate") },
    { area: "tls provider", kind: "PrivateKey", field: "rsaBits", values: [{ value: 1024, shows: "is 1024" }], rule: "certificate-key-strength", target: { type: "PrivateKey", name: "spin-echo-key" }, apply: (o, v) => Object.assign(o, { algorithm: "RSA", rsaBits: v }) },
    {
        area: "tls provider",
        kind: "PrivateKey",
        field: "ecdsaCurve",
        values: [{ value: "P224", shows: "is P224" }, { value: REMOVED, shows: "unset (P224)" }],
        rule: "certificate-key-strength",
        target: { type: "PrivateKey", name: "spin-echo-key" },
        apply: (o, v) => ((o.algorithm = "ECDSA"), setPath(o, ["ecdsaCurve"], v)),
    },
    // Redis
    { area: "Redis", kind: "ConfigMap (redis.conf)", field: 'data["redis.conf"] port', values: plain("6379", "6380"), rule: "redis-tls-only", target: REDIS_CONF, apply: redisConf("port") },
    { area: "Redis", kind: "ConfigMap (redis.conf)", field: 'data["redis.conf"] tls-port', values: plain("0"), rule: "redis-tls-only", target: REDIS_CONF, apply: redisConf("tls-port") },
    { area: "Redis", kind: "ConfigMap (redis.conf)", field: 'data["redis.conf"] tls-auth-clients', values: quoted("no", "optional"), rule: "redis-tls-only", target: REDIS_CONF, apply: redisConf("tls-auth-clients") },
    { area: "Redis", kind: "ConfigMap (redis.conf)", field: 'data["redis.conf"] tls-protocols', values: [{ value: '"TLSv1 TLSv1.2"', shows: "'TLSv1 TLSv1.2'" }, { value: "TLSv1.1", shows: "'TLSv1.1'" }], rule: "redis-tls-only", target: REDIS_CONF, apply: redisConf("tls-protocols") },
    {
        area: "Redis",
        kind: "StatefulSet (redis-server arguments)",
        field: "spec.template.spec.containers[0] arguments port",
        values: plain("6379"),
        rule: "redis-tls-only",
        target: REDIS_STS,
        apply: (o, v) => (o.spec.template.spec.containers[0].command[2] += ` --port ${String(v)}`),
    },
    { area: "Redis", kind: "ConfigMap (redis.conf)", field: 'data["redis.conf"] tls-replication', values: quoted("no"), rule: "redis-tls-peers", target: REDIS_CONF, apply: redisConf("tls-replication") },
    // Redis: what it trusts
    { area: "Redis", kind: "ConfigMap (redis.conf)", field: 'data["redis.conf"] tls-ca-cert-dir', values: quoted("/etc/ssl/certs"), rule: "redis-trust-anchor", target: REDIS_CONF, apply: redisConf("tls-ca-cert-dir") },
    { area: "Redis", kind: "ConfigMap (redis.conf)", field: 'data["redis.conf"] tls-ca-cert-file', values: quoted("/etc/ssl/certs/ca-certificates.crt"), rule: "redis-trust-anchor", target: REDIS_CONF, apply: redisConf("tls-ca-cert-file") },
    {
        area: "Redis",
        kind: "ConfigMap (redis.conf)",
        field: 'data["redis.conf"] tls-replication',
        values: [{ value: "spin-redis-0.spin-redis-headless 6379", shows: "replicaof is 'spin-redis-0.spin-redis-headless 6379'" }],
        rule: "redis-tls-peers",
        target: REDIS_CONF,
        apply: (o, v) => (o.data["redis.conf"] = `${String(o.data["redis.conf"]).replace(/^tls-replication .*\n/m, "")}replicaof ${String(v)}\n`),
    },
    {
        area: "Redis",
        kind: "ConfigMap (redis.conf)",
        field: 'data["redis.conf"] tls-cluster',
        values: [{ value: "no", shows: "'no'" }, removed("not set (no)")],
        rule: "redis-tls-peers",
        target: REDIS_CONF,
        apply: (o, v) => (o.data["redis.conf"] += `cluster-enabled yes\n${v === REMOVED ? "" : `tls-cluster ${String(v)}\n`}`),
    },
    {
        area: "Redis",
        kind: "ConfigMap (redis.conf)",
        field: 'data["redis.conf"] tls-ciphers',
        values: [
            { value: "ECDHE-RSA-AES128-GCM-SHA256:NULL-SHA256", shows: "admits NULL-SHA256" },
            { value: "ALL", shows: "admits ALL" },
            { value: "ECDHE-RSA-AES128-GCM-SHA256:DES-CBC3-SHA", shows: "admits DES-CBC3-SHA" },
            { value: "aNULL:ECDHE-RSA-AES128-GCM-SHA256", shows: "admits aNULL" },
            { value: "ECDHE-RSA-RC4-SHA", shows: "admits ECDHE-RSA-RC4-SHA" },
        ],
        rule: "redis-tls-peers",
        target: REDIS_CONF,
        apply: redisConf("tls-ciphers"),
    },
    {
        area: "Redis",
        kind: "StatefulSet (redis-server arguments)",
        field: "spec.template.spec.containers[0] arguments tls-replication",
        values: quoted("no"),
        rule: "redis-tls-peers",
        target: REDIS_STS,
        apply: (o, v) => (o.spec.template.spec.containers[0].command[2] += ` --tls-replication ${String(v)}`),
    },
    // Spinnaker
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.clouddriver.server.ssl.enabled`, values: [{ value: false, shows: "is 'false', so clouddriver serves plain HTTP" }], rule: "spinnaker-server-ssl", target: SPIN, apply: spin("profiles", "clouddriver", "server", "ssl", "enabled") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${SETTINGS}.clouddriver.env.SERVER_SSL_ENABLED`, values: [{ value: "false", shows: "is 'false', so clouddriver serves plain HTTP" }], rule: "spinnaker-server-ssl", target: SPIN, apply: spin("service-settings", "clouddriver", "env", "SERVER_SSL_ENABLED") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.fiat.server.ssl.key-store`, values: [removed("is not set"), { value: "", shows: "is not set" }], rule: "spinnaker-server-ssl", target: SPIN, apply: spin("profiles", "fiat", "server", "ssl", "key-store") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.fiat.server.ssl.trust-store`, values: [removed("is not set")], rule: "spinnaker-server-ssl", target: SPIN, apply: spin("profiles", "fiat", "server", "ssl", "trust-store") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.terraformer.server.ssl.certFile`, values: [removed("is not set")], rule: "spinnaker-server-ssl", target: SPIN, apply: spin("profiles", "terraformer", "server", "ssl", "certFile"), stacks: ["prod"] },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.rosco.server.ssl.client-auth`, values: [...quoted("none"), { value: "NONE", shows: "'none'" }, removed("does not set client-auth")], rule: "spinnaker-client-auth-required", target: SPIN, apply: spin("profiles", "rosco", "server", "ssl", "client-auth") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.orca.server.ssl.client-auth`, values: quoted("want"), rule: "spinnaker-client-auth-need", target: SPIN, apply: spin("profiles", "orca", "server", "ssl", "client-auth") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.terraformer.server.ssl.clientAuth`, values: quoted("want"), rule: "spinnaker-client-auth-need", target: SPIN, apply: spin("profiles", "terraformer", "server", "ssl", "clientAuth"), stacks: ["prod"] },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${SETTINGS}.echo.kubernetes.useTcpProbe`, values: [{ value: false, shows: "is 'false', not true" }, { value: REMOVED, shows: "is not set, not true" }], rule: "spinnaker-tcp-probes", target: SPIN, apply: spin("service-settings", "echo", "kubernetes", "useTcpProbe") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.gate.redis.connection`, values: [{ value: "redis://spin-redis.spinnaker.svc.cluster.local:6379", shows: "'redis://spin-redis" }, { value: "spin-redis:6379", shows: "'spin-redis:6379'" }], rule: "spinnaker-redis-tls", target: SPIN, apply: spin("profiles", "gate", "redis", "connection") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.orca.services.redis.baseUrl`, values: [{ value: "redis://spin-redis:6379", shows: "'redis://spin-redis:6379'" }], rule: "spinnaker-redis-tls", target: SPIN, apply: spin("profiles", "orca", "services", "redis", "baseUrl") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.terraformer.redis.baseUrl`, values: [{ value: "redis://spin-redis-go:6379", shows: "'redis://spin-redis-go:6379'" }], rule: "spinnaker-redis-tls", target: SPIN, apply: spin("profiles", "terraformer", "redis", "baseUrl"), stacks: ["prod"] },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.kayenta.server.ssl.key-store-password`, values: [{ value: "changeit", shows: "is a literal password" }], rule: "spinnaker-secret-references", target: SPIN, apply: spin("profiles", "kayenta", "server", "ssl", "key-store-password") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.orca.ok-http-client.trust-store-password`, values: [{ value: "changeit", shows: "is a literal password" }], rule: "spinnaker-secret-references", target: SPIN, apply: spin("profiles", "orca", "ok-http-client", "trust-store-password") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${SETTINGS}.gate.env.JDK_JAVA_OPTIONS`, values: [{ value: "-Djavax.net.ssl.keyStorePassword=hunter2", shows: "-Djavax.net.ssl.keyStorePassword" }], rule: "no-secrets-in-env", target: SPIN, apply: spin("service-settings", "gate", "env", "JDK_JAVA_OPTIONS") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.orca.ok-http-client.key-store`, values: [removed("is not set"), { value: "", shows: "is not set" }], rule: "spinnaker-client-tls", target: SPIN, apply: spin("profiles", "orca", "ok-http-client", "key-store") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.gate.ok-http-client.trust-store`, values: [removed("is not set")], rule: "spinnaker-client-tls", target: SPIN, apply: spin("profiles", "gate", "ok-http-client", "trust-store") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.clouddriver.ok-http-client.key-store-password`, values: [removed("is not set")], rule: "spinnaker-client-tls", target: SPIN, apply: spin("profiles", "clouddriver", "ok-http-client", "key-store-password") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.terraformer.http.clientCertFile`, values: [removed("is not set")], rule: "spinnaker-client-tls", target: SPIN, apply: spin("profiles", "terraformer", "http", "clientCertFile"), stacks: ["prod"] },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.terraformer.http.cacertFile`, values: [removed("is not set")], rule: "spinnaker-client-tls", target: SPIN, apply: spin("profiles", "terraformer", "http", "cacertFile"), stacks: ["prod"] },
    // Spinnaker: what a server trusts
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.orca.server.ssl.trust-store`, values: [{ value: "encryptedFile:k8s!n:spinnaker-mtls-jvm-truststore!k:truststore.p12", shows: "spinnaker-mtls-jvm-truststore" }], rule: "spinnaker-server-trust", target: SPIN, apply: spin("profiles", "orca", "server", "ssl", "trust-store") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.terraformer.server.ssl.cacertFile`, values: [{ value: "encryptedFile:k8s!n:org-cas!k:bundle.pem", shows: "org-cas" }], rule: "spinnaker-server-trust", target: SPIN, apply: spin("profiles", "terraformer", "server", "ssl", "cacertFile"), stacks: ["prod"] },
    // Spinnaker: whose identity a client presents
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.orca.ok-http-client.key-store`, values: [{ value: "encryptedFile:k8s!n:spin-gate-tls!k:keystore.p12", shows: "spin-gate-tls" }], rule: "spinnaker-client-identity", target: SPIN, apply: spin("profiles", "orca", "ok-http-client", "key-store") },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.terraformer.http.clientKeyFile`, values: [{ value: "encryptedFile:k8s!n:spin-dinghy-tls!k:tls.key", shows: "spin-dinghy-tls" }], rule: "spinnaker-client-identity", target: SPIN, apply: spin("profiles", "terraformer", "http", "clientKeyFile"), stacks: ["prod"] },
    // Gate's client-certificate port without a Service in front of it (dev: no ingress, so Gate has default.apiPort).
    {
        area: "Spinnaker",
        kind: "Service (spin-gate-api)",
        field: "spec.ports[0].targetPort",
        values: [{ value: 8084, shows: "port 8085 has no way in" }],
        rule: "spinnaker-gate-api-port",
        target: { type: "Service", name: "spin-gate-api" },
        apply: at("spec", "ports", 0, "targetPort"),
        whole: { names: "SpinnakerService spinnaker-dev/spinnaker", says: "default.apiPort" },
        stacks: ["dev"],
    },
    {
        area: "Spinnaker",
        kind: "Service (spin-gate-api)",
        field: "spec.selector.cluster",
        values: [{ value: "spin-deck", shows: "port 8085 has no way in" }],
        rule: "spinnaker-gate-api-port",
        target: { type: "Service", name: "spin-gate-api" },
        apply: at("spec", "selector", "cluster"),
        whole: { names: "SpinnakerService spinnaker-dev/spinnaker", says: "default.apiPort" },
        stacks: ["dev"],
    },
    {
        area: "Spinnaker",
        kind: "SpinnakerService",
        field: `${SETTINGS}.orca.baseUrl`,
        values: ["http://spin-orca.spinnaker:8083", "https://10.0.0.12:8083", "https://[fd00::12]:8083", "spin-orca.spinnaker:8083", "ftp://spin-orca.spinnaker:8083"].map((value) => ({ value, shows: `'${value}'` })),
        rule: "spinnaker-https-base-urls",
        target: SPIN,
        apply: spin("service-settings", "orca", "baseUrl"),
    },
    { area: "Spinnaker", kind: "SpinnakerService", field: `${PROFILES}.gate.services.clouddriver.baseUrl`, values: [{ value: "http://spin-clouddriver.spinnaker:7002", shows: "'http://spin-clouddriver.spinnaker:7002'" }], rule: "spinnaker-https-base-urls", target: SPIN, apply: spin("profiles", "gate", "services", "clouddriver", "baseUrl") },
    { area: "Spinnaker", kind: "SpinnakerService", field: "spec.spinnakerConfig.config.security.apiSecurity.overrideBaseUrl", values: [{ value: "http://spinnaker.example.com/api/v1", shows: "'http://spinnaker.example.com/api/v1'" }], rule: "spinnaker-https-base-urls", target: SPIN, apply: spin("config", "security", "apiSecurity", "overrideBaseUrl"), stacks: ["prod"] },
    // Secrets
    { area: "Secrets", kind: "ConfigMap", field: 'data["tls.key"]', values: [{ value: PRIVATE_KEY, shows: "holds a PEM private key" }], rule: "no-secrets-in-configmaps", target: REDIS_CONF, apply: at("data", "tls.key") },
    { area: "Secrets", kind: "ConfigMap", field: 'data["redis.conf"]', values: [{ value: "requirepass hunter2\n", shows: "(requirepass)" }], rule: "no-secrets-in-configmaps", target: REDIS_CONF, apply: (o, v) => (o.data["redis.conf"] += String(v)) },
    { area: "Secrets", kind: "StatefulSet (pod env)", field: "spec.template.spec.containers[0].env[0] (REDIS_PASSWORD)", values: [{ value: "hunter2", shows: "holds a literal password" }], rule: "no-secrets-in-env", target: REDIS_STS, apply: (o, v) => (o.spec.template.spec.containers[0].env = [{ name: "REDIS_PASSWORD", value: v }]) },
    { area: "Secrets", kind: "StatefulSet", field: 'metadata.annotations["example.com/tls-key"]', values: [{ value: PRIVATE_KEY, shows: "holds a PEM private key" }], rule: "no-secrets-in-annotations", target: REDIS_STS, apply: at("metadata", "annotations", "example.com/tls-key") },
    {
        area: "Secrets",
        kind: "StatefulSet (pod template)",
        field: 'spec.template.metadata.annotations["example.com/redis-password"]',
        values: [{ value: "hunter2", shows: "is a literal password" }],
        rule: "no-secrets-in-annotations",
        target: REDIS_STS,
        apply: at("spec", "template", "metadata", "annotations", "example.com/redis-password"),
    },
    { area: "Secrets", kind: "SpinnakerService", field: `${SETTINGS}.orca.kubernetes.podAnnotations["vault.example.com/token"]`, values: [{ value: "s.abcdef", shows: "is a literal password" }], rule: "no-secrets-in-annotations", target: SPIN, apply: spin("service-settings", "orca", "kubernetes", "podAnnotations", "vault.example.com/token") },
    { area: "Secrets", kind: "Stack outputs", field: "stack output caPrivateKey", values: [{ value: PRIVATE_KEY, shows: "holds a PEM private key" }], rule: "no-secrets-in-stack-outputs", target: { type: "Stack", name: "*" }, apply: at("caPrivateKey") },
];

/** Model rows no rule covers yet: listed (and tabled in docs/policy-model.md) so the gap is visible, never silently passing. */
export interface Gap {
    readonly area: ModelRow["area"];
    readonly kind: string;
    readonly field: string;
    readonly values: string;
}

export const GAPS: readonly Gap[] = [
    { area: "Istio", kind: "AuthorizationPolicy (DENY, CUSTOM)", field: "spec.action", values: "a DENY that was meant to close a path and no longer matches it (intent the pack cannot know); a CUSTOM provider that allows on error" },
];

const typeEnd = (r: ExportedResource): string => r.type.slice(r.type.lastIndexOf(":") + 1);
const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

/** The resource a row targets in an export, or undefined when that stack does not have it. */
export function findTarget(exp: StackExport, target: ModelRow["target"]): ExportedResource | undefined {
    return exp.deployment.resources.find((r) => {
        if (typeEnd(r) !== target.type) return false;
        if (target.name === "*") return true;
        const name = (r.inputs?.metadata as Obj | undefined)?.name as string | undefined;
        return (name ?? urnName(r.urn)) === target.name;
    });
}
