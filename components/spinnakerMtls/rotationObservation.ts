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
import { CaTrust, FORCE_CA_ROTATION_ENV, caRotationGateProblems, parseCaTrust } from "../pki/caRotation";
import { ConsumerStatus, Consumer, ObservedPod, ObservedSecret, StoreExpectation, consumersOf, rotationStatus, trustExpectation } from "../pki/rotationStatus";
import { JVM_TRUSTSTORE_SECRET } from "../pki/jvmTrustStore";
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


/** The readers of TLS material a config deploys: each certified service, each in-cluster Redis. */
export function rotationConsumers(config: StackConfig): Consumer[] {
    const edge = config.istio.enabled ? config.istio.ingress : undefined;
    const certified = config.services.filter((s) => !(edge && s === "deck"));
    const goServices = config.services.filter((s) => SERVICE_CATALOG[s].redis === "go");
    const redis = [...(config.redis.mode === "external" ? [] : ["redis"]), ...(config.redis.goServices === "tls-only" && goServices.length > 0 ? ["redis-go"] : [])];
    return consumersOf(certified.map((s) => ({ name: s, java: SERVICE_CATALOG[s].runtime === "java" })), redis);
}

interface Listed<T> {
    items?: T[];
}
type KubeSecret = { metadata: { name: string }; data?: Record<string, string> };
type KubePod = { metadata: { name: string; annotations?: Record<string, string> }; status?: { conditions?: { type: string; status: string }[] } };

/** Reads the consumers' Secrets, the JVM trust store and the namespace's pods, and judges them. */
export async function observeConsumers(reader: ClusterReader, namespace: string, want: StoreExpectation, consumers: readonly Consumer[]): Promise<ConsumerStatus[]> {
    const ns = encodeURIComponent(namespace);
    const secretOf = async (name: string): Promise<ObservedSecret | undefined> => {
        const s = await reader.get<KubeSecret>(`/api/v1/namespaces/${ns}/secrets/${encodeURIComponent(name)}`);
        return s && { name: s.metadata.name, data: s.data ?? {} };
    };
    const secrets = new Map<string, ObservedSecret>();
    for (const c of consumers) {
        const s = await secretOf(c.secretName);
        if (s) secrets.set(c.secretName, s);
    }
    const jvm = consumers.some((c) => c.jvm) ? await secretOf(JVM_TRUSTSTORE_SECRET) : undefined;
    const podList = (await reader.get<Listed<KubePod>>(`/api/v1/namespaces/${ns}/pods`))?.items ?? [];
    const pods: ObservedPod[] = podList.map((p) => ({
        name: p.metadata.name,
        annotations: p.metadata.annotations ?? {},
        ready: (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
    }));
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
