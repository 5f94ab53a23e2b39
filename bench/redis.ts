// redis-benchmark against the redis.conf the program produces (dev stack,
// offline engine), TLS with client certificates versus plaintext, on the same
// machine in the same run. Not a test: nothing is asserted; it prints
// Markdown tables.
//
//   npm run bench:redis            (5 repetitions, median reported)
//   npm run bench:redis -- 9       (9 repetitions)
//
// Method: every server variant runs at once (idle ones cost nothing) and each
// repetition measures every variant in turn, so slow drift on a shared
// machine hits all of them alike. With two or more cores the server runs on
// core 0 and the client on the rest (taskset), so the client's own TLS work
// does not eat the server's CPU.
//
// Server variants, to show what each TLS choice buys:
//   plaintext           the same file with the TLS port swapped for a plain one
//   produced            the program's redis.conf as is
//   Redis TLS defaults  every tls-ciphers/-ciphersuites/-prefer-server-ciphers/-session line removed
//   ChaCha20 only       TLS_CHACHA20_POLY1305_SHA256 only (the cost of a cipher without AES-NI)
//   session cache off   tls-session-caching no
// redis-benchmark never resumes TLS sessions, so what session caching buys is
// measured apart: a real OpenSSL client (Node's tls) connects, sends PING and
// disconnects, again and again, with and without offering its last session.
import * as childProcess from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { CommandHelp, exitWhenFlushed, helpText, wantsHelp } from "../engine/command";
import { runProgram } from "../engine/run";
import { unwrap } from "../engine/monitor";
import { RedisServer } from "../test/support/redisServer";

export const HELP: CommandHelp = {
    usage: "usage: npm run bench:redis [-- <repetitions>]   (default 5)",
    summary:
        "redis-benchmark against the redis.conf the program produces for dev: TLS with client certificates against\n" +
        "plaintext, on this machine, in one run. Needs redis-server and redis-benchmark built with TLS. Prints Markdown\n" +
        "tables on stdout. Not a test: nothing is asserted. Takes several minutes.",
    flags: [["<repetitions>", "a whole number from 1 to 99; the median is reported"]],
    examples: ["npm run bench:redis", "npm run bench:redis -- 9"],
};

const repsArg = process.argv.slice(2);
const help = wantsHelp(repsArg);
const badArgs = !help && (repsArg.length > 1 || (repsArg.length === 1 && !/^[1-9][0-9]?$/.test(repsArg[0])));
if (help) process.stdout.write(helpText(HELP) + "\n");
if (badArgs) process.stderr.write(`expected at most one argument, the repetitions (1 to 99), got ${repsArg.map((a) => JSON.stringify(a)).join(" ")}\n${HELP.usage}\n`);
const reps = Number(repsArg[0] ?? 5);
const cores = os.cpus().length;
const serverCpus = cores > 1 ? "0" : undefined;
const clientCpus = cores > 1 ? `1-${cores - 1}` : undefined;
const pinned = (cmd: string, args: string[]): [string, string[]] => (clientCpus ? ["taskset", ["-c", clientCpus, cmd, ...args]] : [cmd, args]);

interface Variant {
    readonly label: string;
    readonly tls: boolean;
    readonly conf: (produced: string) => string;
}

const variants: Variant[] = [
    { label: "plaintext", tls: false, conf: (c) => c.replace(/^port 0$/m, "port 6379").replace(/^tls-port 6379$/m, "tls-port 0") },
    { label: "TLS, produced config", tls: true, conf: (c) => c },
    { label: "TLS, Redis TLS defaults", tls: true, conf: (c) => c.split("\n").filter((l) => !/^tls-(ciphers|ciphersuites|prefer-server-ciphers|session)/.test(l)).join("\n") },
    { label: "TLS, ChaCha20 only", tls: true, conf: (c) => c.replace(/^tls-ciphersuites .*$/m, "tls-ciphersuites TLS_CHACHA20_POLY1305_SHA256") },
    { label: "TLS, session cache off", tls: true, conf: (c) => c.replace(/^tls-session-caching yes$/m, "tls-session-caching no") },
];

interface Load {
    readonly label: string;
    readonly args: string[];
}

const loads: Load[] = [
    { label: "SET/GET, unpipelined", args: ["-t", "set,get", "-n", "200000", "-c", "50"] },
    { label: "SET/GET, -P 16", args: ["-t", "set,get", "-n", "2000000", "-c", "50", "-P", "16"] },
];

function redisBenchmark(server: RedisServer, tls: boolean, load: Load): Record<string, number> {
    const dir = server.paths.tlsDir;
    const tlsArgs = tls ? ["--tls", "--cacert", `${dir}/ca.crt`, "--cert", `${dir}/client.crt`, "--key", `${dir}/client.key`] : [];
    const [cmd, args] = pinned("redis-benchmark", ["-h", "127.0.0.1", "-p", String(server.port), "--csv", "-q", ...tlsArgs, ...load.args]);
    const r = childProcess.spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000 });
    if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}${r.stdout}`);
    const out: Record<string, number> = {};
    for (const line of r.stdout.split("\n")) {
        const m = /^"([A-Z]+)","([0-9.]+)"/.exec(line);
        if (m) out[m[1]] = Number(m[2]);
    }
    return out;
}

type Files = Record<string, Buffer>;

/** One connection: handshake, PING, PONG, close. Resolves how it went. */
function pingOnce(port: number, files: Files, version: tls.SecureVersion, session?: Buffer): Promise<{ ok: boolean; reused: boolean; session?: Buffer }> {
    return new Promise((resolve) => {
        let ticket: Buffer | undefined;
        const s = tls.connect({ host: "127.0.0.1", port, ca: files["ca.crt"], cert: files["client.crt"], key: files["client.key"], servername: "spin-redis", session, minVersion: version, maxVersion: version });
        s.on("session", (b) => (ticket = b));
        s.once("secureConnect", () => s.write("*1\r\n$4\r\nPING\r\n"));
        s.once("data", () => {
            const reused = s.isSessionReused();
            s.end();
            setImmediate(() => resolve({ ok: true, reused, session: ticket ?? s.getSession() }));
        });
        s.on("error", () => resolve({ ok: false, reused: false }));
    });
}

/** Connections per second over `n` sequential connections; `resume` offers the previous session each time. */
async function reconnects(port: number, files: Files, version: tls.SecureVersion, resume: boolean, n = 300): Promise<{ perSecond: number; resumed: number; failed: number }> {
    let session = resume ? (await pingOnce(port, files, version)).session : undefined;
    let resumed = 0;
    let failed = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
        const r = await pingOnce(port, files, version, session);
        if (!r.ok) failed++;
        if (r.reused) resumed++;
        if (resume && r.session) session = r.session;
    }
    return { perSecond: n / (Number(process.hrtime.bigint() - t0) / 1e9), resumed, failed };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
    // Nothing is exported, so the secrets stay in plain text in memory and no passphrase is needed.
    const result = await runProgram({ stack: "dev", showSecrets: true });
    const byName = (type: string, name: string) => result.resources.find((r) => r.type === type && (unwrap(r.inputs) as { metadata: { name: string } }).metadata.name === name)!;
    const produced = (unwrap(byName("kubernetes:core/v1:ConfigMap", "spin-redis-config").inputs) as { data: Record<string, string> }).data["redis.conf"];
    const secret = (name: string) => (unwrap(byName("kubernetes:core/v1:Secret", name).outputs) as { data: Record<string, string> }).data;
    const b64 = (s: string) => Buffer.from(s, "base64");
    const server = secret("spin-redis-tls");
    const client = secret("spin-gate-tls");
    const tlsFiles = {
        "tls.crt": b64(server["tls.crt"]),
        "tls.key": b64(server["tls.key"]),
        "ca.crt": b64(server["ca.crt"]),
        // A Spinnaker service's own identity is the benchmark's client certificate.
        "client.crt": b64(client["tls.crt"]),
        "client.key": b64(client["tls.key"]),
    };
    // AOF off for the benchmark, so the disk does not decide the figures.
    const forBench = (c: string) => c.replace(/^appendonly yes$/m, "appendonly no");

    const root = fs.mkdtempSync(path.join(os.tmpdir(), "bench-redis-"));
    const servers: RedisServer[] = [];
    try {
        for (const v of variants) servers.push(await RedisServer.start(path.join(root, `v${servers.length}`), { conf: forBench(v.conf(produced)), tls: tlsFiles }, [], serverCpus));
        // Node's own event loop is the client here; keep it off the server's core too.
        if (clientCpus) childProcess.spawnSync("taskset", ["-pc", clientCpus, String(process.pid)]);
        const samples = new Map<string, number[]>();
        const add = (key: string, value: number) => samples.set(key, [...(samples.get(key) ?? []), value]);
        for (let rep = 0; rep < reps; rep++) {
            for (const load of loads) {
                variants.forEach((v, i) => {
                    for (const [test, rps] of Object.entries(redisBenchmark(servers[i], v.tls, load))) add(`${v.label}|${load.label}|${test}`, rps);
                });
            }
            for (const i of [1, 4]) {
                for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
                    for (const resume of [false, true]) {
                        const r = await reconnects(servers[i].port, tlsFiles, version, resume);
                        add(`${variants[i].label}|${version}|${resume}`, r.perSecond);
                        add(`${variants[i].label}|${version}|${resume}|resumed`, r.resumed);
                        add(`${variants[i].label}|${version}|${resume}|failed`, r.failed);
                    }
                }
            }
            console.error(`repetition ${rep + 1}/${reps} done`);
        }

        const version = childProcess.spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout.trim().split(" sha=")[0];
        const ossl = `OpenSSL ${process.versions.openssl} (Node client), ${childProcess.spawnSync("openssl", ["version"], { encoding: "utf8" }).stdout.trim().split(" (")[0]} (redis-benchmark)`;
        console.log(`${version}, ${ossl}, ${cores} cores (server on ${serverCpus ?? "any"}, client on ${clientCpus ?? "any"}), median of ${reps} repetitions\n`);
        console.log("| server config | load | requests/s | vs plaintext |\n|---|---|---|---|");
        for (const load of loads) {
            for (const test of ["SET", "GET"]) {
                const plain = median(samples.get(`plaintext|${load.label}|${test}`)!);
                for (const v of variants) {
                    const rps = median(samples.get(`${v.label}|${load.label}|${test}`)!);
                    console.log(`| ${v.label} | ${load.label.replace("SET/GET", test)} | ${Math.round(rps)} | ${(rps / plain).toFixed(2)} |`);
                }
            }
        }
        console.log("\n| server config | protocol | client | connections/s (connect, PING, close) | resumed | refused |\n|---|---|---|---|---|---|");
        for (const i of [1, 4]) {
            for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
                for (const resume of [false, true]) {
                    const key = `${variants[i].label}|${version}|${resume}`;
                    const m = (k: string) => Math.round(median(samples.get(k)!));
                    console.log(`| ${variants[i].label} | ${version} | ${resume ? "offers its last session" : "full handshake"} | ${m(key)} | ${m(`${key}|resumed`)} of 300 | ${m(`${key}|failed`)} of 300 |`);
                }
            }
        }
    } finally {
        for (const s of servers) await s.stop();
        fs.rmSync(root, { recursive: true, force: true });
    }
}

if (help || badArgs) {
    exitWhenFlushed(help ? 0 : 2);
} else {
    main().then(
        () => exitWhenFlushed(0),
        (e: Error) => {
            console.error(e.message);
            exitWhenFlushed(2);
        },
    );
}
