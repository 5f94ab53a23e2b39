import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { RedisResources } from "../config/redisConfig";
import { quantityValue } from "../config/reader";
import { managedLabels } from "../kubernetes/labels";
import { clusterLocalHost, kubernetesServiceName } from "../../lib/catalog/serviceCatalog";
import { TLS_RELOAD_INTERVAL_ENV, TLS_RELOAD_INTERVAL_SECONDS, redisProbeScript, redisStartScript, redisTlsReloadScript } from "./redisCommands";
import { REDIS_PATHS, REDIS_PORT, maxmemoryFor, renderRedisConf } from "./redisConf";
import { redisUrl } from "./redisClients";

export interface RedisTlsArgs {
    /** Short name: objects are spin-<name>, spin-<name>-headless, ... ("redis" is the one Spinnaker expects). */
    readonly name: string;
    readonly namespace: string;
    readonly image: string;
    /** Replicas besides the primary. */
    readonly replicas: number;
    readonly storageSize: string;
    readonly storageClass?: string;
    readonly resources: RedisResources;
    /** yes for Spinnaker's Java services; no only for the Go services' own Redis. */
    readonly clientAuth: "yes" | "no";
    /**
     * The server certificate's Secret (tls.crt, tls.key, ca.crt), and, when the CAs to trust are in
     * another Secret (the program's trust bundle beside cert-manager's certificates), that Secret's name:
     * Redis then reads its ca.crt from there.
     */
    readonly tls: { readonly secretName: pulumi.Input<string>; readonly trustSecretName?: pulumi.Input<string> };
    /** When set, a NetworkPolicy admits only pods whose `cluster` label is one of these (besides the Redis pods). */
    readonly allowedClusters?: readonly string[];
    /** Extra pod-template labels (sidecar injection). */
    readonly podLabels?: Readonly<Record<string, string>>;
    /** Extra pod-template annotations (the Otterize operator's, which issue the certificate to these pods). */
    readonly podAnnotations?: pulumi.Input<Record<string, string>>;
}

/** The DNS names of the pods, which replicas connect to and the certificate must carry. */
export function redisPodDnsNames(name: string, namespace: string, replicas: number): string[] {
    const headless = `${kubernetesServiceName(name)}-headless`;
    // Only the pods' own names: replicas dial the primary by its pod name, and nothing dials the
    // headless Service itself (the certManager e2e judges the SANs against the names callers use).
    return Array.from({ length: replicas + 1 }, (_, i) => `${kubernetesServiceName(name)}-${i}.${headless}.${namespace}.svc.cluster.local`);
}


const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** The container that makes Redis load a renewed certificate without a restart. */
export const TLS_RELOAD_CONTAINER = "tls-reload";

/** The same hardening as the Redis container: it only reads the mounted files and talks to 127.0.0.1. */
const containerSecurity = (): k8s.types.input.core.v1.SecurityContext => ({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
});

const tlsMount: k8s.types.input.core.v1.VolumeMount = { name: "tls", mountPath: REDIS_PATHS.tlsDir, readOnly: true };

/**
 * A Redis that speaks only TLS: a StatefulSet (primary plus optional
 * replicas replicating over TLS), its redis.conf in a ConfigMap, the Service
 * Spinnaker connects to (the primary only) and a headless Service for the
 * pods, a PodDisruptionBudget, and optionally a NetworkPolicy.
 */
export class RedisTls extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:redis:RedisTls";

    readonly serviceName: pulumi.Output<string>;
    readonly headlessServiceName: pulumi.Output<string>;
    /** rediss://spin-<name>.<ns>.svc.cluster.local:6379 */
    readonly url: pulumi.Output<string>;
    /** The redis.conf the pods run with (no secrets in it). */
    readonly redisConf: pulumi.Output<string>;

    constructor(name: string, args: RedisTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(RedisTls.TYPE, name, {}, opts);
        const base = kubernetesServiceName(args.name);
        const headless = `${base}-headless`;
        const labels = managedLabels(base);
        const selector = { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": base };
        const memoryLimit = quantityValue(args.resources.memoryLimit)!;
        const conf = renderRedisConf({ clientAuth: args.clientAuth, maxmemoryBytes: maxmemoryFor(memoryLimit) });
        // Redis reads its config only at start: a new config must roll the pods. Its TLS files are
        // not in the checksum: the tls-reload container loads them in place, whoever renews them.
        const checksums = { "spinnaker-mtls/config-checksum": sha256(conf) };

        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: { name: `${base}-config`, namespace: args.namespace, labels }, data: { "redis.conf": conf } },
            { parent: this },
        );
        // Explicit port name and appProtocol: a mesh must treat this port as
        // opaque TCP (the TLS inside is Redis's own), never sniff it as HTTP.
        const port = { name: "tcp-redis", port: REDIS_PORT, targetPort: "tcp-redis", protocol: "TCP", appProtocol: "tcp" };
        const headlessService = new k8s.core.v1.Service(
            `${name}-headless`,
            {
                metadata: { name: headless, namespace: args.namespace, labels },
                spec: {
                    clusterIP: "None",
                    // Replicas resolve the primary by its pod name before it is ready.
                    publishNotReadyAddresses: true,
                    selector,
                    ports: [port],
                },
            },
            { parent: this },
        );
        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: base, namespace: args.namespace, labels },
                spec: {
                    type: "ClusterIP",
                    // Writes go to the primary only; replicas are read-only.
                    selector: { ...selector, "statefulset.kubernetes.io/pod-name": `${base}-0` },
                    ports: [port],
                },
            },
            { parent: this },
        );

        const probe = (period: number, failures: number) => ({
            exec: { command: ["sh", "-c", redisProbeScript(3)] },
            periodSeconds: period,
            timeoutSeconds: 5,
            failureThreshold: failures,
        });
        const statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: { name: base, namespace: args.namespace, labels },
                spec: {
                    serviceName: headless,
                    replicas: args.replicas + 1,
                    selector: { matchLabels: selector },
                    template: {
                        metadata: {
                            labels: { ...labels, ...selector, ...(args.podLabels ?? {}) },
                            annotations: args.podAnnotations ? pulumi.output(args.podAnnotations).apply((extra) => ({ ...extra, ...checksums })) : checksums,
                        },
                        spec: {
                            automountServiceAccountToken: false,
                            securityContext: {
                                runAsNonRoot: true,
                                runAsUser: 999,
                                runAsGroup: 999,
                                fsGroup: 999,
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                            containers: [
                                {
                                    name: "redis",
                                    image: args.image,
                                    command: ["sh", "-c", redisStartScript(`${base}-0.${headless}.${args.namespace}.svc.cluster.local`)],
                                    ports: [{ name: "tcp-redis", containerPort: REDIS_PORT, protocol: "TCP" }],
                                    resources: {
                                        requests: { cpu: args.resources.cpuRequest, memory: args.resources.memoryRequest },
                                        limits: { cpu: args.resources.cpuLimit, memory: args.resources.memoryLimit },
                                    },
                                    securityContext: containerSecurity(),
                                    // TCP only: the process is up; readiness proves it serves TLS.
                                    startupProbe: { tcpSocket: { port: "tcp-redis" }, periodSeconds: 2, failureThreshold: 60 },
                                    readinessProbe: probe(10, 3),
                                    livenessProbe: probe(15, 4),
                                    volumeMounts: [
                                        { name: "data", mountPath: REDIS_PATHS.dataDir },
                                        { name: "config", mountPath: REDIS_PATHS.configDir, readOnly: true },
                                        tlsMount,
                                    ],
                                },
                                {
                                    // Redis reads its certificate only at start and on CONFIG SET,
                                    // and every new certificate or CA bundle (cert-manager's renewal,
                                    // the program's, a CA rotation's phase) lands in the mounted
                                    // files: this container sees them and has Redis reload them, with
                                    // no restart and no connection dropped (bench/redis-reload.md).
                                    // Its log says which certificate and CAs Redis loaded, which the
                                    // rotation status reads (redisTlsReloadScript).
                                    // The Redis image, so redis-cli is there in the version of
                                    // the server; it mounts the certificate and nothing else.
                                    name: TLS_RELOAD_CONTAINER,
                                    image: args.image,
                                    command: ["sh", "-c", redisTlsReloadScript()],
                                    env: [{ name: TLS_RELOAD_INTERVAL_ENV, value: String(TLS_RELOAD_INTERVAL_SECONDS) }],
                                    // A shell asleep, waking every interval for a checksum and,
                                    // rarely, one redis-cli.
                                    resources: { requests: { cpu: "5m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
                                    securityContext: containerSecurity(),
                                    volumeMounts: [tlsMount],
                                },
                            ],
                            volumes: [
                                { name: "config", configMap: { name: configMap.metadata.name } },
                                // Group-readable through fsGroup: the redis user is not root.
                                args.tls.trustSecretName
                                    ? {
                                          // One volume from both Secrets: the kubelet swaps all the files
                                          // in one step, whichever Secret changed.
                                          name: "tls",
                                          projected: {
                                              defaultMode: 0o440,
                                              sources: [
                                                  { secret: { name: args.tls.secretName, items: [{ key: "tls.crt", path: "tls.crt" }, { key: "tls.key", path: "tls.key" }] } },
                                                  { secret: { name: args.tls.trustSecretName, items: [{ key: "ca.crt", path: "ca.crt" }] } },
                                              ],
                                          },
                                      }
                                    : { name: "tls", secret: { secretName: args.tls.secretName, defaultMode: 0o440 } },
                            ],
                        },
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data", labels },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                ...(args.storageClass ? { storageClassName: args.storageClass } : {}),
                                resources: { requests: { storage: args.storageSize } },
                            },
                        },
                    ],
                },
            },
            { parent: this, dependsOn: [headlessService] },
        );

        // One pod at a time: a drain never takes the primary and a replica together,
        // and a single-pod Redis does not block node drains forever.
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            { metadata: { name: base, namespace: args.namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
            { parent: this, dependsOn: [statefulSet] },
        );

        if (args.allowedClusters) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-clients`,
                {
                    metadata: { name: `${base}-clients`, namespace: args.namespace, labels },
                    spec: {
                        podSelector: { matchLabels: selector },
                        policyTypes: ["Ingress"],
                        ingress: [
                            {
                                from: [
                                    { podSelector: { matchExpressions: [{ key: "cluster", operator: "In", values: [...args.allowedClusters] }] } },
                                    { podSelector: { matchLabels: selector } },
                                ],
                                ports: [{ protocol: "TCP", port: REDIS_PORT }],
                            },
                        ],
                    },
                },
                { parent: this },
            );
        }

        this.serviceName = service.metadata.name;
        this.headlessServiceName = headlessService.metadata.name;
        this.url = pulumi.output(redisUrl(clusterLocalHost(args.name, args.namespace), REDIS_PORT));
        this.redisConf = pulumi.output(conf);
        this.registerOutputs({ serviceName: this.serviceName, headlessServiceName: this.headlessServiceName, url: this.url, redisConf: this.redisConf });
    }
}
