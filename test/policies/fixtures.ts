// Hand-made resources the policy tests start from: each is compliant, and a
// test breaks one field of a copy.
import { Fixture, kube } from "../support/policyPack";

export const NS = "spinnaker";
export const GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";

export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export const peerAuthentication = (namespace = NS, mode = "STRICT"): Fixture =>
    kube("security.istio.io/v1", "PeerAuthentication", { name: "default", namespace }, { spec: { mtls: { mode } } });

export const injectionLabel = (namespace = NS, value = "enabled"): Fixture =>
    kube("v1", "Namespace", { name: namespace, labels: { "istio-injection": value } }, {}, { patch: true });

export const redisStatefulSet = (namespace = NS, extra: { args?: string[]; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Fixture =>
    kube("apps/v1", "StatefulSet", { name: "spin-redis", namespace }, {
        spec: {
            serviceName: "spin-redis-headless",
            selector: { matchLabels: { app: "redis" } },
            template: {
                metadata: { labels: { app: "redis", ...extra.labels }, annotations: extra.annotations ?? {} },
                spec: { containers: [{ name: "redis", image: "redis:7.2.7", args: extra.args ?? ["/etc/redis/redis.conf"] }] },
            },
        },
    });

const javaProfile = (svc: string, clientAuth = "need") => {
    const ref = (k: string) => `encryptedFile:k8s!n:spin-${svc}-tls!k:${k}`;
    const pw = (k: string) => `encrypted:k8s!n:spin-${svc}-tls!k:${k}`;
    return {
        server: {
            ssl: {
                enabled: true,
                "key-store": ref("keystore.p12"),
                "key-store-type": "PKCS12",
                "key-store-password": pw("keystore-password"),
                "trust-store": ref("truststore.p12"),
                "trust-store-type": "PKCS12",
                "trust-store-password": pw("truststore-password"),
                "client-auth": clientAuth,
            },
        },
        "ok-http-client": { "key-store": ref("keystore.p12"), "key-store-password": pw("keystore-password"), "trust-store": ref("truststore.p12"), "trust-store-password": pw("truststore-password") },
        redis: { connection: `rediss://spin-redis.${NS}.svc.cluster.local:6379` },
    };
};

export const JAVA = ["clouddriver", "echo", "front50", "gate", "orca", "rosco"];

/** A whole SpinnakerService with every always-deployed service on mutual TLS. */
export function spinnakerService(opts: { patch?: boolean; clientAuth?: string; group?: string } = {}): Fixture {
    const profiles: Record<string, unknown> = Object.fromEntries(JAVA.map((s) => [s, javaProfile(s, opts.clientAuth)]));
    const settings: Record<string, unknown> = Object.fromEntries(JAVA.map((s) => [s, { kubernetes: { useTcpProbe: true } }]));
    settings.deck = { env: { DECK_CERT: "/opt/deck/secrets/spin-deck-tls/tls.crt", DECK_KEY: "/opt/deck/secrets/spin-deck-tls/tls.key" }, kubernetes: { useTcpProbe: true } };
    return kube(`${opts.group ?? "spinnaker.io"}/v1alpha2`, "SpinnakerService", { name: "spinnaker", namespace: NS }, { spec: { spinnakerConfig: { profiles, "service-settings": settings } } }, opts);
}

export const goProfile = (svc: string) => ({
    server: {
        ssl: {
            enabled: true,
            certFile: `encryptedFile:k8s!n:spin-${svc}-tls!k:tls.crt`,
            keyFile: `encryptedFile:k8s!n:spin-${svc}-tls!k:tls.key`,
            cacertFile: `encryptedFile:k8s!n:spin-${svc}-tls!k:ca.crt`,
            clientAuth: "need",
        },
    },
});

/** Shortcut into a fixture's spinnakerConfig. */
export const spinnakerConfig = (f: Fixture): Record<string, Record<string, Record<string, unknown>>> =>
    (f.inputs.spec as Record<string, unknown>).spinnakerConfig as Record<string, Record<string, Record<string, unknown>>>;

/** Allows only Spinnaker's namespace (everything) and the gateway (Deck and Gate). */
export const authorizationPolicies = (): Fixture[] => [
    kube("security.istio.io/v1", "AuthorizationPolicy", { name: "allow-namespace", namespace: NS }, { spec: { action: "ALLOW", rules: [{ from: [{ source: { namespaces: [NS] } }] }] } }),
    ...["deck", "gate"].map((s) =>
        kube("security.istio.io/v1", "AuthorizationPolicy", { name: `allow-ingress-${s}`, namespace: NS }, {
            spec: { action: "ALLOW", selector: { matchLabels: { cluster: `spin-${s}` } }, rules: [{ from: [{ source: { principals: [GATEWAY_PRINCIPAL] } }] }] },
        }),
    ),
];
