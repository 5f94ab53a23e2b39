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

export interface SpinnakerService {
    readonly name: ServiceName;
    readonly port: number;
    readonly runtime: ServiceRuntime;
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
    clouddriver: { name: "clouddriver", port: 7002, runtime: "java" },
    deck: { name: "deck", port: 9000, runtime: "deck" },
    dinghy: { name: "dinghy", port: 8081, runtime: "go" },
    echo: { name: "echo", port: 8089, runtime: "java" },
    fiat: { name: "fiat", port: 7003, runtime: "java" },
    front50: { name: "front50", port: 8080, runtime: "java" },
    gate: { name: "gate", port: 8084, runtime: "java" },
    igor: { name: "igor", port: 8088, runtime: "java" },
    kayenta: { name: "kayenta", port: 8090, runtime: "java" },
    orca: { name: "orca", port: 8083, runtime: "java" },
    rosco: { name: "rosco", port: 8087, runtime: "java" },
    terraformer: { name: "terraformer", port: 7088, runtime: "go" },
};

export function isServiceName(name: string): name is ServiceName {
    return (SERVICE_NAMES as readonly string[]).includes(name);
}

/** The Kubernetes Service name Spinnaker's Operator and Halyard give a service. */
export const kubernetesServiceName = (service: ServiceName): string => `spin-${service}`;

/**
 * The DNS names a service is reached by inside the cluster, shortest first:
 * `spin-<svc>`, `spin-<svc>.<ns>`, `spin-<svc>.<ns>.svc`, `spin-<svc>.<ns>.svc.cluster.local`.
 */
export function inClusterDnsNames(service: ServiceName, namespace: string): string[] {
    const base = kubernetesServiceName(service);
    return [base, `${base}.${namespace}`, `${base}.${namespace}.svc`, `${base}.${namespace}.svc.cluster.local`];
}
