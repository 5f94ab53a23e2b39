// The go-yaml-tools peer (test/peers/go), shared by the tests that run the Go
// services' rendered profiles through it: a container laid out as the
// Operator mounts it, `go-peer -mode serve` and `-mode call`, and their events.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import * as YAML from "yaml";
import { secretFilePath } from "../../components/spinnaker/mounts";
import { unwrap } from "../../engine/monitor";
import { RunResult } from "../../engine/run";
import { freePort } from "./redisServer";
import { ServiceFiles } from "./stacks";

export const GO_PEER_BUILD = path.join(__dirname, "..", "peers", "go", "build.sh");

/** Builds the peer (or finds it in its cache) and returns its path. */
export function goPeerBin(): string {
    const r = childProcess.spawnSync("bash", [GO_PEER_BUILD], { encoding: "utf8", timeout: 20 * 60_000 });
    assert.strictEqual(r.status, 0, `test/peers/go/build.sh failed (status ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${r.stderr}`);
    const bin = r.stdout.trim().split("\n").pop()!;
    assert.ok(fs.existsSync(bin), `build.sh printed ${bin}, which does not exist`);
    return bin;
}

export type Tree = { [k: string]: unknown };
export interface SpinnakerConfig {
    profiles: Record<string, Tree>;
    "service-settings": Record<string, { baseUrl?: string }>;
}

/** The SpinnakerService (patch or object) exactly as the program sends it. */
export function spinnakerConfigOf(result: RunResult): SpinnakerConfig {
    const found = result.resources.filter((r) => r.type.startsWith("kubernetes:spinnaker.") && r.type.includes(":SpinnakerService"));
    assert.strictEqual(found.length, 1, found.map((r) => r.type).join(","));
    return (unwrap(found[0].inputs) as { spec: { spinnakerConfig: SpinnakerConfig } }).spec.spinnakerConfig;
}

/**
 * A service's container as the Operator lays it out, under `root`: every
 * `encryptedFile:k8s!n:<secret>!k:<key>` becomes the file the Operator mounts
 * (/opt/<svc>/secrets/<secret>/<key>, written from the Secret's decoded
 * data), and the profile lands in /opt/spinnaker/config/<svc>-local.yml.
 * Returns the config folder.
 */
export function layOutContainer(root: string, service: string, profile: Tree, secrets: Map<string, ServiceFiles>): string {
    const resolve = (v: unknown): unknown => {
        if (typeof v === "string") {
            if (/^encrypted:k8s!/.test(v)) throw new Error(`${service}: a string secret (${v}) in a Go profile; go-yaml-tools has no k8s engine to read it`);
            const m = /^encryptedFile:k8s!n:([^!]+)!k:(.+)$/.exec(v);
            if (!m) return v;
            const data = secrets.get(m[1])?.files[m[2]];
            assert.ok(data, `${service}: ${v} names a Secret key the run does not create`);
            const file = path.join(root, secretFilePath(service, { secret: m[1], key: m[2] }));
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, data, { mode: 0o600 });
            return file;
        }
        if (Array.isArray(v)) return v.map(resolve);
        if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
        return v;
    };
    const configDir = path.join(root, "opt", "spinnaker", "config");
    fs.mkdirSync(configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, `${service}-local.yml`), YAML.stringify(resolve(profile)));
    return configDir;
}

export interface PeerEvent {
    readonly event: string;
    readonly [k: string]: unknown;
}
export interface CallOutcome {
    readonly code: number | null;
    readonly events: PeerEvent[];
    readonly stderr: string;
}

export const parseEvents = (stdout: string): PeerEvent[] =>
    stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as PeerEvent);

/** One `go-peer -mode call`: GET `url` with the service's http.* client, dialling 127.0.0.1:port. */
export function goCall(bin: string, configDir: string, service: string, url: string, port: number): Promise<CallOutcome> {
    return new Promise((resolve, reject) => {
        childProcess.execFile(
            bin,
            ["-mode", "call", "-config-dir", configDir, "-service", service, "-url", url, "-connect", `127.0.0.1:${port}`, "-timeout", "10s"],
            { timeout: 30_000 },
            (error, stdout, stderr) => {
                if (error && typeof error.code !== "number") return reject(error);
                resolve({ code: error ? (error.code as number) : 0, events: parseEvents(stdout), stderr });
            },
        );
    });
}

export const eventOf = (o: CallOutcome, name: string): PeerEvent | undefined => o.events.find((e) => e.event === name);
export const describeOutcome = (o: CallOutcome): string => `exit ${o.code}: ${JSON.stringify(o.events)}`;

/** `go-peer -mode serve` with a service's server.ssl on 127.0.0.1, once it accepts connections; or why it did not start. */
export class GoServer {
    private constructor(
        private readonly proc: childProcess.ChildProcess,
        readonly port: number,
        readonly starting: PeerEvent,
    ) {}

    static async start(bin: string, configDir: string, service: string): Promise<GoServer> {
        const port = await freePort();
        const proc = childProcess.spawn(bin, ["-mode", "serve", "-config-dir", configDir, "-service", service, "-port", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        proc.stdout!.on("data", (d) => (stdout += d));
        proc.stderr!.on("data", (d) => (stderr += d));
        const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
        const deadline = Date.now() + 15_000;
        for (;;) {
            if (proc.exitCode !== null || proc.signalCode !== null) {
                const error = parseEvents(stdout).find((e) => e.event === "error");
                throw new Error(`${service}'s server did not start (exit ${proc.exitCode}): ${error ? `${error.stage}: ${error.error}` : stderr.slice(-2000)}`);
            }
            const starting = parseEvents(stdout).find((e) => e.event === "starting");
            if (starting && (await accepts(port))) return new GoServer(proc, port, starting);
            if (Date.now() > deadline) {
                proc.kill("SIGKILL");
                await exited;
                throw new Error(`${service}'s server did not listen within 15 s: ${stdout}${stderr.slice(-2000)}`);
            }
            await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
        }
    }

    async stop(): Promise<void> {
        if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
        this.proc.kill("SIGTERM");
        await exited;
    }
}

export function accepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const s = net.connect({ host: "127.0.0.1", port }, () => {
            s.destroy();
            resolve(true);
        });
        s.on("error", () => resolve(false));
    });
}

