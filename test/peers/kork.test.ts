// kork as the judge: a small Spring Boot service built with Maven against
// kork's published artifacts (test/peers/kork) runs as two Spinnaker Java
// services with the profiles the program renders, Secret references resolved
// to files and strings the way the Operator resolves them. Spring Boot serves
// HTTPS from `server.ssl`; every outgoing call goes through the OkHttp clients
// kork builds from `ok-http-client.*`; Redis is reached through kork's Jedis
// pool with the JVM-wide SSL settings of the JDK argfile. Slow (Maven, two
// JVMs per stack): part of `npm run test:peers`, not `npm test`.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { SECRET_KEY } from "../../components/pki/secretLayout";
import { unwrap } from "../../engine/monitor";
import { RunResult } from "../../engine/run";
import { KorkLaunchOptions, jsonHttpsServer, korkLaunch, korkPeerJar } from "../support/korkPeer";
import { issue, newCa, stackCa } from "../support/pki";
import { RedisServer, waitUntilListening } from "../support/redisServer";
import { ServiceFiles, objectNamed, run, secretsByName, tempDir } from "../support/stacks";

const PEER_DIR = path.join(__dirname, "kork");
const KORK_VERSION = /<kork\.version>([^<]+)<\/kork\.version>/.exec(fs.readFileSync(path.join(PEER_DIR, "pom.xml"), "utf8"))![1];
/** kork's ways of building an OkHttp client from ok-http-client.* (see PeerController.client). */
const KORK_CLIENT_PATHS = ["retrofit2", "retrofit1", "service-endpoint", "customized-builder"] as const;
const EXTRA_CA_KEY = "spinnaker-mtls:jvmExtraCaCertsPem";

// ---------------------------------------------------------------- the build

// ------------------------------------------------- the rendered configuration

interface ServicePatch {
    spec: { spinnakerConfig: { profiles: Record<string, Record<string, unknown>>; "service-settings": Record<string, { baseUrl: string }> } };
}

/** The SpinnakerService patch exactly as the program sends it. */
function spinnakerService(result: RunResult): ServicePatch {
    const found = result.resources.filter((r) => r.type.startsWith("kubernetes:spinnaker.") && r.type.includes(":SpinnakerService"));
    assert.strictEqual(found.length, 1, found.map((r) => r.type).join(","));
    return unwrap(found[0].inputs) as ServicePatch;
}

function redisFiles(result: RunResult) {
    const conf = objectNamed<{ data: Record<string, string> }>(result, "kubernetes:core/v1:ConfigMap", "spin-redis-config").data["redis.conf"];
    const f = secretsByName(result).get("spin-redis-tls")!.files;
    return { conf, tls: { "tls.crt": f[SECRET_KEY.certificate], "tls.key": f[SECRET_KEY.privateKey], "ca.crt": f[SECRET_KEY.caCertificate] } };
}

// ------------------------------------------------------------- running peers

const running = new Set<childProcess.ChildProcess>();
process.on("exit", () => {
    for (const p of running) p.kill("SIGKILL");
});

/** As korkLaunch's, but `root` holds a folder per service. */
type PeerOptions = KorkLaunchOptions;

class KorkPeer {
    private readonly proc: childProcess.ChildProcess;
    private readonly exited: Promise<void>;

    private constructor(
        readonly service: string,
        readonly port: number,
        /** The rendered base URL (https://spin-<svc>.<namespace>:<port>) with the peer's port. */
        readonly baseUrl: string,
        readonly log: string,
        cmd: { args: string[]; env: NodeJS.ProcessEnv },
    ) {
        const out = fs.openSync(log, "a");
        this.proc = childProcess.spawn("java", cmd.args, { stdio: ["ignore", out, out], env: cmd.env });
        fs.closeSync(out);
        running.add(this.proc);
        this.exited = new Promise((resolve) => this.proc.once("exit", () => resolve()));
        void this.exited.then(() => running.delete(this.proc));
    }

    /** Starts the service as its pod would: the profile with its Secrets resolved, the argfile through JDK_JAVA_OPTIONS. */
    static async start(o: PeerOptions): Promise<KorkPeer> {
        const root = path.join(o.root, o.service);
        const { port, args, env } = await korkLaunch({ ...o, root });
        const url = new URL(spinnakerService(o.result).spec.spinnakerConfig["service-settings"][o.service].baseUrl);
        url.port = String(port);
        const peer = new KorkPeer(o.service, port, url.origin, path.join(o.root, `${o.service}.log`), { args, env });
        try {
            await peer.waitUntilListening();
        } catch (e) {
            await peer.stop();
            throw e;
        }
        return peer;
    }

    private async waitUntilListening(): Promise<void> {
        await waitUntilListening(this.port, this.proc, 300_000, 250, this.service, () => this.logText());
    }

    logText(): string {
        return fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8") : "";
    }

    async stop(): Promise<void> {
        if (this.proc.exitCode === null && this.proc.signalCode === null) {
            this.proc.kill("SIGTERM");
            const timer = setTimeout(() => this.proc.kill("SIGKILL"), 15_000);
            await this.exited;
            clearTimeout(timer);
        }
    }
}

// ---------------------------------------------------------- the test's client

interface Reply {
    readonly status?: number;
    readonly json?: Record<string, unknown>;
    /** The server certificate's subject CN, as the handshake presented it. */
    readonly serverCn?: string;
    readonly error?: string;
}

interface ClientTls {
    readonly ca: Buffer | string;
    readonly cert?: Buffer | string;
    readonly key?: Buffer | string;
}

/** GET over HTTPS to 127.0.0.1, verifying the server's certificate for the URL's host name. */
function get(url: string, client: ClientTls): Promise<Reply> {
    const u = new URL(url);
    return new Promise((resolve) => {
        const req = https.request(
            { host: "127.0.0.1", port: Number(u.port), path: u.pathname + u.search, servername: u.hostname, headers: { host: u.host }, ...client, agent: false, timeout: 120_000 },
            (res) => {
                const cn = (res.socket as tls.TLSSocket).getPeerCertificate().subject?.CN as string | undefined;
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (d) => (body += d));
                res.on("end", () => resolve({ status: res.statusCode, json: body ? (JSON.parse(body) as Record<string, unknown>) : undefined, serverCn: cn }));
            },
        );
        req.on("timeout", () => req.destroy(new Error("timed out")));
        req.on("error", (e) => resolve({ error: `${(e as NodeJS.ErrnoException).code ?? ""} ${e.message}` }));
        req.end();
    });
}

const pemClient = (f: ServiceFiles): ClientTls => ({ ca: f.files[SECRET_KEY.caCertificate], cert: f.files[SECRET_KEY.certificate], key: f.files[SECRET_KEY.privateKey] });

/** An HTTPS endpoint outside Spinnaker (a Slack or GitHub stand-in) serving `leaf` on 127.0.0.1. */

const sha256Hex = (pem: string) => crypto.createHash("sha256").update(new crypto.X509Certificate(pem).raw).digest("hex");

// ------------------------------------------------------------------ the suite

const stacks = [
    // prod is judged with the program's own PKI (as peerRun does): cert-manager issues inside the cluster.
    { stack: "prod", config: { "spinnaker-mtls:certificateBackend": "pulumi" }, clientAuth: "need" },
    { stack: "dev", config: {}, clientAuth: "want" },
] as const;

describe(`kork ${KORK_VERSION} (Maven Central) judges the Java services' rendered profiles`, function () {
    let jar: string;
    before(function () {
        // A cold build downloads kork and Spring Boot into ~/.m2 (minutes); a warm one reuses the jar.
        this.timeout(25 * 60_000);
        jar = korkPeerJar();
    });

    for (const s of stacks) {
        describe(`the ${s.stack} stack: front50 and orca as kork services (clientAuth ${s.clientAuth})`, function () {
            this.timeout(600_000);
            let t: { dir: string; remove: () => void } | undefined;
            // A CA that stands for a public root (Slack's, GitHub's): given to the
            // program as jvmExtraCaCertsPem, it must reach ok-http-client's trust store.
            const publicRoot = newCa("Simulated Public Root CA");
            const EXTERNAL_HOST = "hooks.slack-stand-in.test";
            const externalLeaf = issue(publicRoot, { commonName: EXTERNAL_HOST, dnsNames: [EXTERNAL_HOST] });
            // Signed by a CA the program was never told about: kork must refuse it.
            const UNKNOWN_HOST = "unknown-ca.test";
            const unknownLeaf = issue(newCa("Unknown CA"), { commonName: UNKNOWN_HOST, dnsNames: [UNKNOWN_HOST] });

            let result: RunResult;
            let front50: KorkPeer;
            let orca: KorkPeer;
            let redis: RedisServer;
            let external: { port: number; close: () => Promise<void> };
            let unknown: { port: number; close: () => Promise<void> };
            let asGate: ClientTls;

            before(async function () {
                this.timeout(600_000);
                t = tempDir(`kork-${s.stack}`);
                const dir = t.dir;
                result = await run({ stack: s.stack, config: { ...s.config, [EXTRA_CA_KEY]: publicRoot.certPem } });
                asGate = pemClient(secretsByName(result).get("spin-gate-tls")!);
                external = await jsonHttpsServer(externalLeaf, { service: "external" });
                unknown = await jsonHttpsServer(unknownLeaf, { service: "external" });
                redis = await RedisServer.start(path.join(dir, "redis"), redisFiles(result));
                const hostsFile = path.join(dir, "hosts");
                const names = ["localhost", os.hostname(), EXTERNAL_HOST, UNKNOWN_HOST, ...["front50", "orca"].map((svc) => new URL(spinnakerService(result).spec.spinnakerConfig["service-settings"][svc].baseUrl).hostname)];
                fs.writeFileSync(hostsFile, `127.0.0.1 ${names.join(" ")}\n`);
                // The rendered redis.connection names the in-cluster Service; here it is the local server.
                const redisHere = { "redis.connection": `rediss://127.0.0.1:${redis.port}` };
                // Both JVMs start at once (each takes tens of seconds); whichever started is stopped in after() even if the other failed.
                const started = await Promise.allSettled(
                    (["front50", "orca"] as const).map((service) => KorkPeer.start({ jar, result, service, root: dir, hostsFile, overrides: redisHere })),
                );
                [front50, orca] = started.map((p) => (p.status === "fulfilled" ? p.value : undefined!));
                for (const p of started) if (p.status === "rejected") throw p.reason;
            });
            after(async function () {
                this.timeout(60_000);
                await Promise.all([front50?.stop(), orca?.stop(), redis?.stop(), external?.close(), unknown?.close()]);
                t?.remove();
            });

            it("each serves HTTPS with the rendered server.ssl: its own certificate, trusted through the Spinnaker CA, and reads the caller's certificate", async () => {
                for (const peer of [front50, orca]) {
                    const r = await get(`${peer.baseUrl}/whoami`, asGate);
                    assert.strictEqual(r.error, undefined, `${peer.service}: ${r.error}\n${peer.logText()}`);
                    assert.strictEqual(r.status, 200);
                    assert.strictEqual(r.serverCn, `spin-${peer.service}`);
                    assert.strictEqual(r.json!.service, peer.service);
                    assert.match(String(r.json!.clientCertificate), /^CN=spin-gate,/);
                }
            });

            it("a server certificate from another CA is not accepted by a client holding the stack's CA (the check above is real)", async () => {
                const other = await get(`${front50.baseUrl}/whoami`, { ca: newCa("Other CA").certPem, cert: asGate.cert, key: asGate.key });
                assert.match(other.error ?? "", /self[- ]signed|unable to verify|unable to get local issuer/i);
            });

            for (const [caller, callee] of [
                ["orca", "front50"],
                ["front50", "orca"],
            ] as const) {
                it(`${caller} calls ${callee} through every kork client path (${KORK_CLIENT_PATHS.join(", ")}), presenting its own certificate`, async () => {
                    const peers = { front50, orca };
                    for (const via of KORK_CLIENT_PATHS) {
                        const url = `${peers[callee].baseUrl}/whoami`;
                        const r = await get(`${peers[caller].baseUrl}/call?${new URLSearchParams({ url, via })}`, asGate);
                        assert.strictEqual(r.status, 200, `${via}: ${JSON.stringify(r.json ?? r.error)}`);
                        assert.strictEqual(r.json!.status, 200, via);
                        const seen = JSON.parse(String(r.json!.body)) as { service: string; clientCertificate: string | null };
                        assert.strictEqual(seen.service, callee, via);
                        assert.match(String(seen.clientCertificate), new RegExp(`^CN=spin-${caller},`), via);
                    }
                });
            }

            if (s.clientAuth === "need") {
                it("refuses a caller without a client certificate, at the TLS handshake", async () => {
                    for (const peer of [front50, orca]) {
                        const r = await get(`${peer.baseUrl}/whoami`, { ca: asGate.ca });
                        assert.strictEqual(r.status, undefined, `${peer.service} answered ${r.status}`);
                        assert.match(r.error ?? "", /certificate required|bad certificate|ECONNRESET|socket hang up/i, peer.service);
                    }
                });
            } else {
                it("admits a caller without a client certificate while clientAuth is want (the rollout stage), and sees none", async () => {
                    const r = await get(`${front50.baseUrl}/whoami`, { ca: asGate.ca });
                    assert.strictEqual(r.status, 200, r.error);
                    assert.strictEqual(r.json!.clientCertificate, null);
                });
            }

            it("reaches an HTTPS endpoint whose chain ends in a root known only among the public roots (jvmExtraCaCertsPem), through every kork client path", async () => {
                for (const via of KORK_CLIENT_PATHS) {
                    const url = `https://${EXTERNAL_HOST}:${external.port}/`;
                    const r = await get(`${orca.baseUrl}/call?${new URLSearchParams({ url, via })}`, asGate);
                    assert.strictEqual(r.status, 200, `${via}: ${JSON.stringify(r.json ?? r.error)}`);
                    assert.deepStrictEqual(JSON.parse(String(r.json!.body)), { service: "external" }, via);
                }
            });

            it("and still refuses an endpoint whose chain ends in a root it was never given (PKIX)", async () => {
                for (const via of KORK_CLIENT_PATHS) {
                    const url = `https://${UNKNOWN_HOST}:${unknown.port}/`;
                    const r = await get(`${orca.baseUrl}/call?${new URLSearchParams({ url, via })}`, asGate);
                    assert.strictEqual(r.status, 502, via);
                    assert.match(JSON.stringify(r.json!.error), /PKIX path building failed|unable to find valid certification path/, via);
                }
            });

            it("ok-http-client's trust store, as kork loads it, holds the Spinnaker CA, the extra CA and every public root Node bundles", async () => {
                const expected = new Map<string, string>([
                    [sha256Hex(stackCa(result).rootPem), "the Spinnaker CA"],
                    [sha256Hex(publicRoot.certPem), "the jvmExtraCaCertsPem CA"],
                    ...tls.rootCertificates.map((pem): [string, string] => [sha256Hex(pem), new crypto.X509Certificate(pem).subject.replace(/\n/g, ", ")]),
                ]);
                for (const via of KORK_CLIENT_PATHS) {
                    for (const peer of [front50, orca]) {
                        const r = await get(`${peer.baseUrl}/okhttp-trust?${new URLSearchParams({ via })}`, asGate);
                        assert.strictEqual(r.status, 200, JSON.stringify(r.json ?? r.error));
                        const accepted = new Set(r.json!.acceptedIssuers as string[]);
                        const missing = [...expected].filter(([fp]) => !accepted.has(fp)).map(([, name]) => name);
                        assert.deepStrictEqual(missing.slice(0, 5), [], `${peer.service} via ${via}: ${missing.length} of ${expected.size} roots missing from the store behind ok-http-client.trust-store`);
                    }
                }
            });

            it("Jedis (kork's JedisPoolFactory) reaches the real redis-server over mutual TLS with orca's JVM argfile", async () => {
                // Mutual: the rendered redis.conf admits no client without a certificate.
                assert.match(redisFiles(result).conf, /^tls-auth-clients yes$/m);
                const r = await get(`${orca.baseUrl}/redis-ping`, asGate);
                assert.strictEqual(r.status, 200, JSON.stringify(r.json ?? r.error));
                assert.deepStrictEqual(r.json, { reply: "PONG" });
            });

            it("while front50's JVM, which the program makes no Redis client (its argfile sets no JVM-wide stores), cannot reach it: the PONG above came through the argfile", async () => {
                const since = redis.logText().length;
                const r = await get(`${front50.baseUrl}/redis-ping`, asGate);
                assert.strictEqual(r.status, 502, JSON.stringify(r.json));
                // The JDK's own cacerts do not hold the Spinnaker CA, so front50's side ends the handshake.
                assert.match(JSON.stringify(r.json!.error), /JedisConnectionException.*PKIX path building failed/);
                const deadline = Date.now() + 5_000;
                while (!/certificate unknown/.test(redis.logText().slice(since)) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
                assert.match(redis.logText().slice(since), /Error accepting a client connection: .*alert certificate unknown/);
            });
        });
    }
});
