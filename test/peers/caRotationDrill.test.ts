// A CA rotation under live traffic, judged by the real consumers. The dev
// stack (pulumi backend), with terraformer and its TLS-only Redis added
// (dev enables no Go service) and one Redis replica, walks none →
// trust-both → issue-next → trust-next → finish under the offline engine,
// each run over the export of the one before, as `pulumi up` runs over the
// last deployment. Each phase's Secrets then reach running processes on
// 127.0.0.1 as a rollout would: a consumer whose pod annotations change is
// restarted, one at a time, with old and new side by side, and a Redis whose
// TLS files change reloads them in place, pod by pod, as its tls-reload
// container does (CONFIG SET over TLS with the new files). The processes:
// front50 and orca as kork services (test/peers/kork, their own
// keystores and truststores and orca's JVM argfile), terraformer's http.*
// client through go-yaml-tools (test/peers/go), and redis-server as the
// StatefulSets' pods. Every call on every edge is recorded; the rotation must
// fail none. Forcing trust-next straight after trust-both (past the gate) must,
// with the same traffic, fail calls while old and new pods meet.
//
// Slow (JVM restarts): part of `npm run test:peers`. CA_ROTATION_DRILL_FIGURES=1
// prints the figures kept in bench/ca-rotation.md.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { FORCE_CA_ROTATION_ENV } from "../../components/pki/caRotation";
import { secretFilePath } from "../../components/spinnaker/mounts";
import { JVM_OPTIONS_KEY } from "../../components/spinnaker/jvmOptions";
import { loadProject, loadStackConfig } from "../../engine/project";
import { unwrap } from "../../engine/monitor";
import { PROJECT_ROOT, RunResult } from "../../engine/run";
import {
    Attempt,
    CallResult,
    Edge,
    HandshakeLog,
    JavaDeployment,
    KorkPod,
    KorkStart,
    RedisFiles,
    RedisPod,
    Traffic,
    admin,
    figures,
    podArgs,
    reasons,
    restartFigures,
    sleep,
    stopOnSignal,
} from "../support/caRotationDrill";
import { jsonHttpsServer, korkPeerJar } from "../support/korkPeer";
import { Tree, goCall, goPeerBin, layOutContainer, spinnakerConfigOf } from "../support/goPeer";
import { issue, newCa } from "../support/pki";
import { freePort } from "../support/redisServer";
import { session } from "../support/resp";
import { objectNamed, run, secretsByName, stackServices, tempDir } from "../support/stacks";

const STACK = "dev";
const key = (k: string) => `spinnaker-mtls:${k}`;
/** What dev lacks for the Go edges: terraformer (an Armory service) and the TLS-only Redis it needs; and a replica, for the replication edge. */
const OVERLAY: Record<string, string> = {
    [key("services")]: JSON.stringify([...new Set([...stackServices(STACK), "terraformer"])].sort()),
    [key("goServicesRedis")]: "tls-only",
    [key("spinnakerFlavor")]: "armory",
    [key("redisReplicas")]: "1",
};
const NOW = new Date();

/** Each phase's config, run after the one before; finishing makes the next CA the current one. */
const STEPS: [string, Record<string, string>][] = [
    ["none", {}],
    ["trust-both", { [key("caRotation")]: "trust-both" }],
    ["issue-next", { [key("caRotation")]: "issue-next" }],
    ["trust-next", { [key("caRotation")]: "trust-next" }],
    ["finish", { [key("caGeneration")]: "2" }],
];
const FORCED = "trust-next, forced";

// How the rollout is paced. Two calls a second per edge; every state of a
// rollout (a pod restarted, the next not yet) lasts DWELL_MS, so each edge
// sees each mix of old and new several times.
const PERIOD_MS = 500;
const REPLICATION_PERIOD_MS = 1_000;
const DWELL_MS = 1_500;
/** A Redis pod's step lasts two replication calls, so the replica's redial meets each mix of pods. */
const REDIS_DWELL_MS = 2 * REPLICATION_PERIOD_MS;
/** Old and new pods of a Deployment both in the endpoints. */
const OVERLAP_MS = 1_500;
/** Between leaving the endpoints and SIGTERM: calls in flight finish. */
const GRACE_MS = 1_500;

const UNRELATED_HOST = "unrelated-ca.test";

// ------------------------------------------------------------ the consumers

type Consumer = "spin-redis" | "spin-redis-go" | "front50" | "terraformer" | "orca";
/** The order restarts happen in within a phase (each Redis StatefulSet from its highest ordinal, as a rolling update goes). */
const ORDER: Consumer[] = ["spin-redis", "spin-redis-go", "front50", "terraformer", "orca"];

const EDGE = {
    javaJava: "orca→front50 (Java→Java, kork OkHttp)",
    goJava: "terraformer→front50 (Go→Java, go-yaml-tools)",
    javaRedis: "orca→spin-redis (Java→Redis, Jedis)",
    replication: "spin-redis-1→spin-redis-0 (replica→primary)",
    goRedis: "terraformer's ca.crt→spin-redis-go (Go→Redis-Go, Node TLS)",
} as const;
const EDGES = Object.values(EDGE);

const sha256 = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest("hex");

function redisFiles(result: RunResult, name: string): RedisFiles {
    const conf = objectNamed<{ data: Record<string, string> }>(result, "kubernetes:core/v1:ConfigMap", `${name}-config`).data["redis.conf"];
    const f = secretsByName(result).get(`${name}-tls`)!.files;
    return { conf, tls: { "tls.crt": f["tls.crt"], "tls.key": f["tls.key"], "ca.crt": f["ca.crt"] } };
}

interface StatefulSetSpec {
    replicas: number;
    template: { metadata: { annotations: Record<string, string> }; spec: { containers: { name: string; command: string[] }[] } };
}
const statefulSet = (result: RunResult, name: Consumer) => objectNamed<{ spec: StatefulSetSpec }>(result, "kubernetes:apps/v1:StatefulSet", name).spec;

type ServiceSettings = Record<string, { baseUrl?: string; kubernetes?: { podAnnotations?: Record<string, string> } }>;
const serviceSettings = (result: RunResult) => spinnakerConfigOf(result)["service-settings"] as ServiceSettings;

/** What rolls a consumer's pods: its pod template's annotations, as the program emits them. */
function podAnnotations(result: RunResult, consumer: Consumer): Record<string, string> {
    if (consumer.startsWith("spin-redis")) return statefulSet(result, consumer).template.metadata.annotations;
    const found = serviceSettings(result)[consumer]?.kubernetes?.podAnnotations;
    assert.ok(found, `${consumer} has no pod annotations`);
    return found;
}

const REF = /^encrypted(?:File)?:k8s!n:([^!]+)!k:(.+)$/;
function refsIn(tree: unknown, out: Set<string>): Set<string> {
    if (typeof tree === "string") {
        const m = REF.exec(tree);
        if (m) out.add(`${m[1]}/${m[2]}`);
    } else if (tree && typeof tree === "object") {
        for (const v of Object.values(tree)) refsIn(v, out);
    }
    return out;
}

/**
 * A digest of everything the consumer's process reads at start: the Secret
 * keys its profile and JDK argfile name (the argfile itself included), or
 * Redis's redis.conf and mounted certificate files.
 */
function mountedMaterial(result: RunResult, consumer: Consumer): string {
    if (consumer.startsWith("spin-redis")) {
        const f = redisFiles(result, consumer);
        return sha256([f.conf, ...Object.values(f.tls).map((b) => sha256(b))].join("\n"));
    }
    const secrets = secretsByName(result);
    const refs = refsIn(spinnakerConfigOf(result).profiles[consumer], new Set());
    const jvm = secrets.get(`spin-${consumer}-jvm`);
    if (jvm) {
        refs.add(`spin-${consumer}-jvm/${JVM_OPTIONS_KEY}`);
        for (const [, secret, k] of jvm.files[JVM_OPTIONS_KEY].toString("utf8").matchAll(new RegExp(`/opt/${consumer}/secrets/([^/"]+)/([^"]+)`, "g"))) refs.add(`${secret}/${k}`);
    }
    return sha256(
        [...refs]
            .sort()
            .map((ref) => {
                const [secret, k] = ref.split("/");
                const content = secrets.get(secret)?.files[k];
                assert.ok(content, `${consumer} reads ${ref}, which the run does not create`);
                return `${ref} ${sha256(content)}`;
            })
            .join("\n"),
    );
}

// ------------------------------------------------------------ the calls

interface HttpReply {
    readonly status?: number;
    readonly json?: Record<string, unknown>;
    readonly error?: string;
}

/** The drill's own HTTPS GET (not an edge under test): it trusts every CA of the rotation and presents no certificate (dev's clientAuth is want). */
function harnessGet(url: string, port: number, ca: string): Promise<HttpReply> {
    const u = new URL(url);
    return new Promise((resolve) => {
        const req = https.request(
            { host: "127.0.0.1", port, path: u.pathname + u.search, servername: u.hostname, headers: { host: u.host }, ca, agent: false, timeout: 60_000 },
            (res) => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (d) => (body += d));
                res.on("end", () => {
                    try {
                        resolve({ status: res.statusCode, json: body ? (JSON.parse(body) as Record<string, unknown>) : undefined });
                    } catch {
                        resolve({ status: res.statusCode, error: `not JSON: ${body.slice(0, 200)}` });
                    }
                });
            },
        );
        req.on("timeout", () => req.destroy(new Error("timed out")));
        req.on("error", (e) => resolve({ error: `${(e as NodeJS.ErrnoException).code ?? ""} ${e.message}` }));
        req.end();
    });
}

const chainOf = (json: Record<string, unknown> | undefined): string => (Array.isArray(json?.error) ? (json!.error as string[]).join(" <- ") : JSON.stringify(json));
/** A refused TCP connection with no TLS anywhere in the chain: the server was not there, no handshake happened. */
const refusedOnly = (text: string) => /Connection refused|ECONNREFUSED/.test(text) && !/SSL|TLS|PKIX|certificat|handshake/i.test(text);
/** What a TLS verdict looks like to JSSE, Node and OpenSSL: a certificate refused, or an alert received. */
const TLS_VERDICT = /PKIX|certificat|unknown[ _]ca|alert|self[- ]signed|unable to (get|verify)/i;

/** Where a call to a Redis pod starts reading that pod's log. */
const redisCallStart = (pod: RedisPod) => ({ from: Date.now(), logFrom: pod.logText().length });

/**
 * A failed call to a Redis pod, judged at both ends: Redis logs every
 * handshake it refuses or is refused in ("Error accepting a client
 * connection: <reason>"), so a TLS verdict shows in the caller's error or in
 * the pod's log. Either makes it a failed handshake (a concurrent caller's
 * verdict counts against this call too: the doubt goes to failure). A
 * refused TCP connection is "unavailable"; a connection lost with no verdict
 * at either end is "dropped" (a pod stopped under it, for one).
 */
function redisOutcome(clientError: string, pod: RedisPod, call: { from: number; logFrom: number }, clientLines: string[] = []): CallResult {
    const serverLines = pod.logText().slice(call.logFrom).match(/^.* # Error accepting a client connection: .*$/gm) ?? [];
    const stopping = pod.stoppedDuring(call.from, Date.now()) ? ` [${pod.name} was stopping]` : "";
    const error = [clientError, ...clientLines, ...serverLines.map((l) => `${pod.name}: ${l}`)].join(" | ").slice(0, 2000) + stopping;
    if ([clientError, ...clientLines, ...serverLines].some((l) => TLS_VERDICT.test(l))) return { outcome: "failed", error };
    if (refusedOnly(clientError)) return { outcome: "unavailable", error };
    return { outcome: "dropped", error };
}

/** orca's kork OkHttp client (a new client, SSL context and connection pool per call: a full handshake each time) GETs `target`. */
async function korkCall(orca: { url: string; port: number }, target: string, expect: { service: string; clientCn: string }, ca: string): Promise<CallResult> {
    const r = await harnessGet(`${orca.url}/call?${new URLSearchParams({ url: target, via: "retrofit2" })}`, orca.port, ca);
    if (r.error) return { outcome: "failed", error: `the drill could not reach orca: ${r.error}` };
    if (r.status === 502) return { outcome: "failed", error: chainOf(r.json) };
    if (r.status !== 200) return { outcome: "failed", error: `orca answered ${r.status}: ${JSON.stringify(r.json)}` };
    if (r.json!.status !== 200) return { outcome: "failed", error: `the server answered ${r.json!.status}` };
    const seen = JSON.parse(String(r.json!.body)) as { service?: string; clientCertificate?: string | null };
    if (seen.service !== expect.service) return { outcome: "failed", error: `answered by ${seen.service}` };
    // At clientAuth want a handshake without a client certificate still completes: that is not mutual TLS.
    if (!String(seen.clientCertificate).startsWith(`CN=${expect.clientCn},`)) return { outcome: "failed", error: `${expect.service} saw client certificate ${seen.clientCertificate}` };
    return { outcome: "ok" };
}

/** terraformer's go-yaml-tools http.* client (a new process per call) GETs `url`, dialling 127.0.0.1:port. */
async function goJavaCall(bin: string, configDir: string, url: string, port: number, expect: { service: string; clientCn: string }): Promise<CallResult> {
    const o = await goCall(bin, configDir, "terraformer", url, port);
    const error = o.events.find((e) => e.event === "error");
    if (o.code !== 0) return { outcome: "failed", error: error ? `${error.stage}: ${error.error}` : `exit ${o.code}: ${o.stderr.slice(-500)}` };
    const response = o.events.find((e) => e.event === "response");
    const seen = JSON.parse(String(response?.body)) as { service?: string; clientCertificate?: string | null };
    if (seen.service !== expect.service) return { outcome: "failed", error: `answered by ${seen.service}` };
    if (!String(seen.clientCertificate).startsWith(`CN=${expect.clientCn},`)) return { outcome: "failed", error: `${expect.service} saw client certificate ${seen.clientCertificate}` };
    return { outcome: "ok" };
}

/** A certificate from a CA no store of the stack holds, served on 127.0.0.1 as UNRELATED_HOST. */
const unrelatedServer = () => jsonHttpsServer(issue(newCa("Unrelated CA"), { commonName: UNRELATED_HOST, dnsNames: [UNRELATED_HOST] }), { service: "unrelated", clientCertificate: null });

// ------------------------------------------------------------ the world

interface GoPod {
    readonly configDir: string;
    /** The ca.crt the pod mounts (SSL_CERT_FILE: what its Redis client trusts). */
    readonly caFile: string;
}

interface Shared {
    readonly jar: string;
    readonly goBin: string;
    /** Every CA certificate of the rotation: the drill's own client trusts them all. */
    readonly harnessCa: string;
}

/** The processes of one drill, started from one run, and rolled to later runs as a rollout would. */
class World {
    readonly log = new HandshakeLog();
    private readonly applied = new Map<Consumer, RunResult>();
    private readonly spare: Promise<KorkPod>[] = [];
    private readonly redis: RedisPod[] = [];
    private readonly redisGo: RedisPod[] = [];
    private goPods: GoPod[] = [];
    private front50?: JavaDeployment;
    private orca?: JavaDeployment;
    private generation = 0;
    private replicationMark = 0;
    readonly hostsFile: string;
    private readonly settings: ServiceSettings;
    private readonly orcaProfile: Tree;
    /** Where terraformer's Redis client connects (its profile's redis.baseUrl): the name it checks. */
    private readonly goRedisHost: string;

    constructor(
        private readonly shared: Shared,
        private readonly dir: string,
        first: RunResult,
    ) {
        this.settings = serviceSettings(first);
        this.orcaProfile = spinnakerConfigOf(first).profiles.orca;
        this.goRedisHost = new URL(String((spinnakerConfigOf(first).profiles.terraformer.redis as Tree).baseUrl)).hostname;
        fs.mkdirSync(dir, { recursive: true });
        this.hostsFile = path.join(dir, "hosts");
        const names = ["localhost", os.hostname(), UNRELATED_HOST, this.host("front50"), this.host("orca"), new URL(this.redisUrl).hostname];
        fs.writeFileSync(this.hostsFile, `127.0.0.1 ${names.join(" ")}\n`);
    }

    private host(service: string): string {
        return new URL(this.settings[service].baseUrl!).hostname;
    }

    private get redisUrl(): string {
        return String((this.orcaProfile.redis as Tree).connection);
    }

    /** A service's rendered base URL with the port its Service listens on here. */
    serviceUrl(service: "front50" | "orca"): string {
        const u = new URL(this.settings[service].baseUrl!);
        u.port = String((service === "front50" ? this.front50 : this.orca)!.proxy.port);
        return u.origin;
    }

    /** The config folder of terraformer's (first) running pod. */
    get goConfigDir(): string {
        return this.goPods[0].configDir;
    }

    get orcaEndpoint(): { url: string; port: number } {
        return { url: this.serviceUrl("orca"), port: this.orca!.proxy.port };
    }

    private korkStart(result: RunResult, service: "front50" | "orca"): KorkStart {
        const redis = new URL(this.redisUrl);
        redis.port = String(this.redis[0].port);
        return {
            jar: this.shared.jar,
            result,
            service,
            root: path.join(this.dir, `${service}-${++this.generation}`),
            hostsFile: this.hostsFile,
            // The rendered redis.connection names the in-cluster Service; only its port differs here.
            overrides: service === "orca" ? { "redis.connection": redis.toString().replace(/\/$/, "") } : {},
        };
    }

    private startKork(result: RunResult, service: "front50" | "orca"): Promise<KorkPod> {
        const p = KorkPod.start(this.korkStart(result, service));
        this.spare.push(p);
        return p;
    }

    private goPod(result: RunResult): GoPod {
        const root = path.join(this.dir, `terraformer-${++this.generation}`);
        const configDir = layOutContainer(root, "terraformer", spinnakerConfigOf(result).profiles.terraformer, secretsByName(result));
        return { configDir, caFile: path.join(root, secretFilePath("terraformer", { secret: "spin-terraformer-tls", key: "ca.crt" })) };
    }

    private async startRedis(result: RunResult, name: "spin-redis" | "spin-redis-go", pods: RedisPod[]): Promise<void> {
        const spec = statefulSet(result, name);
        const script = spec.template.spec.containers.find((c) => c.name === "redis")!.command[2];
        for (let ordinal = 0; ordinal < spec.replicas; ordinal++) {
            const pod = new RedisPod(`${name}-${ordinal}`, path.join(this.dir, `${name}-${ordinal}`), await freePort(), podArgs(script, ordinal, pods[0]?.port ?? 0));
            pods.push(pod);
            await pod.start(redisFiles(result, name));
        }
    }

    async start(result: RunResult): Promise<void> {
        await this.startRedis(result, "spin-redis", this.redis);
        assert.strictEqual(this.redis.length, 2, "the overlay asks for a primary and one replica");
        await this.startRedis(result, "spin-redis-go", this.redisGo);
        this.goPods = [this.goPod(result)];
        // One JVM at a time: two starting together on two cores take longer than one after the other.
        this.front50 = await JavaDeployment.create(this.korkStart(result, "front50"));
        this.orca = await JavaDeployment.create(this.korkStart(result, "orca"));
        for (const c of ORDER) this.applied.set(c, result);
        await this.waitForReplication();
    }

    private async waitForReplication(): Promise<void> {
        const deadline = Date.now() + 30_000;
        while (!/^master_link_status:up\r?$/m.test(String((await admin(this.redis[1].socket, [["INFO", "replication"]]).catch(() => [""]))[0]))) {
            if (Date.now() > deadline) assert.fail(`the replica never linked:\n${this.redis[1].logText().slice(-3000)}`);
            await sleep(100);
        }
    }

    edges(): Edge[] {
        const ca = this.shared.harnessCa;
        let turn = 0;
        // During terraformer's rollout both its pods call, in turn.
        const goPod = () => this.goPods[turn++ % this.goPods.length];
        const front50 = { service: "front50" };
        return [
            {
                name: EDGE.javaJava,
                periodMs: PERIOD_MS,
                maxInFlight: 4,
                call: () => korkCall(this.orcaEndpoint, `${this.serviceUrl("front50")}/whoami`, { ...front50, clientCn: "spin-orca" }, ca),
            },
            {
                name: EDGE.goJava,
                periodMs: PERIOD_MS,
                maxInFlight: 4,
                call: () => goJavaCall(this.shared.goBin, goPod().configDir, `${this.settings.front50.baseUrl}/whoami`, this.front50!.proxy.port, { ...front50, clientCn: "spin-terraformer" }),
            },
            { name: EDGE.javaRedis, periodMs: PERIOD_MS, maxInFlight: 4, call: () => this.javaRedisCall(ca) },
            { name: EDGE.replication, periodMs: REPLICATION_PERIOD_MS, maxInFlight: 1, call: () => this.replicationCall() },
            { name: EDGE.goRedis, periodMs: PERIOD_MS, maxInFlight: 4, call: () => this.goRedisCall(goPod()) },
        ];
    }

    /** orca's kork Jedis pool (a new pool per call, over the JVM-wide stores of its argfile) PINGs spin-redis. */
    private async javaRedisCall(ca: string): Promise<CallResult> {
        const call = redisCallStart(this.redis[0]);
        const r = await harnessGet(`${this.orcaEndpoint.url}/redis-ping`, this.orcaEndpoint.port, ca);
        if (r.error) return { outcome: "failed", error: `the drill could not reach orca: ${r.error}` };
        if (r.status === 200 && r.json?.reply === "PONG") return { outcome: "ok" };
        const chain = chainOf(r.json);
        if (r.status !== 502) return { outcome: "failed", error: chain };
        return redisOutcome(chain, this.redis[0], call);
    }

    /**
     * Cuts the replica's link to the primary, so that the replica dials again
     * (Redis 7 redials at once) with the files it started with, and writes a
     * mark on the primary that can only arrive over the new link. The
     * replica logs every failed attempt; the call is judged by the first.
     */
    private async replicationCall(): Promise<CallResult> {
        const [primary, replica] = this.redis;
        if (!replica.running || !primary.running) return { outcome: "unavailable", error: `${replica.running ? "primary" : "replica"} pod not running` };
        const starts = [primary.starts, replica.starts];
        const call = redisCallStart(primary);
        const replicaFrom = replica.logText().length;
        const mark = String(++this.replicationMark);
        try {
            await admin(replica.socket, [["CLIENT", "KILL", "TYPE", "master"]]);
            await admin(primary.socket, [["SET", "spinnaker-mtls:drill:replication", mark]]);
        } catch (e) {
            return { outcome: "unavailable", error: `a pod stopped during the call: ${(e as Error).message}` };
        }
        const attemptFailed = /^\d+:S .* # (Error condition on socket for SYNC|Failed to read response|Sending command to master in replication handshake|Unable to connect to MASTER|Master did not respond).*$/gm;
        const deadline = Date.now() + 1_500;
        for (;;) {
            const [info, got] = await admin(replica.socket, [["INFO", "replication"], ["GET", "spinnaker-mtls:drill:replication"]]).catch(() => ["", null]);
            if (/^master_link_status:up\r?$/m.test(String(info)) && got === mark) return { outcome: "ok" };
            const failures = (replica.logText().slice(replicaFrom).match(attemptFailed) ?? []).map((l) => `${replica.name}: ${l}`);
            const restarted = primary.starts !== starts[0] || replica.starts !== starts[1] || !primary.running || !replica.running;
            if (failures.length > 0) return redisOutcome(failures[0], primary, call, failures.slice(1));
            // A pod that stopped for its restart explains a missing link when the replica logged no failed attempt.
            if (restarted) return { outcome: "unavailable", error: "a pod restarted during the call" };
            if (Date.now() > deadline) return { outcome: "failed", error: "no new link within 1.5 s, and the replica logged no failed attempt" };
            await sleep(20);
        }
    }

    /** A client as terraformer's Redis client connects: no certificate, trusting the ca.crt its pod mounts, checking the Service's name. */
    private async goRedisCall(pod: GoPod): Promise<CallResult> {
        const call = redisCallStart(this.redisGo[0]);
        const s = await session({ port: this.redisGo[0].port, tls: { ca: fs.readFileSync(pod.caFile), servername: this.goRedisHost } }, [["PING"]]);
        if (s.replies[0] === "PONG") return { outcome: "ok" };
        if (s.replies.length > 0) return { outcome: "failed", error: `answered ${JSON.stringify(s.replies)}` };
        return redisOutcome(s.error ?? "no reply", this.redisGo[0], call);
    }

    /**
     * One phase's rollout: every consumer whose pod annotations changed
     * restarts, in ORDER, one at a time. The next JVM boots while the step
     * before it runs (a new pod is invisible until it is ready), so only the
     * moments a new pod joins and an old one leaves are sequential.
     */
    async rollOut(phase: string, result: RunResult): Promise<{ restarted: Consumer[]; reloaded: Consumer[]; stale: Consumer[] }> {
        const started = Date.now();
        this.log.phase = phase;
        const due = ORDER.filter((c) => JSON.stringify(podAnnotations(result, c)) !== JSON.stringify(podAnnotations(this.applied.get(c)!, c)));
        // Redis loads new TLS files in place (its tls-reload container), without a restart.
        const reloaded = ORDER.filter((c) => !due.includes(c) && c.startsWith("spin-redis") && mountedMaterial(result, c) !== mountedMaterial(this.applied.get(c)!, c));
        // A consumer whose files changed but whose pods neither roll nor reload would keep what it read at start.
        const stale = ORDER.filter((c) => !due.includes(c) && !reloaded.includes(c) && mountedMaterial(result, c) !== mountedMaterial(this.applied.get(c)!, c));
        this.log.window = due.length > 0 || reloaded.length > 0 ? "rolling" : "settled";
        for (const c of reloaded) {
            // Each pod's kubelet swaps the files on its own sync: one pod at a time, with a dwell between.
            for (const pod of [...(c === "spin-redis" ? this.redis : this.redisGo)].reverse()) {
                try {
                    await pod.reload(redisFiles(result, c), c);
                    this.log.reloaded(c);
                } catch {
                    // Only past the gate (a forced skip): the new files cannot reach the Redis still serving the old
                    // certificate, so the sidecar retries in vain until the liveness probe, which reads the same
                    // files, fails and the kubelet restarts the container.
                    await pod.restart(redisFiles(result, c));
                    this.log.restarted(c);
                }
                await sleep(REDIS_DWELL_MS);
            }
            this.applied.set(c, result);
        }
        let nextFront50 = due.includes("front50") ? this.startKork(result, "front50") : undefined;
        let nextOrca: Promise<KorkPod> | undefined;
        const bootOrca = () => {
            if (due.includes("orca") && !nextOrca) nextOrca = this.startKork(result, "orca");
        };
        if (!nextFront50) bootOrca();
        for (const c of due) {
            switch (c) {
                case "spin-redis":
                case "spin-redis-go":
                    for (const pod of [...(c === "spin-redis" ? this.redis : this.redisGo)].reverse()) {
                        await pod.restart(redisFiles(result, c));
                        this.log.restarted(c);
                        await sleep(REDIS_DWELL_MS);
                    }
                    break;
                case "front50": {
                    const pod = await nextFront50!;
                    bootOrca();
                    await this.front50!.rollTo(pod, OVERLAP_MS, GRACE_MS);
                    nextFront50 = undefined;
                    this.log.restarted(c);
                    await sleep(DWELL_MS);
                    break;
                }
                case "terraformer":
                    this.goPods = [...this.goPods, this.goPod(result)];
                    await sleep(OVERLAP_MS);
                    this.goPods = this.goPods.slice(1);
                    this.log.restarted(c);
                    await sleep(DWELL_MS);
                    break;
                case "orca":
                    await this.orca!.rollTo(await nextOrca!, OVERLAP_MS, GRACE_MS);
                    this.log.restarted(c);
                    await sleep(DWELL_MS);
                    break;
            }
            this.applied.set(c, result);
        }
        this.log.window = "settled";
        // A phase that restarts nothing is watched as long as the steady state before the rotation.
        await sleep(due.length > 0 || reloaded.length > 0 ? DWELL_MS : 2 * DWELL_MS);
        this.log.phaseWall.set(phase, Date.now() - started);
        return { restarted: due, reloaded, stale };
    }

    /** Steady traffic with nothing restarting. */
    async settle(phase: string): Promise<void> {
        const started = Date.now();
        this.log.phase = phase;
        this.log.window = "settled";
        await sleep(DWELL_MS * 2);
        this.log.phaseWall.set(phase, Date.now() - started);
    }

    async stop(): Promise<void> {
        const spare = (await Promise.allSettled(this.spare)).flatMap((p) => (p.status === "fulfilled" ? [p.value] : []));
        await Promise.all([this.front50?.stop(), this.orca?.stop(), ...spare.map((p) => p.stop())]);
        for (const pod of [...this.redis].reverse()) await pod.stop();
        for (const pod of this.redisGo) await pod.stop();
    }
}

// ------------------------------------------------------------ the suite

const FIGURES = process.env.CA_ROTATION_DRILL_FIGURES === "1";
const consumersLabel: Record<Consumer, string> = { "spin-redis": "spin-redis pods", "spin-redis-go": "spin-redis-go pods", front50: "front50", terraformer: "terraformer", orca: "orca" };

function describeFailures(log: HandshakeLog, filter: (a: Attempt) => boolean): string {
    return log
        .of((a) => filter(a))
        .slice(0, 12)
        .map((a) => `${a.phase} (${a.window}) ${a.edge}: ${a.error}`)
        .join("\n");
}

function printFigures(title: string, world: World, phases: string[], load: { before: number[]; after: number[] }, wall: number): void {
    if (!FIGURES) return;
    const restarts = restartFigures(world.log, phases, ORDER.map((c) => ({ id: c, label: consumersLabel[c] })));
    const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
    console.log(
        `\n### ${title}\n\n${figures(world.log, phases, EDGES)}\n\n${restarts}\n\n| phase | edge | outcome | reason | calls |\n|---|---|---|---|---:|\n${reasons(world.log)}\n\n` +
            `wall ${(wall / 1000).toFixed(1)} s; load average (1, 5, 15 min) before ${fmt(load.before)}, after ${fmt(load.after)}; ${os.cpus().length} CPUs\n`,
    );
}

describe("a CA rotation under live traffic: kork, go-yaml-tools and redis-server through every phase", function () {
    let t: { dir: string; remove: () => void } | undefined;
    let uninstall: (() => void) | undefined;
    let shared: Shared;
    const phases = new Map<string, RunResult>();
    let forced: RunResult;

    before(async function () {
        // A cold build of either peer takes minutes; warm, a second.
        this.timeout(25 * 60_000);
        const dir = (t = tempDir("ca-rotation-drill")).dir;
        uninstall = stopOnSignal(() => [dir]);
        const config = loadStackConfig(loadProject(PROJECT_ROOT), STACK, OVERLAY).values;
        // The rotation is the program's own PKI's: cert-manager's would be judged in the cluster.
        assert.strictEqual(config[key("certificateBackend")], "pulumi");
        let previous: RunResult | undefined;
        // Every run first: the engine runs in this process, and traffic must not stall while it works.
        for (const [phase, extra] of STEPS) {
            previous = await run({ stack: STACK, config: { ...OVERLAY, ...extra }, now: NOW, ...(previous ? { previous: previous.export } : {}) });
            phases.set(phase, previous);
        }
        const skip = () => run({ stack: STACK, config: { ...OVERLAY, [key("caRotation")]: "trust-next" }, now: NOW, previous: phases.get("trust-both")!.export });
        const saved = process.env[FORCE_CA_ROTATION_ENV];
        try {
            delete process.env[FORCE_CA_ROTATION_ENV];
            // The skip the negative control forces is one the gate refuses.
            await assert.rejects(skip(), /caRotation is "trust-next"/);
            process.env[FORCE_CA_ROTATION_ENV] = "trust-next";
            forced = await skip();
        } finally {
            if (saved === undefined) delete process.env[FORCE_CA_ROTATION_ENV];
            else process.env[FORCE_CA_ROTATION_ENV] = saved;
        }
        const cas = new Set<string>();
        for (const r of [...phases.values(), forced]) {
            for (const pem of String(unwrap(r.stackOutputs.caCertificatePem)).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? []) cas.add(pem.trim());
        }
        shared = { jar: korkPeerJar(), goBin: goPeerBin(), harnessCa: [...cas].join("\n") };
    });
    after(() => {
        uninstall?.();
        t?.remove();
    });

    describe("the rotation, none → trust-both → issue-next → trust-next → finish", function () {
        this.timeout(600_000);
        let world: World;
        let unrelated: { port: number; close: () => Promise<void> } | undefined;
        const load = { before: os.loadavg(), after: [] as number[] };
        let wall = 0;
        const PHASES = STEPS.map(([p]) => p);

        before(async function () {
            this.timeout(300_000);
            world = new World(shared, path.join(t!.dir, "rotation"), phases.get("none")!);
            await world.start(phases.get("none")!);
        });
        after(async function () {
            this.timeout(120_000);
            load.after = os.loadavg();
            if (world) printFigures("the rotation", world, PHASES, load, wall);
            await unrelated?.close();
            await world?.stop();
        });

        it("positive control: the same calls, aimed at a server whose CA no store holds, are recorded as failed handshakes", async () => {
            unrelated = await unrelatedServer();
            const control = new HandshakeLog();
            control.phase = "control";
            const target = `https://${UNRELATED_HOST}:${unrelated.port}/whoami`;
            const java = await control.call(EDGE.javaJava, () => korkCall(world.orcaEndpoint, target, { service: "unrelated", clientCn: "spin-orca" }, shared.harnessCa));
            const port = unrelated.port;
            const go = await control.call(EDGE.goJava, () => goJavaCall(shared.goBin, world.goConfigDir, target, port, { service: "unrelated", clientCn: "spin-terraformer" }));
            assert.deepStrictEqual([java.outcome, go.outcome], ["failed", "failed"], JSON.stringify([java, go]));
            assert.match(java.error!, /PKIX path building failed|unable to find valid certification path/);
            assert.match(go.error!, /x509: certificate signed by unknown authority/);
        });

        it("every edge calls through every phase and the finish, and not one handshake fails", async () => {
            const started = Date.now();
            const traffic = new Traffic(world.log, world.edges());
            const rollouts = new Map<string, { restarted: Consumer[]; reloaded: Consumer[]; stale: Consumer[] }>();
            try {
                await world.settle("none");
                for (const phase of PHASES.slice(1)) rollouts.set(phase, await world.rollOut(phase, phases.get(phase)!));
            } finally {
                await traffic.stop();
                wall = Date.now() - started;
            }
            const log = world.log;
            const failed = log.of((a) => a.outcome === "failed");
            assert.strictEqual(failed.length, 0, `${failed.length} of ${log.attempts.length} calls failed:\n${describeFailures(log, (a) => a.outcome === "failed")}`);
            for (const phase of PHASES) {
                for (const edge of EDGES) {
                    const ok = log.of((a) => a.phase === phase && a.edge === edge && a.outcome === "ok").length;
                    assert.ok(ok > 0, `${edge} made no successful call during ${phase}`);
                }
            }
            // A phase that changes what a consumer reads at start must roll it (Redis: reload it in place);
            // finishing changes nothing, so rolls and reloads nothing.
            const redis = ORDER.filter((c) => c.startsWith("spin-redis"));
            for (const [phase, r] of rollouts) {
                assert.deepStrictEqual(r.stale, [], `${phase}: files changed under pods that neither roll nor reload`);
                assert.deepStrictEqual(r.restarted, phase === "finish" ? [] : ORDER.filter((c) => !redis.includes(c)), `${phase}: the consumers that rolled`);
                assert.deepStrictEqual(r.reloaded, phase === "finish" ? [] : redis, `${phase}: the Redis that reloaded in place`);
            }
            // The drill rotated something: the certificate front50 serves at the end does not chain to the CA it served at the
            // start. Its tls.crt is the leaf, then the issuing CA it carries, each signed by the next.
            const chainsTo = (r: RunResult, root: crypto.X509Certificate) => {
                const chain = (secretsByName(r).get("spin-front50-tls")!.files["tls.crt"].toString().match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new crypto.X509Certificate(b));
                return chain.length > 0 && chain.every((c, i) => c.verify((chain[i + 1] ?? root).publicKey));
            };
            const firstCa = new crypto.X509Certificate(String(unwrap(phases.get("none")!.stackOutputs.caCertificatePem)));
            assert.ok(chainsTo(phases.get("none")!, firstCa));
            assert.ok(!chainsTo(phases.get("finish")!, firstCa), "front50's last certificate still chains to the first CA");
        });
    });

    describe(`negative control: ${FORCED} straight after trust-both, with the same traffic`, function () {
        this.timeout(600_000);
        let world: World;
        const load = { before: [] as number[], after: [] as number[] };
        let wall = 0;
        const PHASES = ["trust-both", FORCED];

        before(async function () {
            this.timeout(300_000);
            load.before = os.loadavg();
            world = new World(shared, path.join(t!.dir, "forced"), phases.get("trust-both")!);
            await world.start(phases.get("trust-both")!);
        });
        after(async function () {
            this.timeout(120_000);
            load.after = os.loadavg();
            if (world) printFigures("negative control", world, PHASES, load, wall);
            await world?.stop();
        });

        it("fails handshakes on every edge with client certificates while old and new pods meet, and none once all have restarted", async () => {
            const started = Date.now();
            const traffic = new Traffic(world.log, world.edges());
            try {
                await world.settle("trust-both");
                await world.rollOut(FORCED, forced);
            } finally {
                await traffic.stop();
                wall = Date.now() - started;
            }
            const log = world.log;
            const before = log.of((a) => a.phase === "trust-both" && a.outcome === "failed");
            assert.strictEqual(before.length, 0, describeFailures(log, (a) => a.outcome === "failed"));
            // Each of these edges has a stretch where one end restarted and the other not
            // yet (ORDER): the restarted end trusts only the next CA, the other end holds
            // a certificate of the current one. Go→Redis-Go has no client certificate, and
            // its server restarts before its client, so the forced order never breaks it.
            for (const edge of [EDGE.javaJava, EDGE.goJava, EDGE.javaRedis, EDGE.replication]) {
                const failed = log.of((a) => a.phase === FORCED && a.window === "rolling" && a.edge === edge && a.outcome === "failed");
                assert.ok(failed.length > 0, `${edge}: no failed call while old and new met`);
            }
            const settled = log.of((a) => a.phase === FORCED && a.window === "settled" && a.outcome === "failed");
            assert.strictEqual(settled.length, 0, `failed after every pod restarted:\n${describeFailures(log, (a) => a.phase === FORCED && a.window === "settled" && a.outcome === "failed")}`);
        });
    });
});
