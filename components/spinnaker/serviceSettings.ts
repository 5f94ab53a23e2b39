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
import type { RedisPlan } from "../redis/redisClients";
import { SERVICE_CATALOG, ServiceName, kubernetesServiceName } from "../pki/serviceCatalog";
import { JDK_JAVA_OPTIONS, argfileReference } from "./jvmArgfile";
import { JVM_OPTIONS_KEY, jvmOptionsSecretName } from "./jvmOptions";
import { secretFilePath } from "./mounts";
import { SecretKeyRef, TlsMaterial } from "../pki/tlsMaterial";
import { SettingsTree, mergeTrees, secretFile, secretString } from "./settingsTree";

export interface SpinnakerSettingsInput {
    readonly namespace: string;
    readonly services: readonly ServiceName[];
    /** want while rolling mTLS out to a running Spinnaker, then need. */
    readonly clientAuth: ClientAuth;
    readonly tls: Readonly<Partial<Record<ServiceName, TlsMaterial>>>;
    readonly redis: RedisPlan;
    /** The shared JVM-wide trust store, when any Java service uses Redis. */
    readonly jvmTrustStore?: SecretKeyRef;
    /** Spinnaker runs in an Istio mesh. */
    readonly mesh?: MeshSettings;
    /**
     * The TLS Secrets change outside Pulumi (cert-manager renews them): have
     * Stakater Reloader restart a service's pods when its Secrets change, since
     * Java reads its keystores only at start.
     */
    readonly reloadOnSecretChange?: boolean;
}

export interface MeshSettings {
    /** Sidecars by pod label rather than by namespace label. */
    readonly perServiceInjection: boolean;
    /**
     * The Istio ingress serves Deck and Gate at this host. The gateway cannot
     * originate TLS inside the mesh's mutual TLS (Istio supports no double
     * encapsulation), so their listeners speak plain HTTP to their sidecars;
     * the mesh's STRICT mTLS and an AuthorizationPolicy admitting only the
     * gateway protect that hop.
     */
    readonly edge?: { readonly host: string };
}

/** Strategic-merge patches the Operator applies to a service's generated objects (spec.kustomize). */
export interface KustomizePatches {
    readonly service?: object;
    readonly deployment?: object;
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
    /** service-settings.redis */
    readonly redisServiceSettings: SettingsTree;
    /** Halconfig settings (spec.spinnakerConfig.config): the external URLs behind an ingress. */
    readonly config?: SettingsTree;
}

/** Gate's API behind the ingress: the path the VirtualService routes to it, and its servlet context path. */
export const GATE_API_PATH = "/api/v1";

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
    if (!t.keystore || !t.truststore || !t.keystorePassword || !t.truststorePassword) throw new Error(`${service}: Java services need PKCS#12 stores and their passwords`);
    const keyStore = secretFile(t.secret, t.keystore);
    const keyStorePassword = secretString(t.keystorePassword.secret, t.keystorePassword.key);
    const trustStore = secretFile(t.secret, t.truststore);
    const trustStorePassword = secretString(t.truststorePassword.secret, t.truststorePassword.key);
    const stores = {
        "key-store": keyStore,
        "key-store-type": "PKCS12",
        "key-store-password": keyStorePassword,
        "trust-store": trustStore,
        "trust-store-type": "PKCS12",
        "trust-store-password": trustStorePassword,
    };
    const redis = input.redis.services[service];
    const jvmOptions = { secret: jvmOptionsSecretName(service), key: JVM_OPTIONS_KEY };
    const usesRedis = redis?.client === "kork";
    if (usesRedis && !input.jvmTrustStore) throw new Error(`${service}: a Redis client needs the JVM trust store`);
    const edge = service === "gate" && input.mesh?.edge !== undefined;
    return {
        profile: mergeTrees(
            // Behind the ingress Gate serves plain HTTP to its sidecar, under the path the gateway routes to it.
            edge ? { server: { ssl: { enabled: false }, servlet: { "context-path": GATE_API_PATH } } } : { server: { ssl: { enabled: true, ...stores, "client-auth": input.clientAuth } } },
            { "ok-http-client": stores },
            usesRedis ? redis.profile : {},
            // The Operator mounts only the Secret files a profile references; these
            // two are read by the JVM (through JDK_JAVA_OPTIONS), not by Spring.
            {
                "spinnaker-mtls": {
                    mounts: {
                        "jvm-options": secretFile(jvmOptions.secret, jvmOptions.key),
                        ...(usesRedis ? { "jvm-truststore": secretFile(input.jvmTrustStore!.secret, input.jvmTrustStore!.key) } : {}),
                    },
                },
            },
        ),
        serviceSettings: {
            baseUrl: edge ? meshBaseUrl(service, input.namespace) : httpsBaseUrl(service, input.namespace),
            kubernetes: { useTcpProbe: true },
            env: { [JDK_JAVA_OPTIONS]: argfileReference(secretFilePath(service, jvmOptions)) },
        },
        volumes: [],
    };
}

function goConfig(service: ServiceName, t: TlsMaterial, input: SpinnakerSettingsInput): ServiceConfig {
    const cert = secretFile(t.secret, t.certificate);
    const key = secretFile(t.secret, t.privateKey);
    const ca = secretFile(t.secret, t.caCertificate);
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

function deckConfig(t: TlsMaterial, input: SpinnakerSettingsInput): ServiceConfig {
    if (input.mesh?.edge) {
        // Behind the ingress Deck serves plain HTTP to its sidecar (see MeshSettings.edge).
        return { profile: {}, serviceSettings: { baseUrl: meshBaseUrl("deck", input.namespace), kubernetes: { useTcpProbe: true } }, volumes: [] };
    }
    return {
        profile: {},
        serviceSettings: {
            baseUrl: httpsBaseUrl("deck", input.namespace),
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
function meshAndRenewal(service: ServiceName, t: TlsMaterial, cfg: ServiceConfig, input: SpinnakerSettingsInput): ServiceConfig {
    let out = cfg;
    if (input.mesh?.perServiceInjection) {
        out = { ...out, serviceSettings: mergeTrees(out.serviceSettings, { kubernetes: { podLabels: { "sidecar.istio.io/inject": "true" } } }) };
    }
    const kustomize: { service?: object; deployment?: object } = {};
    if (input.mesh) {
        // The Operator names each Service's port "http", which makes Istio parse the
        // bytes as HTTP: a service's own TLS must be declared opaque TCP instead.
        kustomize.service = { spec: { ports: [{ port: SERVICE_CATALOG[service].port, appProtocol: servesPlainHttp(service, input) ? "http" : "tcp" }] } };
    }
    if (input.reloadOnSecretChange) {
        const secrets = [...new Set([t.secret, t.keystorePassword?.secret].filter((s): s is string => s !== undefined))].sort();
        kustomize.deployment = { metadata: { annotations: { "secret.reloader.stakater.com/reload": secrets.join(",") } } };
    }
    return Object.keys(kustomize).length ? { ...out, kustomize } : out;
}

export function buildSpinnakerSettings(input: SpinnakerSettingsInput): SpinnakerSettings {
    const services: Partial<Record<ServiceName, ServiceConfig>> = {};
    for (const service of input.services) {
        const t = input.tls[service];
        if (!t) throw new Error(`${service}: no TLS material`);
        const runtime = SERVICE_CATALOG[service].runtime;
        const cfg = runtime === "java" ? javaConfig(service, t, input) : runtime === "go" ? goConfig(service, t, input) : deckConfig(t, input);
        services[service] = meshAndRenewal(service, t, cfg, input);
    }
    const edge = input.mesh?.edge;
    return {
        services,
        redisServiceSettings: input.redis.redisServiceSettings,
        ...(edge ? { config: { security: { uiSecurity: { overrideBaseUrl: `https://${edge.host}` }, apiSecurity: { overrideBaseUrl: `https://${edge.host}${GATE_API_PATH}` } } } } : {}),
    };
}
