// The moving parts of the CA rotation drill (test/peers/caRotationDrill.test.ts):
// kork JVMs behind a stand-in for their Kubernetes Service, redis-server pods
// that restart on their own port as a StatefulSet's pods keep their names,
// a handshake log, and the traffic that fills it. Every process started here
// is registered, stopped by the drill's after() hooks, killed when the test
// process exits, and killed on SIGINT/SIGTERM while a drill is running.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { REDIS_PORT } from "../../components/redis/redisConf";
import { KorkLaunchOptions, korkLaunch } from "./korkPeer";
import { mapPodText, waitUntilListening } from "./redisServer";
import { Reply, parseReplies, session } from "./resp";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------ processes

const running = new Set<childProcess.ChildProcess>();
process.on("exit", () => {
    for (const p of running) p.kill("SIGKILL");
});

function track(proc: childProcess.ChildProcess): Promise<void> {
    running.add(proc);
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    void exited.then(() => running.delete(proc));
    return exited;
}

const alive = (p: childProcess.ChildProcess) => p.exitCode === null && p.signalCode === null;

async function terminate(proc: childProcess.ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
    if (!alive(proc)) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
}

/**
 * While a drill runs, Ctrl-C or a `kill` of the test process must not leave
 * JVMs and redis-servers behind: Node's default action on these signals
 * skips the "exit" handlers. The handler kills what the drill started and
 * its folders, then lets the signal take its normal course.
 */
export function stopOnSignal(folders: () => string[]): () => void {
    const handler = (signal: NodeJS.Signals) => {
        for (const p of running) p.kill("SIGKILL");
        for (const dir of folders()) fs.rmSync(dir, { recursive: true, force: true });
        uninstall();
        process.kill(process.pid, signal);
    };
    const uninstall = () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
    return uninstall;
}

// ------------------------------------------------- a Kubernetes Service

/**
 * A TCP stand-in for a ClusterIP Service on 127.0.0.1: each new connection
 * goes to the next ready endpoint in turn, as kube-proxy spreads
 * connections, so during a rolling update old and new pods both take calls.
 */
export class ServiceProxy {
    private endpoints: number[] = [];
    private turn = 0;
    private readonly sockets = new Set<net.Socket>();
    private readonly server = net.createServer((client) => this.forward(client));

    static async start(): Promise<ServiceProxy> {
        const proxy = new ServiceProxy();
        await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
        return proxy;
    }

    get port(): number {
        return (this.server.address() as net.AddressInfo).port;
    }

    private forward(client: net.Socket): void {
        this.sockets.add(client);
        client.once("close", () => this.sockets.delete(client));
        if (this.endpoints.length === 0) {
            client.destroy();
            return;
        }
        const port = this.endpoints[this.turn++ % this.endpoints.length];
        const upstream = net.connect({ host: "127.0.0.1", port });
        this.sockets.add(upstream);
        upstream.once("close", () => this.sockets.delete(upstream));
        client.pipe(upstream);
        upstream.pipe(client);
        client.on("error", () => upstream.destroy());
        upstream.on("error", () => client.destroy());
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
    }

    add(port: number): void {
        this.endpoints.push(port);
    }

    remove(port: number): void {
        this.endpoints = this.endpoints.filter((p) => p !== port);
    }

    async close(): Promise<void> {
        for (const s of this.sockets) s.destroy();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
}

// ------------------------------------------------------- kork services


export type KorkStart = KorkLaunchOptions;

/** One pod of a Java service: the kork peer with the profile and argfile of one run, as that pod mounted them at its start. */
export class KorkPod {
    private constructor(
        readonly service: string,
        readonly port: number,
        readonly log: string,
        private readonly proc: childProcess.ChildProcess,
        private readonly exited: Promise<void>,
    ) {}

    static async start(o: KorkStart): Promise<KorkPod> {
        const { port, args, env } = await korkLaunch(o);
        const log = path.join(o.root, "pod.log");
        const out = fs.openSync(log, "a");
        const proc = childProcess.spawn("java", args, { stdio: ["ignore", out, out], env });
        fs.closeSync(out);
        const pod = new KorkPod(o.service, port, log, proc, track(proc));
        try {
            await waitUntilListening(port, proc, 300_000, 200, `${o.service} (kork)`, () => pod.logText());
        } catch (e) {
            await pod.stop();
            throw e;
        }
        return pod;
    }

    logText(): string {
        return fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8") : "";
    }

    stop(): Promise<void> {
        return terminate(this.proc, this.exited, 15_000);
    }
}

/**
 * A Java service's Deployment (one replica) behind its Service: a rolling
 * update starts the new pod, adds it to the endpoints beside the old one
 * (maxSurge 1, maxUnavailable 0, Kubernetes's defaults for one replica),
 * then takes the old one out and stops it.
 */
export class JavaDeployment {
    private constructor(
        readonly service: string,
        readonly proxy: ServiceProxy,
        private pod: KorkPod,
    ) {}

    static async create(start: KorkStart): Promise<JavaDeployment> {
        const proxy = await ServiceProxy.start();
        try {
            const pod = await KorkPod.start(start);
            proxy.add(pod.port);
            return new JavaDeployment(start.service, proxy, pod);
        } catch (e) {
            await proxy.close();
            throw e;
        }
    }

    /** Old and new serve side by side for `overlapMs`; the old pod then leaves the endpoints and, after `graceMs` for calls in flight, stops. */
    async rollTo(next: KorkPod, overlapMs: number, graceMs: number): Promise<void> {
        const old = this.pod;
        this.proxy.add(next.port);
        await sleep(overlapMs);
        this.proxy.remove(old.port);
        this.pod = next;
        await sleep(graceMs);
        await old.stop();
    }

    async stop(extra: KorkPod[] = []): Promise<void> {
        await Promise.all([this.pod.stop(), ...extra.map((p) => p.stop())]);
        await this.proxy.close();
    }
}

// ------------------------------------------------------------ Redis pods

export type RedisTlsFiles = Record<"tls.crt" | "tls.key" | "ca.crt", Buffer>;
/** What a Redis pod mounts: redis.conf from its ConfigMap, and its Secret's files. */
export interface RedisFiles {
    readonly conf: string;
    readonly tls: RedisTlsFiles;
}

/**
 * One pod of a Redis StatefulSet: the rendered redis.conf (mount paths, port
 * and bind mapped as in redisServer.ts) on a port that stays its own across
 * restarts, like the pod's DNS name, with its data folder (the PVC) kept.
 * A unix socket, which the pod does not have, lets the drill look inside
 * without a TLS identity of its own.
 */
export class RedisPod {
    private proc?: childProcess.ChildProcess;
    private exited: Promise<void> = Promise.resolve();
    /** How many times this pod has started: a call that sees it change met two processes. */
    starts = 0;
    /** From each SIGTERM to the exit (Infinity while stopping). */
    private readonly stops: { from: number; to: number }[] = [];
    readonly socket: string;
    readonly log: string;
    private readonly paths: { configDir: string; tlsDir: string; dataDir: string };

    constructor(
        readonly name: string,
        root: string,
        readonly port: number,
        private readonly extraArgs: string[],
    ) {
        this.paths = { configDir: path.join(root, "conf"), tlsDir: path.join(root, "tls"), dataDir: path.join(root, "data") };
        for (const dir of Object.values(this.paths)) fs.mkdirSync(dir, { recursive: true });
        this.socket = path.join(root, "s");
        this.log = path.join(root, "redis.log");
    }

    get running(): boolean {
        return this.proc !== undefined && alive(this.proc);
    }

    logText(): string {
        return fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8") : "";
    }

    /** Starts with this ConfigMap and Secret mounted; resolves once it answers PING (loading done), as its readiness probe would see it. */
    async start(files: RedisFiles): Promise<void> {
        assert.ok(!this.running, `${this.name} is already running`);
        for (const [name, content] of Object.entries(files.tls)) fs.writeFileSync(path.join(this.paths.tlsDir, name), content, { mode: 0o600 });
        const conf = mapPodText(files.conf, this.paths, this.port).replace(/^bind .*$/m, "bind 127.0.0.1");
        assert.match(conf, /^bind 127\.0\.0\.1$/m);
        const confFile = path.join(this.paths.configDir, "redis.conf");
        fs.writeFileSync(confFile, conf);
        const out = fs.openSync(this.log, "a");
        const proc = childProcess.spawn("redis-server", [confFile, ...this.extraArgs, "--unixsocket", this.socket, "--unixsocketperm", "700"], { stdio: ["ignore", out, out] });
        fs.closeSync(out);
        this.proc = proc;
        this.starts++;
        this.exited = track(proc);
        await waitUntilListening(this.port, proc, 15_000, 20, this.name, () => this.logText());
        const deadline = Date.now() + 15_000;
        for (;;) {
            const r = await admin(this.socket, [["PING"]]).catch((e: Error) => [{ error: e.message }]);
            if (r[0] === "PONG") return;
            if (Date.now() > deadline) throw new Error(`${this.name} never answered PING: ${JSON.stringify(r)}\n${this.logText().slice(-2000)}`);
            await sleep(20);
        }
    }

    /** SIGTERM as the kubelet stops it, once no AOF rewrite is running (a replica refuses to exit before its first AOF is written). */
    async stop(): Promise<void> {
        if (!this.proc || !alive(this.proc)) return;
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
            const info = await admin(this.socket, [["INFO", "persistence"]]).then((r) => String(r[0]), () => "");
            if (/^aof_rewrite_in_progress:0\r?$/m.test(info) && /^aof_rewrite_scheduled:0\r?$/m.test(info)) break;
            await sleep(50);
        }
        const stop = { from: Date.now(), to: Infinity };
        this.stops.push(stop);
        await terminate(this.proc, this.exited, 5_000);
        stop.to = Date.now();
    }

    /** Whether the process was being stopped at some moment between `from` and `to`. */
    stoppedDuring(from: number, to: number): boolean {
        return this.stops.some((s) => s.from <= to && s.to >= from);
    }

    /** A pod of the StatefulSet's rolling update: deleted, then created again with the Secret as it is now. */
    async restart(files: RedisFiles): Promise<void> {
        await this.stop();
        await this.start(files);
    }

    /**
     * What the pod's tls-reload container does when the kubelet swaps the mounted files: the new
     * files in place (each renamed over the old, as the atomic writer's symlink swap makes them
     * appear), then CONFIG SET of the same paths over TLS, presenting the new certificate and
     * verifying Redis's against the new ca.crt, as its redis-cli does (redisCommands.ts; the
     * script itself runs against redis-server in redisReload.test.ts). Throws when Redis refuses.
     */
    async reload(files: RedisFiles, servername: string): Promise<void> {
        assert.ok(this.running, `${this.name} is not running`);
        for (const [name, content] of Object.entries(files.tls)) {
            const file = path.join(this.paths.tlsDir, name);
            fs.writeFileSync(`${file}.new`, content, { mode: 0o600 });
            fs.renameSync(`${file}.new`, file);
        }
        const f = (name: string) => path.join(this.paths.tlsDir, name);
        const r = await session(
            { port: this.port, tls: { ca: files.tls["ca.crt"], cert: files.tls["tls.crt"], key: files.tls["tls.key"], servername } },
            [["CONFIG", "SET", "tls-cert-file", f("tls.crt"), "tls-key-file", f("tls.key"), "tls-ca-cert-file", f("ca.crt")]],
        );
        if (r.replies[0] !== "OK") throw new Error(`${this.name}: the reload's CONFIG SET got ${JSON.stringify(r.replies)} ${r.error ?? ""}`);
    }
}

/** Commands over a pod's unix socket (the drill's own channel, no TLS), with their replies. */
export function admin(socketPath: string, commands: string[][], timeoutMs = 3_000): Promise<Reply[]> {
    return new Promise((resolve, reject) => {
        let buffer = Buffer.alloc(0);
        const replies: Reply[] = [];
        const socket = net.connect({ path: socketPath });
        const timer = setTimeout(() => socket.destroy(new Error("timed out")), timeoutMs);
        socket.once("connect", () => socket.write(commands.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`).join("")));
        socket.on("data", (d) => {
            buffer = Buffer.concat([buffer, d]);
            const { replies: got, used } = parseReplies(buffer);
            buffer = buffer.subarray(used);
            replies.push(...got);
            if (replies.length >= commands.length) {
                clearTimeout(timer);
                socket.destroy();
                resolve(replies);
            }
        });
        socket.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        socket.on("close", () => {
            clearTimeout(timer);
            if (replies.length < commands.length) reject(new Error("connection closed"));
        });
    });
}

/** The extra arguments a StatefulSet pod of this ordinal starts redis-server with, from the start script the program renders. */
export function podArgs(startScript: string, ordinal: number, primaryPort: number): string[] {
    if (ordinal === 0) {
        assert.match(startScript, /if \[ "\$ordinal" = "0" \]; then exec redis-server \S+; fi/);
        return [];
    }
    const m = new RegExp(`exec redis-server \\S+ --replicaof (\\S+) ${REDIS_PORT}$`, "m").exec(startScript);
    assert.ok(m, `no --replicaof in the start script:\n${startScript}`);
    // The primary's pod name resolves to pod 0, which listens here on its own port.
    return ["--replicaof", "127.0.0.1", String(primaryPort)];
}

// ------------------------------------------------------ the handshake log

export type Outcome = "ok" | "failed" | "unavailable" | "dropped";

export interface Attempt {
    readonly edge: string;
    /** The phase being rolled out (or settled) when the call started. */
    readonly phase: string;
    /** "rolling" while any consumer of the phase is being restarted, "settled" before and after. */
    readonly window: "rolling" | "settled";
    readonly startedAt: number;
    readonly ms: number;
    readonly outcome: Outcome;
    readonly error?: string;
}

export interface CallResult {
    readonly outcome: Outcome;
    readonly error?: string;
}

/**
 * Every call of every edge, labelled with the phase and window in force when
 * it started. Two outcomes say nothing about the stores and are kept apart
 * from "failed": "unavailable", a refused TCP connection (a Redis pod
 * between its stop and its start, no handshake attempted), and "dropped",
 * a connection to a Redis pod lost with no TLS verdict at either end (the
 * callers decide, see redisOutcome in the test). Every other error is a
 * failed handshake or call.
 */
export class HandshakeLog {
    readonly attempts: Attempt[] = [];
    phase = "";
    window: Attempt["window"] = "settled";
    readonly restarts: { phase: string; consumer: string; at: number }[] = [];
    /** Reloads in place (Redis's tls-reload), per pod. */
    readonly reloads: { phase: string; consumer: string; at: number }[] = [];
    readonly phaseWall = new Map<string, number>();

    async call(edge: string, fn: () => Promise<CallResult>): Promise<Attempt> {
        const phase = this.phase;
        const window = this.window;
        const startedAt = Date.now();
        let r: CallResult;
        try {
            r = await fn();
        } catch (e) {
            r = { outcome: "failed", error: `the call itself threw: ${(e as Error).message}` };
        }
        const attempt: Attempt = { edge, phase, window, startedAt, ms: Date.now() - startedAt, outcome: r.outcome, ...(r.error ? { error: r.error } : {}) };
        this.attempts.push(attempt);
        return attempt;
    }

    restarted(consumer: string): void {
        this.restarts.push({ phase: this.phase, consumer, at: Date.now() });
    }

    reloaded(consumer: string): void {
        this.reloads.push({ phase: this.phase, consumer, at: Date.now() });
    }

    of(filter: (a: Attempt) => boolean): Attempt[] {
        return this.attempts.filter(filter);
    }
}

/** Figures per phase and edge: calls made (a TCP connection reached a server), failed, cut, unavailable, and the longest time between two calls' starts. */
export function figures(log: HandshakeLog, phases: string[], edges: string[]): string {
    const rows = [
        "| phase | edge | handshakes made | failed | dropped, no TLS verdict | unavailable (refused TCP) | longest gap between calls (s) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ];
    for (const phase of phases) {
        for (const edge of edges) {
            const a = log.of((x) => x.phase === phase && x.edge === edge).sort((x, y) => x.startedAt - y.startedAt);
            const made = a.filter((x) => x.outcome !== "unavailable").length;
            const gap = a.slice(1).reduce((m, x, i) => Math.max(m, x.startedAt - a[i].startedAt), 0);
            const n = (o: Outcome) => a.filter((x) => x.outcome === o).length;
            rows.push(`| ${phase} | ${edge} | ${made} | ${n("failed")} | ${n("dropped")} | ${n("unavailable")} | ${(gap / 1000).toFixed(1)} |`);
        }
    }
    return rows.join("\n");
}

/** Why calls did not succeed, per phase, edge and outcome: each distinct reason (numbers, ports and times blanked) with its count. */
export function reasons(log: HandshakeLog): string {
    const counts = new Map<string, number>();
    for (const a of log.of((x) => x.outcome !== "ok")) {
        const reason = (a.error ?? "").replace(/\b\d+:[MS] \d+ \w+ \d+ [\d:.]+ /g, "").replace(/\d+/g, "N").slice(0, 300);
        const k = `${a.phase} | ${a.edge} | ${a.outcome} | ${reason}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return [...counts].map(([k, n]) => `| ${k} | ${n} |`).join("\n");
}

/** Restarts per phase and consumer (a StatefulSet counts each pod; reloads in place are shown beside), and each phase's wall time. */
export function restartFigures(log: HandshakeLog, phases: string[], consumers: { id: string; label: string }[]): string {
    const rows = [`| phase | ${consumers.map((c) => c.label).join(" | ")} | wall time (s) |`, `|---|${consumers.map(() => "---:").join("|")}|---:|`];
    for (const phase of phases) {
        const count = (list: { phase: string; consumer: string }[], c: { id: string }) => list.filter((r) => r.phase === phase && r.consumer === c.id).length;
        const n = (c: { id: string }) => `${count(log.restarts, c)}${count(log.reloads, c) > 0 ? ` (${count(log.reloads, c)} reloaded in place)` : ""}`;
        rows.push(`| ${phase} | ${consumers.map(n).join(" | ")} | ${((log.phaseWall.get(phase) ?? 0) / 1000).toFixed(1)} |`);
    }
    return rows.join("\n");
}

// --------------------------------------------------------------- traffic

export interface Edge {
    readonly name: string;
    /** Milliseconds between the starts of two calls. */
    readonly periodMs: number;
    /** Calls may overlap up to this many; a tick finding them all busy is skipped (it shows as a longer gap). */
    readonly maxInFlight: number;
    readonly call: () => Promise<CallResult>;
}

/** Calls every edge on its own clock until stopped. */
export class Traffic {
    private running = true;
    private readonly loops: Promise<void>[];

    constructor(log: HandshakeLog, edges: Edge[]) {
        this.loops = edges.map(async (edge) => {
            const inFlight = new Set<Promise<unknown>>();
            let next = Date.now();
            while (this.running) {
                if (inFlight.size < edge.maxInFlight) {
                    const p = log.call(edge.name, edge.call);
                    inFlight.add(p);
                    void p.finally(() => inFlight.delete(p));
                }
                next += edge.periodMs;
                await sleep(Math.max(0, next - Date.now()));
            }
            await Promise.all(inFlight);
        });
    }

    async stop(): Promise<void> {
        this.running = false;
        await Promise.all(this.loops);
    }
}
