// cert-manager renews spin-redis-tls in place, and Redis reads its
// certificate only at start and on CONFIG SET. These tests run the StatefulSet's
// own tls-reload container script (its paths and port mapped, as the probes
// are) against real redis-servers started from the rendered redis.conf, renew
// the mounted files the way the kubelet projects a Secret update (a new
// timestamped folder and an atomic `..data` symlink swap), and check what
// clients and replicas see afterwards. The last part measures why a reload
// and not a restart: the figures are in bench/redis-reload.md.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as tls from "tls";
import { SECRET_KEY } from "../../components/pki/secretLayout";
import { TLS_RELOAD_INTERVAL_ENV, lastTlsReload, tlsReloadedDigest } from "../../components/redis/redisCommands";
import { TLS_RELOAD_CONTAINER } from "../../components/redis/redisTls";
import { RunResult } from "../../engine/run";
import { Issued, issue, stackCa } from "../support/pki";
import { RedisServer, mapPodText } from "../support/redisServer";
import { Reply, parseReplies, session } from "../support/resp";
import { objectNamed, peerRun, secretsByName, tempDir } from "../support/stacks";

type TlsFiles = Record<"tls.crt" | "tls.key" | "ca.crt", Buffer>;
type ClientTls = { ca: Buffer; cert?: Buffer; key?: Buffer; servername: string };

interface Container {
    name: string;
    command: string[];
    env?: { name: string; value: string }[];
}

function redisFiles(result: RunResult, name: string): { conf: string; tls: TlsFiles } {
    const conf = objectNamed<{ data: Record<string, string> }>(result, "kubernetes:core/v1:ConfigMap", `spin-${name}-config`).data["redis.conf"];
    const f = secretsByName(result).get(`spin-${name}-tls`)!.files;
    return { conf, tls: { "tls.crt": f[SECRET_KEY.certificate], "tls.key": f[SECRET_KEY.privateKey], "ca.crt": f[SECRET_KEY.caCertificate] } };
}

function reloadContainer(result: RunResult, name: string): Container {
    const containers = objectNamed<{ spec: { template: { spec: { containers: Container[] } } } }>(result, "kubernetes:apps/v1:StatefulSet", `spin-${name}`).spec.template.spec.containers;
    const found = containers.find((c) => c.name === TLS_RELOAD_CONTAINER);
    assert.ok(found, `spin-${name} has no ${TLS_RELOAD_CONTAINER} container (it has ${containers.map((c) => c.name).join(", ")})`);
    return found;
}

/**
 * Writes `files` as the kubelet's atomic writer updates a Secret volume: into
 * a new `..<timestamp>` folder, then one rename of a `..data` symlink onto it;
 * the visible names are symlinks through `..data` (made once, replacing the
 * plain files the server started with), and the previous folder goes.
 */
function projectSecret(tlsDir: string, files: Record<string, Buffer>, stamp: string): void {
    const previous = fs.existsSync(path.join(tlsDir, "..data")) ? fs.readlinkSync(path.join(tlsDir, "..data")) : undefined;
    const dir = `..${stamp}`;
    fs.mkdirSync(path.join(tlsDir, dir));
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(tlsDir, dir, name), content, { mode: 0o440 });
    fs.symlinkSync(dir, path.join(tlsDir, "..data_tmp"));
    fs.renameSync(path.join(tlsDir, "..data_tmp"), path.join(tlsDir, "..data"));
    for (const name of Object.keys(files)) {
        const visible = path.join(tlsDir, name);
        if (fs.lstatSync(visible).isSymbolicLink()) continue;
        fs.symlinkSync(`..data/${name}`, `${visible}.tmp`);
        fs.renameSync(`${visible}.tmp`, visible);
    }
    if (previous) fs.rmSync(path.join(tlsDir, previous), { recursive: true });
}

/** The sidecar's own script, mapped to this server's files and port, polling fast. */
class Sidecar {
    private readonly proc: childProcess.ChildProcess;
    output = "";
    private readonly exited: Promise<void>;

    constructor(container: Container, server: RedisServer) {
        const [shell, flag, script] = container.command;
        assert.deepStrictEqual([shell, flag], ["sh", "-c"]);
        const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
        // Only the interval differs from the pod: 30 s there, a fifth of a second here.
        assert.ok(env[TLS_RELOAD_INTERVAL_ENV], "the pod spec carries the interval");
        this.proc = childProcess.spawn(shell, [flag, mapPodText(script, server.paths, server.port)], {
            env: { PATH: process.env.PATH, ...env, [TLS_RELOAD_INTERVAL_ENV]: "0.2" },
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.proc.stdout!.on("data", (d) => (this.output += d));
        this.proc.stderr!.on("data", (d) => (this.output += d));
        this.exited = new Promise((resolve) => this.proc.once("exit", () => resolve()));
    }

    reloads(): number {
        return this.output.split("\n").filter((l) => /^tls-reload: Redis reloaded /.test(l)).length;
    }

    async waitForReloads(n: number): Promise<void> {
        await waitUntil(() => this.reloads() >= n, `${n} reloads; the sidecar said:\n${this.output}`);
    }

    /** SIGTERM, as the kubelet stops it: the script traps it and exits at once. */
    async stop(): Promise<number> {
        const start = Date.now();
        if (this.proc.exitCode === null && this.proc.signalCode === null) {
            this.proc.kill("SIGTERM");
            await this.exited;
        }
        return Date.now() - start;
    }
}

async function waitUntil(ok: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
        if (await ok()) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`timed out waiting for ${what}`);
}

const encode = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;

/** One TLS connection kept open across the reload, sending commands in turn. */
class Connection {
    private buffer = Buffer.alloc(0);
    private pending?: { n: number; replies: Reply[]; resolve: (r: Reply[]) => void; reject: (e: Error) => void };
    closed = false;

    private constructor(readonly socket: tls.TLSSocket) {
        socket.on("data", (d) => {
            this.buffer = Buffer.concat([this.buffer, d]);
            const { replies, used } = parseReplies(this.buffer);
            this.buffer = this.buffer.subarray(used);
            const p = this.pending;
            if (!p) return;
            p.replies.push(...replies);
            if (p.replies.length >= p.n) {
                this.pending = undefined;
                p.resolve(p.replies);
            }
        });
        const end = (e?: Error) => {
            this.closed = true;
            this.pending?.reject(e ?? new Error("connection closed"));
            this.pending = undefined;
        };
        socket.on("error", end);
        socket.on("close", () => end());
    }

    static open(port: number, client: ClientTls): Promise<Connection> {
        return new Promise((resolve, reject) => {
            const s = tls.connect({ host: "127.0.0.1", port, ...client, minVersion: "TLSv1.2" });
            s.once("secureConnect", () => resolve(new Connection(s)));
            s.once("error", reject);
        });
    }

    /** The serial of the certificate the server presented on this connection. */
    get serverSerial(): string {
        return this.socket.getPeerCertificate().serialNumber;
    }

    send(commands: string[][], timeoutMs = 5_000): Promise<Reply[]> {
        if (this.closed) return Promise.reject(new Error("connection closed"));
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
            this.pending = {
                n: commands.length,
                replies: [],
                resolve: (r) => (clearTimeout(timer), resolve(r)),
                reject: (e) => (clearTimeout(timer), reject(e)),
            };
            this.socket.write(commands.map(encode).join(""));
        });
    }

    close(): void {
        this.socket.destroy();
    }
}

/** What a new client sees: the serial of the certificate presented in a fresh handshake. */
async function freshSerial(port: number, client: ClientTls): Promise<string> {
    const c = await Connection.open(port, client);
    try {
        assert.deepStrictEqual(await c.send([["PING"]]), ["PONG"]);
        return c.serverSerial;
    } finally {
        c.close();
    }
}

const serialOf = (pem: Buffer | string): string => new crypto.X509Certificate(pem).serialNumber;
const infoField = (info: Reply, field: string): string | undefined => new RegExp(`^${field}:(.*)\\r?$`, "m").exec(String(info))?.[1];

/** A renewal as cert-manager makes it: a new key and certificate for the same names, from the same CA; ca.crt unchanged. */
function renewed(result: RunResult, current: TlsFiles): TlsFiles {
    const old = new crypto.X509Certificate(current["tls.crt"]);
    const dnsNames = (old.subjectAltName ?? "").split(", ").filter((n) => n.startsWith("DNS:")).map((n) => n.slice(4));
    const commonName = /CN=([^\n,]+)/.exec(old.subject)![1];
    const next: Issued = issue(stackCa(result), { commonName, dnsNames });
    return { "tls.crt": Buffer.from(next.certPem), "tls.key": Buffer.from(next.keyPem), "ca.crt": current["ca.crt"] };
}

/** Nothing but the sidecar's own lines: no PEM, no key material (the digest it logs is of tls.crt and ca.crt alone). */
function assertNoSecrets(output: string, files: TlsFiles[]): void {
    assert.doesNotMatch(output, /-----BEGIN|PRIVATE KEY/);
    for (const f of files) {
        const keyBody = f["tls.key"].toString().split("\n").filter((l) => l && !l.startsWith("-----")).join("");
        assert.ok(!output.replace(/\s/g, "").includes(keyBody.slice(0, 40)));
    }
    for (const line of output.split("\n").filter(Boolean)) assert.match(line, /^tls-reload: /);
}

const KEYS = 1000;

describe("the tls-reload container on a real primary and replica (prod's spin-redis, replicating over TLS)", function () {
    const t = tempDir("redis-reload");
    let result: RunResult;
    let original: TlsFiles;
    let next: TlsFiles;
    let primary: RedisServer;
    let replica: RedisServer;
    let client: ClientTls;
    const sidecars: Sidecar[] = [];
    const connections: Connection[] = [];

    before(async () => {
        result = await peerRun("prod");
        const files = redisFiles(result, "redis");
        original = files.tls;
        next = renewed(result, original);
        const gate = secretsByName(result).get("spin-gate-tls")!.files;
        client = { ca: original["ca.crt"], cert: gate[SECRET_KEY.certificate], key: gate[SECRET_KEY.privateKey], servername: "spin-redis" };
        primary = await RedisServer.start(path.join(t.dir, "primary"), files);
        replica = await RedisServer.start(path.join(t.dir, "replica"), files, ["--replicaof", "127.0.0.1", String(primary.port)]);
        // Both pods mount the same Secret, as the kubelet lays it out.
        for (const s of [primary, replica]) projectSecret(s.paths.tlsDir, original, "2026_01_01_00_00_00.1");
    });
    after(async () => {
        for (const c of connections) c.close();
        for (const s of sidecars) await s.stop();
        await replica?.stop();
        await primary?.stop();
        t.remove();
    });

    it("loads the renewed certificate on both without a restart: old connections and the replication link stay, new handshakes get the new certificate, nothing is lost", async () => {
        const writer = await Connection.open(primary.port, client);
        connections.push(writer);
        const sets = Array.from({ length: KEYS }, (_, i) => ["SET", `spinnaker-mtls:reload:${i}`, String(i)]);
        assert.ok((await writer.send(sets)).every((r) => r === "OK"));
        await waitUntil(async () => (await session({ port: replica.port, tls: client }, [["DBSIZE"]])).replies[0] === KEYS, "the replica's initial sync");
        // Its first AOF written: until then a replica refuses SIGTERM ("Writing initial AOF, can't exit").
        await waitUntil(async () => {
            const info = (await session({ port: replica.port, tls: client }, [["INFO", "persistence"]])).replies[0];
            return infoField(info, "aof_rewrite_in_progress") === "0" && infoField(info, "aof_rewrite_scheduled") === "0";
        }, "the replica's initial AOF");

        for (const s of [primary, replica]) sidecars.push(new Sidecar(reloadContainer(result, "redis"), s));
        // The first look always reloads (files may have changed while Redis started).
        for (const s of sidecars) await s.waitForReloads(1);
        // Its log says which files it loaded, as the rotation status computes it from the Secret's bytes
        // (the parser's positive control: the real script's line, through sha256sum).
        for (const s of sidecars) assert.strictEqual(lastTlsReload(s.output), tlsReloadedDigest(original["tls.crt"], original["ca.crt"]));

        const onReplica = await Connection.open(replica.port, client);
        connections.push(onReplica);
        const before = { serial: serialOf(original["tls.crt"]), stats: String((await writer.send([["INFO", "stats"]]))[0]) };
        assert.strictEqual(writer.serverSerial, before.serial);
        assert.notStrictEqual(serialOf(next["tls.crt"]), before.serial);
        const pids = [primary.pid, replica.pid];

        for (const s of [primary, replica]) projectSecret(s.paths.tlsDir, next, "2026_03_01_00_00_00.2");
        for (const s of sidecars) await s.waitForReloads(2);
        for (const s of sidecars) assert.strictEqual(lastTlsReload(s.output), tlsReloadedDigest(next["tls.crt"], next["ca.crt"]));
        assert.notStrictEqual(tlsReloadedDigest(next["tls.crt"], next["ca.crt"]), tlsReloadedDigest(original["tls.crt"], original["ca.crt"]));

        // New handshakes, on both, present the renewed certificate to a client trusting the chain.
        assert.strictEqual(await freshSerial(primary.port, client), serialOf(next["tls.crt"]), "primary");
        assert.strictEqual(await freshSerial(replica.port, client), serialOf(next["tls.crt"]), "replica");
        // No restart: the same processes, the connections opened before still served.
        assert.deepStrictEqual([primary.pid, replica.pid], pids);
        assert.deepStrictEqual(await writer.send([["PING"]]), ["PONG"]);
        assert.deepStrictEqual(await onReplica.send([["PING"]]), ["PONG"]);
        assert.strictEqual(writer.serverSerial, before.serial, "the open connection kept its handshake");
        // Nothing lost, on either.
        for (const c of [writer, onReplica]) {
            const replies = await c.send([["DBSIZE"], ["GET", "spinnaker-mtls:reload:0"], ["GET", `spinnaker-mtls:reload:${KEYS - 1}`]]);
            assert.deepStrictEqual(replies, [KEYS, "0", String(KEYS - 1)]);
        }
        // The replication link was never cut: no new sync of either kind, and writes still flow.
        const stats = String((await writer.send([["INFO", "stats"]]))[0]);
        for (const f of ["sync_full", "sync_partial_ok"]) assert.strictEqual(infoField(stats, f), infoField(before.stats, f), f);
        assert.strictEqual(infoField((await onReplica.send([["INFO", "replication"]]))[0], "master_link_status"), "up");
        await writer.send([["SET", "spinnaker-mtls:after-reload", "yes"]]);
        await waitUntil(async () => (await onReplica.send([["GET", "spinnaker-mtls:after-reload"]]))[0] === "yes", "a write after the reload to replicate");

        for (const s of sidecars) assertNoSecrets(s.output, [original, next]);
    });

    it("and a new replication handshake, made with the renewed certificates on both ends, resumes where it was (partial resync)", async () => {
        const [writer] = connections;
        const partial = Number(infoField((await writer.send([["INFO", "stats"]]))[0], "sync_partial_ok"));
        // Cut the link from the primary's side; the replica dials again over TLS,
        // presenting its (renewed) certificate and verifying the primary's.
        const killed = await writer.send([["CLIENT", "KILL", "TYPE", "replica"]]);
        assert.deepStrictEqual(killed, [1]);
        await waitUntil(async () => Number(infoField((await writer.send([["INFO", "stats"]]))[0], "sync_partial_ok")) === partial + 1, `a partial resync:\n${replica.logText()}`);
        const replicaInfo = await session({ port: replica.port, tls: client }, [["INFO", "replication"]]);
        assert.strictEqual(infoField(replicaInfo.replies[0], "master_link_status"), "up");
        await writer.send([["SET", "spinnaker-mtls:after-handshake", "yes"]]);
        await waitUntil(async () => (await session({ port: replica.port, tls: client }, [["GET", "spinnaker-mtls:after-handshake"]])).replies[0] === "yes", "a write after the new handshake");
        const count = await session({ port: replica.port, tls: client }, [["DBSIZE"]]);
        assert.deepStrictEqual(count.replies, [KEYS + 2]);
    });

    it("leaves Redis on its current certificate while a mismatched certificate and key are mounted, and loads the pair once it is whole", async () => {
        const [sidecar] = sidecars;
        const reloads = sidecar.reloads();
        const third = renewed(result, next);
        // A certificate with the wrong key: redis-cli cannot even use it as its client
        // certificate, so no CONFIG SET is sent (Redis would refuse it the same way) and
        // Redis keeps serving `next`.
        projectSecret(primary.paths.tlsDir, { ...third, "tls.key": next["tls.key"] }, "2026_05_01_00_00_00.3");
        await waitUntil(() => /^tls-reload: reload not done, retrying in 0\.2s: .*Invalid private key$/m.test(sidecar.output), `a refused reload:\n${sidecar.output}`);
        assert.strictEqual(await freshSerial(primary.port, client), serialOf(next["tls.crt"]));
        projectSecret(primary.paths.tlsDir, third, "2026_05_01_00_00_05.4");
        await sidecar.waitForReloads(reloads + 1);
        assert.strictEqual(await freshSerial(primary.port, client), serialOf(third["tls.crt"]));
        assertNoSecrets(sidecar.output, [original, next, third]);
    });

    it("stops at once on SIGTERM instead of holding the pod's deletion for its grace period", async () => {
        const waited = await sidecars[1].stop();
        assert.ok(waited < 5_000, `${waited} ms`);
    });
});

describe("the tls-reload container on the Go services' Redis (prod's spin-redis-go, no client certificates)", () => {
    const t = tempDir("redis-go-reload");
    let result: RunResult;
    let server: RedisServer;
    let sidecar: Sidecar | undefined;

    before(async () => {
        result = await peerRun("prod");
        server = await RedisServer.start(path.join(t.dir, "go"), redisFiles(result, "redis-go"));
        projectSecret(server.paths.tlsDir, redisFiles(result, "redis-go").tls, "2026_01_01_00_00_00.1");
    });
    after(async () => {
        await sidecar?.stop();
        await server?.stop();
        t.remove();
    });

    it("reloads there too, and a client without a certificate, as dinghy connects, sees the renewed one", async () => {
        const files = redisFiles(result, "redis-go").tls;
        const next = renewed(result, files);
        const dinghy: ClientTls = { ca: files["ca.crt"], servername: "spin-redis-go" };
        sidecar = new Sidecar(reloadContainer(result, "redis-go"), server);
        await sidecar.waitForReloads(1);
        assert.strictEqual(await freshSerial(server.port, dinghy), serialOf(files["tls.crt"]));
        projectSecret(server.paths.tlsDir, next, "2026_03_01_00_00_00.2");
        await sidecar.waitForReloads(2);
        assert.strictEqual(await freshSerial(server.port, dinghy), serialOf(next["tls.crt"]));
        assertNoSecrets(sidecar.output, [files, next]);
    });
});

/** Figures for bench/redis-reload.md; printed only when asked, the assertions hold either way. */
const FIGURES = process.env.REDIS_RELOAD_FIGURES === "1";
const BENCH_KEYS = Number(process.env.REDIS_RELOAD_KEYS ?? 2000);
const IDLE_CLIENTS = 20;

/** New clients, one after another, each a fresh handshake and PING: when they failed, and what they saw. */
class Prober {
    private running = true;
    readonly results: { at: number; ok: boolean; serial?: string }[] = [];
    private readonly done: Promise<void>;

    constructor(port: number, client: ClientTls) {
        this.done = (async () => {
            while (this.running) {
                const at = performance.now();
                try {
                    const c = await Connection.open(port, client);
                    try {
                        const [pong] = await c.send([["PING"]], 1_000);
                        this.results.push({ at, ok: pong === "PONG", serial: c.serverSerial });
                    } finally {
                        c.close();
                    }
                } catch {
                    this.results.push({ at, ok: false });
                    await new Promise((r) => setTimeout(r, 5));
                }
            }
        })();
    }

    async stop(): Promise<void> {
        this.running = false;
        await this.done;
    }

    /** From the first failed attempt to the first success after the last failure; 0 when none failed. */
    unavailableMs(): number {
        const failed = this.results.filter((r) => !r.ok);
        if (failed.length === 0) return 0;
        const last = failed[failed.length - 1].at;
        const back = this.results.find((r) => r.ok && r.at > last);
        return (back?.at ?? performance.now()) - failed[0].at;
    }
}

/** A client writing INCR as fast as it is answered, reconnecting when its connection drops: every acknowledged write must survive. */
class Writer {
    acked = 0;
    reconnects = 0;
    private running = true;
    private readonly done: Promise<void>;

    constructor(port: number, client: ClientTls) {
        this.done = (async () => {
            let c: Connection | undefined;
            while (this.running) {
                try {
                    c ??= await Connection.open(port, client);
                    const [n] = await c.send([["INCR", "spinnaker-mtls:bench:counter"]], 1_000);
                    if (typeof n === "number") this.acked = n;
                } catch {
                    c?.close();
                    c = undefined;
                    this.reconnects++;
                    await new Promise((r) => setTimeout(r, 5));
                }
            }
            c?.close();
        })();
    }

    async stop(): Promise<void> {
        this.running = false;
        await this.done;
    }
}

describe("why a reload and not a restart: the same renewal both ways on a real Redis (figures: bench/redis-reload.md)", function () {
    const t = tempDir("redis-reload-bench");
    let result: RunResult;
    let server: RedisServer;
    let restarted: childProcess.ChildProcess | undefined;
    let client: ClientTls;
    let files: TlsFiles;
    const figures: Record<string, string | number>[] = [];

    // The restarted server is not a RedisServer: make sure it never outlives the tests either.
    const killRestarted = () => restarted?.kill("SIGKILL");
    process.on("exit", killRestarted);

    before(async () => {
        result = await peerRun("prod");
        const rendered = redisFiles(result, "redis");
        files = rendered.tls;
        const gate = secretsByName(result).get("spin-gate-tls")!.files;
        client = { ca: files["ca.crt"], cert: gate[SECRET_KEY.certificate], key: gate[SECRET_KEY.privateKey], servername: "spin-redis" };
        server = await RedisServer.start(path.join(t.dir, "redis"), rendered);
        projectSecret(server.paths.tlsDir, files, "2026_01_01_00_00_00.1");
        const loader = await Connection.open(server.port, client);
        const value = "x".repeat(100);
        for (let i = 0; i < BENCH_KEYS; i += 10_000) {
            const batch = Array.from({ length: Math.min(10_000, BENCH_KEYS - i) }, (_, j) => ["SET", `spinnaker-mtls:bench:${i + j}`, value]);
            assert.ok((await loader.send(batch, 60_000)).every((r) => r === "OK"));
        }
        assert.deepStrictEqual(await loader.send([["SET", "spinnaker-mtls:bench:counter", "0"]]), ["OK"]);
        loader.close();
    });
    after(async () => {
        killRestarted();
        process.off("exit", killRestarted);
        await server?.stop();
        if (FIGURES) console.log(`\n${BENCH_KEYS} keys, ${IDLE_CLIENTS} idle clients\n${JSON.stringify(figures, null, 1)}`);
        t.remove();
    });

    /** Renews the files, runs `apply`, and reports what clients saw meanwhile. */
    async function measure(how: string, stamp: string, apply: () => Promise<void>) {
        const idle = await Promise.all(Array.from({ length: IDLE_CLIENTS }, () => Connection.open(server.port, client)));
        const keysBefore = (await session({ port: server.port, tls: client }, [["DBSIZE"]])).replies[0] as number;
        const next = renewed(result, files);
        const writer = new Writer(server.port, client);
        const prober = new Prober(server.port, client);
        await new Promise((r) => setTimeout(r, 200));
        projectSecret(server.paths.tlsDir, next, stamp);
        const start = performance.now();
        await apply();
        const applied = performance.now() - start;
        await waitUntil(() => prober.results.some((r) => r.ok && r.serial === serialOf(next["tls.crt"]) && r.at > start), "a new client to see the renewed certificate", 30_000);
        await new Promise((r) => setTimeout(r, 200));
        await Promise.all([prober.stop(), writer.stop()]);
        const alive = await Promise.all(idle.map((c) => c.send([["PING"]], 1_000).then(() => true, () => false)));
        idle.forEach((c) => c.close());
        const after = await session({ port: server.port, tls: client }, [["DBSIZE"], ["GET", "spinnaker-mtls:bench:counter"]]);
        const row = {
            how,
            "applied in (ms)": Math.round(applied),
            "new-client attempts refused": prober.results.filter((r) => !r.ok).length,
            "unavailable (ms)": Math.round(prober.unavailableMs()),
            "idle connections dropped": alive.filter((a) => !a).length,
            "writer reconnects": writer.reconnects,
            "keys before": keysBefore,
            "keys after": after.replies[0] as number,
            "acknowledged INCRs": writer.acked,
            "counter after": Number(after.replies[1]),
        };
        figures.push(row);
        return row;
    }

    it("without the reload, Redis keeps serving the old certificate however long the renewed files are mounted", async () => {
        const next = renewed(result, files);
        projectSecret(server.paths.tlsDir, next, "2026_02_01_00_00_00.2");
        await new Promise((r) => setTimeout(r, 500));
        assert.strictEqual(await freshSerial(server.port, client), serialOf(files["tls.crt"]));
        files = next;
    });

    it("the tls-reload container: no new client refused, no connection dropped, nothing lost", async () => {
        let sidecar: Sidecar | undefined;
        const row = await measure("reload (tls-reload container)", "2026_03_01_00_00_00.3", async () => {
            sidecar = new Sidecar(reloadContainer(result, "redis"), server);
            await sidecar.waitForReloads(1);
        });
        await sidecar!.stop();
        assert.deepStrictEqual(
            [row["new-client attempts refused"], row["idle connections dropped"], row["writer reconnects"], row["keys after"]],
            [0, 0, 0, row["keys before"]],
            JSON.stringify(row),
        );
        assert.strictEqual(row["counter after"], row["acknowledged INCRs"]);
    });

    it("a restart (what Reloader does to the pod, without Kubernetes's own delays): every connection dropped and a window with no Redis; the data survives through the AOF", async () => {
        const row = await measure("restart (SIGTERM, start on the same files and data)", "2026_04_01_00_00_00.4", async () => {
            await server.stop();
            const log = fs.openSync(server.log, "a");
            restarted = childProcess.spawn("redis-server", [path.join(server.paths.configDir, "redis.conf")], { stdio: ["ignore", log, log] });
            fs.closeSync(log);
            await waitUntil(async () => (await session({ port: server.port, tls: client }, [["PING"]])).replies[0] === "PONG", "the restarted Redis", 60_000);
        });
        assert.strictEqual(row["idle connections dropped"], IDLE_CLIENTS, JSON.stringify(row));
        assert.ok(row["new-client attempts refused"] > 0 && row["writer reconnects"] > 0, JSON.stringify(row));
        assert.strictEqual(row["keys after"], row["keys before"]);
        // An INCR in flight when Redis stopped may have been applied without its reply arriving.
        assert.ok(row["counter after"] - row["acknowledged INCRs"] <= 1, JSON.stringify(row));
    });
});
