// A real redis-server started from the redis.conf the program produced, with
// only what must differ on a test machine mapped: the mount paths to a
// temporary folder, the port to a free loopback port, and `bind` to
// 127.0.0.1. Every server is stopped by its test, and any left running when
// the process exits is killed.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { REDIS_PATHS, REDIS_PORT } from "../../components/redis/redisConf";

const running = new Set<childProcess.ChildProcess>();
process.on("exit", () => {
    for (const p of running) p.kill("SIGKILL");
});

export async function freePort(): Promise<number> {
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    return port;
}

export interface MappedPaths {
    readonly configDir: string;
    readonly tlsDir: string;
    readonly dataDir: string;
}

/** Replaces one token and insists it was there: a mapping that silently matched nothing would test the wrong thing. */
function replaceAll(text: string, token: string | RegExp, value: string): string {
    const re = typeof token === "string" ? new RegExp(token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g") : token;
    assert.ok(re.test(text), `expected ${re} in:\n${text}`);
    re.lastIndex = 0;
    return text.replace(re, value);
}

/** Maps the StatefulSet's mount paths and port in a text the pod runs (redis.conf, a probe script). */
export function mapPodText(text: string, paths: MappedPaths, port: number): string {
    let out = text;
    for (const [from, to] of [
        [REDIS_PATHS.tlsDir, paths.tlsDir],
        [REDIS_PATHS.configDir, paths.configDir],
    ] as const) {
        if (out.includes(from)) out = replaceAll(out, from, to);
    }
    if (/^dir \/data$/m.test(out)) out = replaceAll(out, /^dir \/data$/m, `dir ${paths.dataDir}`);
    return replaceAll(out, new RegExp(`\\b${REDIS_PORT}\\b`, "g"), String(port));
}

export interface RedisFiles {
    readonly conf: string;
    readonly tls: Readonly<Record<string, Buffer>>;
}

export class RedisServer {
    private readonly proc: childProcess.ChildProcess;
    private exited: Promise<void>;
    readonly log: string;

    private constructor(
        readonly port: number,
        readonly paths: MappedPaths,
        args: string[],
        cpus?: string,
    ) {
        this.log = path.join(paths.dataDir, "..", `redis-${port}.log`);
        const out = fs.openSync(this.log, "a");
        // The benchmark pins the server to its own cores (taskset) so the client cannot steal them.
        const [cmd, argv] = cpus ? ["taskset", ["-c", cpus, "redis-server", ...args]] : ["redis-server", args];
        this.proc = childProcess.spawn(cmd, argv, { stdio: ["ignore", out, out] });
        fs.closeSync(out);
        running.add(this.proc);
        this.exited = new Promise((resolve) => this.proc.once("exit", () => resolve()));
        this.exited.then(() => running.delete(this.proc));
    }

    /** Writes the files under `root` and starts the server; extra arguments as on the pod's command line (--replicaof). */
    static async start(root: string, files: RedisFiles, extraArgs: string[] = [], cpus?: string): Promise<RedisServer> {
        const port = await freePort();
        const paths = { configDir: path.join(root, "conf"), tlsDir: path.join(root, "tls"), dataDir: path.join(root, "data") };
        for (const dir of Object.values(paths)) fs.mkdirSync(dir, { recursive: true });
        for (const [name, content] of Object.entries(files.tls)) fs.writeFileSync(path.join(paths.tlsDir, name), content, { mode: 0o600 });
        const conf = replaceAll(mapPodText(files.conf, paths, port), /^bind .*$/m, "bind 127.0.0.1");
        const confFile = path.join(paths.configDir, "redis.conf");
        fs.writeFileSync(confFile, conf);
        const server = new RedisServer(port, paths, [confFile, ...extraArgs], cpus);
        await server.waitUntilListening();
        return server;
    }

    private async waitUntilListening(): Promise<void> {
        await waitUntilListening(this.port, this.proc, 15_000, 50, "redis-server", () => fs.readFileSync(this.log, "utf8"));
    }

    /** The server's process id (taskset execs redis-server in place). */
    get pid(): number {
        return this.proc.pid!;
    }

    logText(): string {
        return fs.readFileSync(this.log, "utf8");
    }

    async stop(): Promise<void> {
        if (this.proc.exitCode === null && this.proc.signalCode === null) {
            this.proc.kill("SIGTERM");
            const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5_000);
            await this.exited;
            clearTimeout(timer);
        }
    }
}

/**
 * Waits until something accepts TCP connections on 127.0.0.1:port, or fails
 * with the process's log: when it exits, or when the deadline passes.
 */
export async function waitUntilListening(port: number, proc: childProcess.ChildProcess, timeoutMs: number, pollMs: number, what: string, log: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}:\n${log()}`);
        const ok = await new Promise<boolean>((resolve) => {
            const s = net.connect({ host: "127.0.0.1", port }, () => {
                s.destroy();
                resolve(true);
            });
            s.on("error", () => resolve(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`${what} did not listen on ${port}:\n${log()}`);
}
