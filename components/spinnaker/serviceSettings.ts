// Every Spinnaker setting this program owns, per service, as settings trees:
// the one source both the Operator patch and the Halyard files render. Pure;
// the component adds only the checksums that roll pods.
//
// Keys are spelled as Spinnaker reads them: Java services bind `server.ssl.*`
// to Spring Boot's Ssl properties and `ok-http-client.*` to kork's
// OkHttpClientConfigurationProperties (relaxed binding, so key-store ==
// keyStore); Armory's Go services read `server.ssl` and `http` through
// go-yaml-tools (certFile, keyFile, cacertFile, clientAuth; cacertFile,
// clientCertFile, clientKeyFile). Deck is Apache: its container turns HTTPS
// on when DECK_CERT and DECK_KEY name PEM files.
import type { ClientAuth } from "../config/pkiConfig";
import { HA_SPLITS, HaService } from "../config/spinnakerConfig";
import type { RedisPlan } from "../redis/redisClients";
import { SERVICE_CATALOG, ServiceName, kubernetesServiceName } from "../../lib/catalog/serviceCatalog";
import { JDK_JAVA_OPTIONS, argfileReference } from "./jvmArgfile";
import { JVM_OPTIONS_KEY, jvmOptionsSecretName } from "./jvmOptions";
import { secretFilePath, secretMountDir } from "./mounts";
import { SecretKeyRef, TlsMaterial, trustSecretOf } from "../pki/tlsMaterial";
import { SettingsTree, mergeTrees, secretFile, secretRefs, secretString } from "./settingsTree";

export interface SpinnakerSettingsInput {
    readonly namespace: string;
    readonly services: readonly ServiceName[];
    /** want while rolling mTLS out to a running Spinnaker, then need. */
    readonly clientAuth: ClientAuth;
    readonly tls: Readonly<Partial<Record<ServiceName, TlsMaterial>>>;
    readonly redis: RedisPlan;
    /**
     * The shared JVM-wide trust store (Spinnaker CA, public roots, extra CAs),
     * needed when any Java service is enabled: every ok-http-client trusts it,
     * and Redis clients' JVMs use it.
     */
    readonly jvmTrustStore?: SecretKeyRef & { readonly passwordKey: SecretKeyRef };
    /** Spinnaker runs in an Istio mesh. */
    readonly mesh?: MeshSettings;
    /**
     * The TLS Secrets change outside Pulumi (cert-manager renews them): have
     * Stakater Reloader restart a service's pods when its Secrets change, since
     * Java reads its keystores only at start.
     */
    readonly reloadOnSecretChange?: boolean;
    /** The https URLs browsers reach Gate and Deck at, when there is no ingress (stack config). */
    readonly browserUrls?: { readonly gate?: string; readonly deck?: string };
    /** Services run as Spinnaker's high-availability split: their split services get the same TLS wiring. */
    readonly haServices?: readonly HaService[];
    /** The user's own strategic-merge patches of each service's Service (spinnakerServicePatches), written before the program's. */
    readonly userServicePatches?: Readonly<Partial<Record<ServiceName, readonly object[]>>>;
}

export interface MeshSettings {
    /** Sidecars by pod label rather than by namespace label. */
    readonly perServiceInjection: boolean;
    /**
     * The user agreed (istioServicePortPatch) that the program owns each
     * Service's kustomize patch list, to declare its port's protocol.
     */
    readonly servicePortPatch: boolean;
    /**
     * The Istio ingress serves Deck and Gate at this host. The gateway cannot
     * originate TLS inside the mesh's mutual TLS (Istio supports no double
     * encapsulation), so their listeners speak plain HTTP to their sidecars;
     * the mesh's STRICT mTLS and an AuthorizationPolicy admitting only the
     * gateway protect that hop.
     */
    readonly edge?: { readonly host: string };
}

/** Strategic-merge patches the Operator applies to a service's generated objects (spec.kustomize), in order. */
export interface KustomizePatches {
    readonly service?: readonly object[];
    readonly deployment?: readonly object[];
}

export interface ServiceConfig {
    /** The service's profile (<svc>-local.yml); may hold Secret references. Empty for Deck. */
    readonly profile: SettingsTree;
    /** Its service-settings; plain values only. */
    readonly serviceSettings: SettingsTree;
    /** Secrets mounted as volumes in both renderings (files read outside Spinnaker config). */
    readonly volumes: readonly string[];
    /** Operator only (Halyard has no kustomize; its files come with the equivalent kubectl commands). */
    readonly kustomize?: KustomizePatches;
}

export interface SpinnakerSettings {
    readonly services: Readonly<Partial<Record<ServiceName, ServiceConfig>>>;
    /**
     * The high-availability split services (clouddriver-ro, echo-worker...):
     * their service-settings, copied from the service they split, and which
     * service that is (their pods read its Secrets and roll with its checksums).
     */
    readonly splitServices: Readonly<Record<string, { readonly of: ServiceName; readonly serviceSettings: SettingsTree }>>;
    /** service-settings.redis */
    readonly redisServiceSettings: SettingsTree;
    /** Halconfig settings (spec.spinnakerConfig.config): the external URLs behind an ingress. */
    readonly config?: SettingsTree;
}

/** Gate's API behind the ingress: the path the VirtualService routes to it, and its servlet context path. */
export const GATE_API_PATH = "/api/v1";

/**
 * Without the ingress, Gate's second listener (`default.apiPort`): Gate's
 * Tomcat customizer copies server.ssl onto it with client auth NEED, while
 * its main port asks browsers for a certificate without requiring one
 * (browsers running Deck carry none). 8085 is the port Spinnaker's x509 setup
 * and the Operator's spin-gate-x509 Service use.
 */
export const GATE_API_PORT = 8085;

/** The keys of `server.ssl` a Java service gets, in Spring Boot's relaxed spelling. */
export const JAVA_SERVER_SSL_KEYS = ["enabled", "key-store", "key-store-type", "key-store-password", "trust-store", "trust-store-type", "trust-store-password", "client-auth"] as const;
export const JAVA_OK_HTTP_CLIENT_KEYS = ["key-store", "key-store-type", "key-store-password", "trust-store", "trust-store-type", "trust-store-password"] as const;
export const GO_SERVER_SSL_KEYS = ["enabled", "certFile", "keyFile", "cacertFile", "clientAuth"] as const;
export const GO_HTTP_KEYS = ["cacertFile", "clientCertFile", "clientKeyFile"] as const;

/** Deck and Gate behind the Istio ingress: plain HTTP to their sidecars, which carry the mesh's mutual TLS. */
export const meshBaseUrl = (service: ServiceName, namespace: string): string => `http://${kubernetesServiceName(service)}.${namespace}:${SERVICE_CATALOG[service].port}`;

/** The URL other services call a service at, once it serves HTTPS. */
export const httpsBaseUrl = (service: ServiceName, namespace: string): string =>
    `https://${kubernetesServiceName(service)}.${namespace}:${SERVICE_CATALOG[service].port}`;

function javaConfig(service: ServiceName, t: TlsMaterial, input: SpinnakerSettingsInput): ServiceConfig {
    if (!t.keystore || !t.truststore || !t.keystorePassword || !t.truststorePassword) throw new Error(`${service}: Java services need key and trust stores and their passwords`);
    const keyStore = secretFile(t.secret, t.keystore);
    const keyStorePassword = secretString(t.keystorePassword.secret, t.keystorePassword.key);
    const trustStore = secretFile(trustSecretOf(t), t.truststore);
    const trustStorePassword = secretString(t.truststorePassword.secret, t.truststorePassword.key);
    const storeType = t.storeType ?? "PKCS12";
    const serverStores = {
        "key-store": keyStore,
        "key-store-type": storeType,
        "key-store-password": keyStorePassword,
        // The server trusts client certificates from the Spinnaker CA only.
        "trust-store": trustStore,
        "trust-store-type": storeType,
        "trust-store-password": trustStorePassword,
    };
    // kork builds the trust manager of every OkHttp client from this store
    // alone, and the same clients call Slack, GitHub, Jenkins and the like
    // (echo, igor): it must hold the public roots and any extra CAs beside the
    // Spinnaker CA, which is exactly the JVM-wide trust store.
    const jvmTrust = input.jvmTrustStore;
    if (!jvmTrust) throw new Error(`${service}: Java services need the JVM trust store for their ok-http-client`);
    const clientStores = {
        "key-store": keyStore,
        "key-store-type": storeType,
        "key-store-password": keyStorePassword,
        "trust-store": secretFile(jvmTrust.secret, jvmTrust.key),
        "trust-store-type": "PKCS12",
        "trust-store-password": secretString(jvmTrust.passwordKey.secret, jvmTrust.passwordKey.key),
    };
    const redis = input.redis.services[service];
    const jvmOptions = { secret: jvmOptionsSecretName(service), key: JVM_OPTIONS_KEY };
    const usesRedis = redis?.client === "kork";
    const edge = service === "gate" && input.mesh?.edge !== undefined;
    // Gate without the ingress: browsers on the main port (want), every certificate-bearing caller on the API port (need).
    const browserFacing = service === "gate" && !edge;
    return {
        profile: mergeTrees(
            // Behind the ingress Gate serves plain HTTP to its sidecar, under the path the gateway routes to it.
            edge
                ? { server: { ssl: { enabled: false }, servlet: { "context-path": GATE_API_PATH } } }
                : { server: { ssl: { enabled: true, ...serverStores, "client-auth": browserFacing ? "want" : input.clientAuth } } },
            browserFacing ? { default: { apiPort: GATE_API_PORT } } : {},
            { "ok-http-client": clientStores },
            usesRedis ? redis.profile : {},
            // The Operator mounts only the Secret files a profile references; these
            // two are read by the JVM (through JDK_JAVA_OPTIONS), not by Spring.
            {
                "spinnaker-mtls": {
                    mounts: {
                        "jvm-options": secretFile(jvmOptions.secret, jvmOptions.key),
                    },
                },
            },
        ),
        serviceSettings: {
            ...baseUrlSetting(service, input),
            kubernetes: { useTcpProbe: true },
            env: { [JDK_JAVA_OPTIONS]: argfileReference(secretFilePath(service, jvmOptions)) },
        },
        volumes: [],
    };
}

/**
 * A service's service-settings baseUrl: where the other services call it. Not
 * Gate's and Deck's without the ingress: Halyard hands Gate's baseUrl to
 * Deck's browser code (unless apiSecurity.overrideBaseUrl is set), where an
 * in-cluster name resolves nowhere; their browser URLs come from stack config.
 */
function baseUrlSetting(service: ServiceName, input: SpinnakerSettingsInput): { baseUrl?: string } {
    if (servesPlainHttp(service, input)) return { baseUrl: meshBaseUrl(service, input.namespace) };
    if (service === "gate" || service === "deck") return {};
    return { baseUrl: httpsBaseUrl(service, input.namespace) };
}

function goConfig(service: ServiceName, t: TlsMaterial, input: SpinnakerSettingsInput): ServiceConfig {
    const cert = secretFile(t.secret, t.certificate);
    const key = secretFile(t.secret, t.privateKey);
    const ca = secretFile(trustSecretOf(t), t.caCertificate);
    const redis = input.redis.services[service];
    return {
        profile: mergeTrees(
            { server: { ssl: { enabled: true, certFile: cert, keyFile: key, cacertFile: ca, clientAuth: input.clientAuth } } },
            { http: { cacertFile: ca, clientCertFile: cert, clientKeyFile: key } },
            redis?.client === "go-tls-only" ? redis.profile : {},
        ),
        serviceSettings: {
            baseUrl: httpsBaseUrl(service, input.namespace),
            kubernetes: { useTcpProbe: true },
            // Go reads extra roots from SSL_CERT_FILE and keeps the system directories:
            // their Redis client then trusts the Spinnaker CA too.
            env: { SSL_CERT_FILE: secretFilePath(service, ca) },
        },
        volumes: [],
    };
}

function deckConfig(t: TlsMaterial | undefined, input: SpinnakerSettingsInput): ServiceConfig {
    if (input.mesh?.edge) {
        // Behind the ingress Deck serves plain HTTP to its sidecar (see MeshSettings.edge), and
        // calls nothing itself (browsers call Gate): it has no certificate of its own to mount.
        return { profile: {}, serviceSettings: { ...baseUrlSetting("deck", input), kubernetes: { useTcpProbe: true } }, volumes: [] };
    }
    if (!t) throw new Error("deck: no TLS material, and it serves HTTPS itself without the ingress");
    return {
        profile: {},
        serviceSettings: {
            kubernetes: { useTcpProbe: true },
            env: { DECK_CERT: secretFilePath("deck", { secret: t.secret, key: t.certificate }), DECK_KEY: secretFilePath("deck", { secret: t.secret, key: t.privateKey }) },
        },
        // Deck has no YAML profile for the Operator to find references in.
        volumes: [t.secret],
    };
}

/** Whether a service's own port speaks plain HTTP (Deck and Gate behind the ingress) or its own TLS. */
export const servesPlainHttp = (service: ServiceName, input: Pick<SpinnakerSettingsInput, "mesh">): boolean => !!input.mesh?.edge && (service === "deck" || service === "gate");

/** What a mesh and cert-manager add to a service: its sidecar label, its port's protocol, a restart on renewal. */
function meshAndRenewal(service: ServiceName, t: TlsMaterial | undefined, cfg: ServiceConfig, input: SpinnakerSettingsInput): ServiceConfig {
    let out = cfg;
    if (input.mesh?.perServiceInjection) {
        out = { ...out, serviceSettings: mergeTrees(out.serviceSettings, { kubernetes: { podLabels: { "sidecar.istio.io/inject": "true" } } }) };
    }
    if (input.reloadOnSecretChange && t) {
        // Reloader reads its annotation from the pod template too, and pod
        // annotations are a map that merges under server-side apply, unlike the
        // kustomize patch lists, which the Operator's CRD makes atomic.
        // Not the program's trust bundle (t.trustSecret): the program writes it, and the pods' checksum
        // annotation rolls them when it changes; Reloader as well would restart each service twice.
        const secrets = [...new Set([t.secret, t.keystorePassword?.secret].filter((s): s is string => s !== undefined))].sort();
        out = { ...out, serviceSettings: mergeTrees(out.serviceSettings, { kubernetes: { podAnnotations: { [RELOADER_ANNOTATION]: secrets.join(",") } } }) };
    }
    if (input.mesh?.servicePortPatch) {
        // The Operator names each Service's port "http", which makes Istio parse the
        // bytes as HTTP: a service's own TLS must be declared opaque TCP instead.
        // Only by explicit opt-in: this list is owned whole (see MeshSettings).
        return { ...out, kustomize: { service: [{ spec: { ports: [{ port: SERVICE_CATALOG[service].port, appProtocol: servesPlainHttp(service, input) ? "http" : "tcp" }] } }] } };
    }
    return out;
}

/** Stakater Reloader's annotation naming the Secrets whose change restarts a workload's pods. */
export const RELOADER_ANNOTATION = "secret.reloader.stakater.com/reload";

export function buildSpinnakerSettings(input: SpinnakerSettingsInput): SpinnakerSettings {
    const services: Partial<Record<ServiceName, ServiceConfig>> = {};
    for (const service of input.services) {
        const t = input.tls[service];
        const runtime = SERVICE_CATALOG[service].runtime;
        if (!t && runtime !== "deck") throw new Error(`${service}: no TLS material`);
        const cfg = runtime === "java" ? javaConfig(service, t!, input) : runtime === "go" ? goConfig(service, t!, input) : deckConfig(t, input);
        const withMesh = meshAndRenewal(service, t, cfg, input);
        // The user's own Service patches (spinnakerServicePatches) go first, the program's port
        // protocol last: the list is written whole, and the protocol Istio needs must win.
        const own = input.userServicePatches?.[service] ?? [];
        services[service] = own.length ? { ...withMesh, kustomize: { ...withMesh.kustomize, service: [...own, ...(withMesh.kustomize?.service ?? [])] } } : withMesh;
    }
    const splitServices: Record<string, { of: ServiceName; serviceSettings: SettingsTree }> = {};
    for (const base of input.haServices ?? []) {
        const cfg = services[base];
        if (!cfg) throw new Error(`haServices: ${base} is not enabled`);
        // The split services run the same image with the same profile; only their name, and so their URL, differs.
        // Their pods mount the Secrets of the service they split, at its paths, explicitly (Halyard's
        // KubernetesSettings.volumes), so that the paths in its argfile and env hold
        // whatever path the Operator gives the split deployments' own mounts.
        const secrets = [...new Set([...secretRefs(cfg.profile).map(({ ref }) => ref.secret), ...cfg.volumes])].sort();
        const volumes = secrets.map((secret) => ({ id: secret, type: "secret", mountPath: secretMountDir(base, secret) }));
        for (const split of HA_SPLITS[base]) {
            const rest = Object.fromEntries(Object.entries(cfg.serviceSettings).filter(([k]) => k !== "baseUrl"));
            splitServices[split] = {
                of: base,
                serviceSettings: mergeTrees({ baseUrl: `https://${kubernetesServiceName(split)}.${input.namespace}:${SERVICE_CATALOG[base].port}`, ...rest }, { kubernetes: { volumes } }),
            };
        }
    }
    const edge = input.mesh?.edge;
    const ui = edge ? `https://${edge.host}` : input.browserUrls?.deck;
    const api = edge ? `https://${edge.host}${GATE_API_PATH}` : input.browserUrls?.gate;
    const security = { ...(ui ? { uiSecurity: { overrideBaseUrl: ui } } : {}), ...(api ? { apiSecurity: { overrideBaseUrl: api } } : {}) };
    // The patch owns the split switch of the services the stack splits, and no other: a user's
    // own split of another service (set with kubectl or GitOps) stays theirs, and a stack
    // without haServices owns no switch at all (server-side apply would otherwise turn a
    // user's split off with patchForce, or conflict without it).
    const haSwitch = (input.haServices ?? []).filter((s) => input.services.includes(s));
    const config: SettingsTree = {
        ...(Object.keys(security).length ? { security } : {}),
        ...(haSwitch.length ? { deploymentEnvironment: { haServices: Object.fromEntries(haSwitch.map((s) => [s, { enabled: true }])) } } : {}),
    };
    return {
        services,
        splitServices,
        redisServiceSettings: input.redis.redisServiceSettings,
        ...(Object.keys(config).length ? { config } : {}),
    };
}
