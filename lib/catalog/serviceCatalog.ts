// Every Spinnaker service this program can secure, with the port it serves on
// and how it reads TLS material. Ports are Spinnaker's defaults (spinnaker.io
// "Spinnaker architecture" port table; Armory docs for Dinghy and Terraformer).

/** How a service loads its certificate. */
export type ServiceRuntime =
    /** Spring Boot: PKCS#12 keystore + truststore (`server.ssl`, `ok-http-client`). */
    | "java"
    /** Armory's Go services: PEM files (`server.ssl.certFile`, `http.clientCertFile`). */
    | "go"
    /** Deck: static UI behind Apache, PEM certificate and key. */
    | "deck";

/**
 * How a service uses Redis: through kork's Jedis client (Java), through the
 * Go services' own client, or not at all (Deck serves static files; front50
 * keeps its data in object storage or SQL).
 */
export type RedisUse = "kork" | "go" | "none";

export interface SpinnakerService {
    readonly name: ServiceName;
    readonly port: number;
    readonly runtime: ServiceRuntime;
    readonly redis: RedisUse;
}

export const SERVICE_NAMES = [
    "clouddriver",
    "deck",
    "dinghy",
    "echo",
    "fiat",
    "front50",
    "gate",
    "igor",
    "kayenta",
    "orca",
    "rosco",
    "terraformer",
] as const;

export type ServiceName = (typeof SERVICE_NAMES)[number];

export const SERVICE_CATALOG: Readonly<Record<ServiceName, SpinnakerService>> = {
    clouddriver: { name: "clouddriver", port: 7002, runtime: "java", redis: "kork" },
    deck: { name: "deck", port: 9000, runtime: "deck", redis: "none" },
    dinghy: { name: "dinghy", port: 8081, runtime: "go", redis: "go" },
    echo: { name: "echo", port: 8089, runtime: "java", redis: "kork" },
    fiat: { name: "fiat", port: 7003, runtime: "java", redis: "kork" },
    front50: { name: "front50", port: 8080, runtime: "java", redis: "none" },
    gate: { name: "gate", port: 8084, runtime: "java", redis: "kork" },
    igor: { name: "igor", port: 8088, runtime: "java", redis: "kork" },
    kayenta: { name: "kayenta", port: 8090, runtime: "java", redis: "kork" },
    orca: { name: "orca", port: 8083, runtime: "java", redis: "kork" },
    rosco: { name: "rosco", port: 8087, runtime: "java", redis: "kork" },
    terraformer: { name: "terraformer", port: 7088, runtime: "go", redis: "go" },
};

export function isServiceName(name: string): name is ServiceName {
    return (SERVICE_NAMES as readonly string[]).includes(name);
}

/** The Kubernetes Service name Spinnaker's Operator and Halyard give a service (and this program gives Redis). */
export const kubernetesServiceName = (name: string): string => `spin-${name}`;

/**
 * The DNS names a service is reached by inside the cluster, shortest first:
 * `spin-<svc>`, `spin-<svc>.<ns>`, `spin-<svc>.<ns>.svc`, `spin-<svc>.<ns>.svc.cluster.local`.
 */
export function inClusterDnsNames(name: string, namespace: string): string[] {
    const base = kubernetesServiceName(name);
    return [base, `${base}.${namespace}`, `${base}.${namespace}.svc`, `${base}.${namespace}.svc.cluster.local`];
}

/** A Service's fully qualified in-cluster name: spin-<name>.<ns>.svc.cluster.local. */
export const clusterLocalHost = (name: string, namespace: string): string => `${kubernetesServiceName(name)}.${namespace}.svc.cluster.local`;

/** Every SAN of an identity's certificate, whichever backend issues it: the in-cluster names, then any extra. */
export const identityDnsNames = (name: string, namespace: string, extra: readonly string[] = []): string[] => [...inClusterDnsNames(name, namespace), ...extra];
