// Before a CA rotation takes its next step, the cluster must have converged on
// the last one: every store holds what the last deployment wrote, and every
// pod has restarted onto it. A `pulumi up` only applies objects; the pods roll
// afterwards, and a step taken while old pods still run is the outage the
// phases exist to avoid. So a program reads the cluster (through the same
// kubeconfig and context the provider uses) whenever its caRotation moves,
// and hands what it saw to SpinnakerMtls, which refuses the step while any
// consumer has not converged (args.lastDeploymentObserved).
import * as crypto from "crypto";
import * as tls from "tls";
import { StackConfig, parseStackConfig, withKeyNames } from "../config";
import { ClusterReader, KubeconfigError, clusterReader } from "../kubernetes/clusterReader";
import { CaTrust, FORCE_CA_ROTATION_ENV, PHASE_PLAN, caRotationGateProblems, parseCaTrust } from "../pki/caRotation";
import { ConsumerStatus, Consumer, ObservedPod, ObservedSecret, StoreExpectation, consumersOf, rotationStatus, trustExpectation } from "../pki/rotationStatus";
import { JVM_TRUSTSTORE_SECRET } from "../pki/jvmTrustStore";
import { CA_TRUST_SECRET } from "../pki/caTrustBundle";
import { identityOf, rootSignedSecretName } from "../pki/secretLayout";
import { TLS_RELOAD_CONTAINER } from "../redis/redisTls";
import { lastTlsReload } from "../redis/redisCommands";
import { SERVICE_CATALOG } from "../../lib/catalog/serviceCatalog";
import { SpinnakerMtlsArgs, argName, argsToRawConfig, stackConfigSourceOf } from "./spinnakerMtlsArgs";
import { plannedCaTrust } from "./caTrustPlan";
import { OFFLINE_ENGINE_ENV } from "./offlineEngine";

/** What a program saw of its cluster when its caRotation moved. */
export interface RotationObservation {
    /** The cluster's API server. */
    readonly server?: string;
    /** Per consumer, converged or why not. */
    readonly consumers?: ConsumerStatus[];
    /** Why the cluster could not be read. */
    readonly error?: string;
}


/**
 * The readers of TLS material a config deploys: each certified service, each in-cluster Redis. With
 * the cert-manager backend each reads its CAs from the program's trust bundle and its certificate from
 * cert-manager's Secret, but for a Go service whose leaf the program signs with a generated root
 * (its own Secret, SpinnakerMtls's programIssued).
 */
export function rotationConsumers(config: StackConfig): Consumer[] {
    const edge = config.istio.enabled ? config.istio.ingress : undefined;
    const certified = config.services.filter((s) => !(edge && s === "deck"));
    const goServices = config.services.filter((s) => SERVICE_CATALOG[s].redis === "go");
    const redis = [...(config.redis.mode === "external" ? [] : ["redis"]), ...(config.redis.goServices === "tls-only" && goServices.length > 0 ? ["redis-go"] : [])];
    const certManager = config.certManager.backend === "cert-manager";
    const trust = certManager ? { trustSecretName: CA_TRUST_SECRET } : {};
    // The signing CA is generated (it has an issuing CA) unless the phase's signer is imported.
    const signerImported = PHASE_PLAN[config.caRotation].signer === "current" ? config.importedCa : config.nextImportedCa;
    const services = certified.map((s) => {
        const java = SERVICE_CATALOG[s].runtime === "java";
        if (!certManager) return { name: s, java };
        if (identityOf(SERVICE_CATALOG[s]).presentsLeafOnly && !signerImported) return { name: s, java, secretName: rootSignedSecretName(s) };
        return { name: s, java, certManager: true, ...trust };
    });
    return consumersOf(services, redis.map((name) => ({ name, ...trust })));
}

interface Listed<T> {
    items?: T[];
}
type KubeSecret = { metadata: { name: string; creationTimestamp?: string; managedFields?: { time?: string }[] }; data?: Record<string, string> };
type KubePod = { metadata: { name: string; creationTimestamp?: string; annotations?: Record<string, string> }; status?: { conditions?: { type: string; status: string }[] } };

/** When a Secret was last written: the latest time any field manager changed it, else its creation. */
export function secretChangedAt(s: KubeSecret): string | undefined {
    const times = (s.metadata.managedFields ?? []).map((f) => f.time).filter((t): t is string => typeof t === "string" && !Number.isNaN(Date.parse(t)));
    return times.length > 0 ? times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)) : s.metadata.creationTimestamp;
}

/** How much of a tls-reload container's log is read: its last reload is near the end (one line per reload or failed try). */
const TLS_RELOAD_LOG_LINES = 500;

/** Reads the consumers' Secrets, the JVM trust store, the namespace's pods and each Redis pod's tls-reload log, and judges them. */
export async function observeConsumers(reader: ClusterReader, namespace: string, want: StoreExpectation, consumers: readonly Consumer[]): Promise<ConsumerStatus[]> {
    const ns = encodeURIComponent(namespace);
    const secretOf = async (name: string): Promise<ObservedSecret | undefined> => {
        const s = await reader.get<KubeSecret>(`/api/v1/namespaces/${ns}/secrets/${encodeURIComponent(name)}`);
        const changedAt = s && secretChangedAt(s);
        return s && { name: s.metadata.name, data: s.data ?? {}, ...(changedAt ? { changedAt } : {}) };
    };
    const secrets = new Map<string, ObservedSecret>();
    for (const name of new Set(consumers.flatMap((c) => [c.secretName, ...(c.trustSecretName ? [c.trustSecretName] : [])]))) {
        const s = await secretOf(name);
        if (s) secrets.set(name, s);
    }
    const jvm = consumers.some((c) => c.jvm) ? await secretOf(JVM_TRUSTSTORE_SECRET) : undefined;
    const podList = (await reader.get<Listed<KubePod>>(`/api/v1/namespaces/${ns}/pods`))?.items ?? [];
    const reloadsInPlace = consumers.filter((c) => c.uptake === "in-place");
    const pods: ObservedPod[] = [];
    for (const p of podList) {
        const name = p.metadata.name;
        const base = {
            name,
            annotations: p.metadata.annotations ?? {},
            ready: (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
            ...(p.metadata.creationTimestamp ? { createdAt: p.metadata.creationTimestamp } : {}),
        };
        if (!reloadsInPlace.some((c) => c.podName.test(name))) {
            pods.push(base);
            continue;
        }
        // What Redis loaded shows only in its tls-reload container's log (the API server reads it from the kubelet).
        try {
            const log = await reader.getText(`/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}/log?container=${TLS_RELOAD_CONTAINER}&tailLines=${TLS_RELOAD_LOG_LINES}`);
            const digest = log === undefined ? undefined : lastTlsReload(log);
            pods.push({ ...base, tlsReload: digest ? { digest } : { error: log === undefined ? "the pod is gone" : `its ${TLS_RELOAD_CONTAINER} container has logged no reload in its last ${TLS_RELOAD_LOG_LINES} lines` } });
        } catch (e) {
            pods.push({ ...base, tlsReload: { error: `its ${TLS_RELOAD_CONTAINER} log could not be read: ${(e as Error).message}` } });
        }
    }
    return rotationStatus(want, consumers, secrets, pods, jvm);
}

/** The config the component will validate, or undefined when it is invalid (the component then says why). */
function configOf(args: SpinnakerMtlsArgs): StackConfig | undefined {
    try {
        const source = stackConfigSourceOf(args);
        const { raw } = argsToRawConfig(args);
        return source ? parseStackConfig({ ...source.raw, ...raw }, new Date(), source.engineSecretKeys) : withKeyNames(argName, () => parseStackConfig(raw));
    } catch {
        return undefined;
    }
}

/**
 * What the cluster shows of the last deployment, when this one moves the CA
 * rotation (its caTrust differs from the last one's); undefined when nothing
 * moves, there was no last deployment, the stack renders files, or the
 * offline engine runs it.
 */
export async function observeLastDeployment(args: SpinnakerMtlsArgs, lastDeployed: CaTrust | undefined, opts: { kubeconfig?: string } = {}): Promise<RotationObservation | undefined> {
    const last = parseCaTrust(lastDeployed);
    const config = configOf(args);
    if (!last || !config || config.kubernetes.renderYamlToDirectory !== undefined || process.env[OFFLINE_ENGINE_ENV] === "1") return undefined;
    const planned = plannedCaTrust(config);
    if (planned.signer === last.signer && planned.trusted.join("\n") === last.trusted.join("\n")) return undefined;
    // A step the last deployment's record already refuses needs no look at the cluster.
    if (caRotationGateProblems(last, planned, config.caRotation, process.env[FORCE_CA_ROTATION_ENV]).length > 0) return undefined;
    let reader: ClusterReader;
    try {
        reader = clusterReader({ kubeconfig: opts.kubeconfig, context: config.kubernetes.context });
    } catch (e) {
        return { error: e instanceof KubeconfigError ? e.message : String(e) };
    }
    try {
        return { server: reader.server, consumers: await observeConsumers(reader, config.namespace, trustExpectation(last), rotationConsumers(config)) };
    } catch (e) {
        return { server: reader.server, error: (e as Error).message };
    } finally {
        reader.close();
    }
}

/** What a Redis serves, read over TLS with its own Secret's certificate: the served certificate and its CA file. */
export interface RedisProbe {
    readonly ok: boolean;
    readonly notes: string[];
    /** CONFIG GET tls-ca-cert-file, when the handshake succeeded. */
    readonly caFile?: string;
}

/** RESP for one command: an array of bulk strings. */
const resp = (...words: string[]): string => `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join("")}`;

/** The value of a `CONFIG GET <name>` reply (`*2 $name $value`); undefined when the reply is anything else. */
export function configGetValue(reply: string, name: string): string | undefined {
    const m = /^\*2\r\n\$(\d+)\r\n([^\r]*)\r\n\$(\d+)\r\n([^\r]*)\r\n$/.exec(reply);
    return m && m[2] === name && Number(m[3]) === Buffer.byteLength(m[4]) ? m[4] : undefined;
}

/**
 * Connects to a Redis (through a port-forward, say) presenting the certificate its own Secret holds, and
 * checks that the handshake succeeds against the Secret's ca.crt (Redis has loaded a CA bundle that trusts
 * the phase's signer), that Redis serves the certificate the Secret holds (it has reloaded or restarted),
 * and reads its tls-ca-cert-file. `servername` is the name its certificate carries (spin-redis.<ns>.svc).
 */
export function probeRedis(host: string, port: number, secret: ObservedSecret, servername: string, timeoutMs = 10_000): Promise<RedisProbe> {
    const file = (k: string) => Buffer.from(secret.data[k] ?? "", "base64");
    const expected = (() => {
        try {
            return new crypto.X509Certificate(file("tls.crt")).fingerprint256;
        } catch {
            return undefined;
        }
    })();
    return new Promise((resolve) => {
        let reply = "";
        let done = false;
        const finish = (r: RedisProbe) => {
            if (done) return;
            done = true;
            socket.destroy();
            resolve(r);
        };
        const socket = tls.connect({ host, port, servername, ca: file("ca.crt"), cert: file("tls.crt"), key: file("tls.key"), timeout: timeoutMs }, () => {
            const served = socket.getPeerCertificate()?.fingerprint256;
            const notes = served && expected && served !== expected ? [`Redis at ${host}:${port} serves another certificate than ${secret.name} holds: it has not reloaded or restarted since the Secret changed`] : [];
            socket.write(resp("CONFIG", "GET", "tls-ca-cert-file"));
            socket.on("data", (d: Buffer) => {
                reply += d.toString("utf8");
                if (/^\*2\r\n(\$\d+\r\n[^\r]*\r\n){2}$/.test(reply) || /^-/.test(reply)) {
                    const caFile = configGetValue(reply, "tls-ca-cert-file");
                    finish({ ok: notes.length === 0, notes: caFile ? notes : [...notes, `CONFIG GET tls-ca-cert-file answered ${JSON.stringify(reply.trim())}`], ...(caFile ? { caFile } : {}) });
                }
            });
        });
        socket.on("timeout", () => finish({ ok: false, notes: [`Redis at ${host}:${port}: no answer in ${timeoutMs / 1000} s`] }));
        socket.on("error", (e) => finish({ ok: false, notes: [`Redis at ${host}:${port} refused the handshake with ${secret.name}'s own certificate and CAs: ${e.message}`] }));
    });
}
