// A real redis-server (Debian's Redis 7 with TLS), started from the redis.conf
// and certificates the program produced under the offline engine, judges
// what the program emits: who it lets in, who it refuses, and whether the
// pod's own probe and the Java services' JVM settings work against it.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as tls from "tls";
import { SECRET_KEY } from "../../components/pki/secretLayout";
import { JVM_OPTIONS_KEY } from "../../components/spinnaker/jvmOptions";
import { RunResult } from "../../engine/run";
import { expired, issue, newCa, stackCa } from "../support/pki";
import { RedisServer, mapPodText } from "../support/redisServer";
import { session } from "../support/resp";
import { ServiceFiles, objectNamed, peerRun, run, secretsByName, tempDir } from "../support/stacks";

const REDIS_PING = path.join(__dirname, "RedisPing.java");

interface StatefulSetInputs {
    spec: { template: { spec: { containers: { readinessProbe: { exec: { command: string[] } }; livenessProbe: { exec: { command: string[] } } }[] } } };
}

function redisFiles(result: RunResult, name: string) {
    const conf = objectNamed<{ data: Record<string, string> }>(result, "kubernetes:core/v1:ConfigMap", `spin-${name}-config`).data["redis.conf"];
    const tls = secretsByName(result).get(`spin-${name}-tls`)!.files;
    return { conf, tls: { "tls.crt": tls[SECRET_KEY.certificate], "tls.key": tls[SECRET_KEY.privateKey], "ca.crt": tls[SECRET_KEY.caCertificate] } };
}

const clientTls = (f: ServiceFiles) => ({ ca: f.files[SECRET_KEY.caCertificate], cert: f.files[SECRET_KEY.certificate], key: f.files[SECRET_KEY.privateKey] });

/** Waits for a line matching `pattern` among those the server logged after `since` (a length of its log). */
async function waitForLog(server: RedisServer, pattern: RegExp, since: number): Promise<string> {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
        const m = pattern.exec(server.logText().slice(since));
        if (m) return m[0];
        await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`redis-server never logged ${pattern}:\n${server.logText()}`);
}

/** Waits until the server has no AOF rewrite running or scheduled, and the last one succeeded. */
async function waitForAofWritten(server: RedisServer, client: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<void> {
    const deadline = Date.now() + 10_000;
    let info = "";
    while (Date.now() < deadline) {
        info = String((await session({ port: server.port, tls: client }, [["INFO", "persistence"]])).replies[0]);
        if (/^aof_rewrite_in_progress:0\r?$/m.test(info) && /^aof_rewrite_scheduled:0\r?$/m.test(info)) {
            assert.match(info, /^aof_last_bgrewrite_status:ok\r?$/m);
            return;
        }
        await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`the AOF rewrite did not finish:\n${info}`);
}

/**
 * Lays out the Secrets a Java pod mounts (the paths its argfile names, under
 * /opt/<svc>/secrets/...) below `root`, and returns the argfile with those
 * paths mapped there.
 */
function javaPodFiles(result: RunResult, service: string, root: string): string {
    const secrets = secretsByName(result);
    const argfile = secrets.get(`spin-${service}-jvm`)!.files[JVM_OPTIONS_KEY].toString("utf8");
    for (const [, secret, key] of argfile.matchAll(new RegExp(`/opt/${service}/secrets/([^/"]+)/([^"]+)`, "g"))) {
        const file = path.join(root, "opt", service, "secrets", secret, key);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, secrets.get(secret)!.files[key]);
    }
    return argfile.split("/opt/").join(`${root}/opt/`);
}

/** One TLS connection that can offer an earlier session; resolves the first reply line and whether the session was resumed. */
function resumable(port: number, client: { ca: Buffer; cert: Buffer; key: Buffer }, version: "TLSv1.2" | "TLSv1.3", session?: Buffer): Promise<{ reply?: string; reused: boolean; session?: Buffer; error?: string }> {
    return new Promise((resolve) => {
        let ticket: Buffer | undefined;
        const s = tls.connect({ host: "127.0.0.1", port, ...client, servername: "spin-redis", session, minVersion: version, maxVersion: version });
        const timer = setTimeout(() => s.destroy(new Error("timed out")), 5_000);
        s.on("session", (b) => (ticket = b));
        s.once("secureConnect", () => s.write("*1\r\n$4\r\nPING\r\n"));
        s.once("data", (d) => {
            const reused = s.isSessionReused();
            s.end();
            // TLS 1.3 tickets arrive after the handshake; give them a turn of the loop.
            setImmediate(() => {
                clearTimeout(timer);
                resolve({ reply: d.toString().trim(), reused, session: ticket ?? s.getSession() });
            });
        });
        s.on("error", (e) => {
            clearTimeout(timer);
            resolve({ reused: false, error: e.message });
        });
    });
}

function javaPing(argfile: string, dir: string, port: number) {
    const file = path.join(dir, "jvm-options");
    fs.writeFileSync(file, argfile);
    const r = childProcess.spawnSync("java", [REDIS_PING, "ping", String(port)], { encoding: "utf8", timeout: 60_000, env: { ...process.env, JDK_JAVA_OPTIONS: `@${file}` } });
    return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

for (const stack of ["dev", "prod"]) {
    describe(`a real redis-server running the ${stack} stack's redis.conf`, function () {
        const t = tempDir(`redis-${stack}`);
        let result: RunResult;
        let server: RedisServer;
        before(async () => {
            result = await peerRun(stack);
            server = await RedisServer.start(path.join(t.dir, "primary"), redisFiles(result, "redis"));
        });
        after(async () => {
            await server?.stop();
            t.remove();
        });

        it("gives a client holding gate's certificate PONG, SET and GET, and reports no plaintext port and required client certificates", async () => {
            const gate = secretsByName(result).get("spin-gate-tls")!;
            const s = await session({ port: server.port, tls: clientTls(gate) }, [
                ["PING"],
                ["SET", "spinnaker-mtls:k", "v"],
                ["GET", "spinnaker-mtls:k"],
                ["CONFIG", "GET", "port"],
                ["CONFIG", "GET", "tls-auth-clients"],
                ["CONFIG", "GET", "maxmemory-policy"],
                ["CONFIG", "GET", "notify-keyspace-events"],
            ]);
            assert.strictEqual(s.error, undefined);
            const [events] = (s.replies[6] as string[]).slice(1);
            assert.deepStrictEqual(s.replies.slice(0, 6), ["PONG", "OK", "v", ["port", "0"], ["tls-auth-clients", "yes"], ["maxmemory-policy", "noeviction"]]);
            assert.deepStrictEqual([...events].sort(), ["E", "g", "x"], "Spring Session's keyspace events, since Gate never sends CONFIG");
            assert.strictEqual(s.cipher, "TLS_AES_128_GCM_SHA256", "the server's preferred suite wins");
        });

        it("gives every Spinnaker service that uses Redis PONG with its own certificate", async () => {
            const clients = result.stackOutputs.redisClients as Record<string, { client: string }>;
            const kork = Object.keys(clients).filter((s) => clients[s].client === "kork");
            assert.ok(kork.length >= 7, kork.join(","));
            for (const svc of kork) {
                const s = await session({ port: server.port, tls: clientTls(secretsByName(result).get(`spin-${svc}-tls`)!) }, [["PING"]]);
                assert.deepStrictEqual(s.replies, ["PONG"], svc);
            }
        });

        describe("refuses, and the server logs the refusal of that very connection", () => {
            // Redis logs only "certificate verify failed" for both a foreign CA and an
            // expired certificate; the TLS alert the client receives says which.
            const refused = async (client: { cert?: string; key?: string }, alert: RegExp, logged: RegExp) => {
                const since = server.logText().length;
                const s = await session({ port: server.port, tls: { ca: redisFiles(result, "redis").tls["ca.crt"], ...client } }, [["PING"]]);
                assert.deepStrictEqual(s.replies, []);
                assert.match(s.error ?? "", alert);
                await waitForLog(server, logged, since);
            };
            it("a client without a certificate", async () => {
                await refused({}, /alert certificate required/, /Error accepting a client connection: .*peer did not return a certificate/);
            });
            it("a certificate from another CA", async () => {
                const other = issue(newCa("Other CA"), { commonName: "spin-gate" });
                await refused({ cert: other.certPem, key: other.keyPem }, /alert unknown ca/, /Error accepting a client connection: .*certificate verify failed/);
            });
            it("an expired certificate from the right CA", async () => {
                const old = expired(stackCa(result), "spin-gate");
                await refused({ cert: old.certPem, key: old.keyPem }, /alert certificate expired/, /Error accepting a client connection: .*certificate verify failed/);
            });
            it("plaintext: a RESP PING without TLS gets no reply", async () => {
                const since = server.logText().length;
                const s = await session({ port: server.port }, [["PING"]]);
                assert.deepStrictEqual(s.replies, []);
                assert.ok(s.error, "the connection ends without a reply");
                await waitForLog(server, /Error accepting a client connection: .*wrong version number/, since);
            });
        });

        it("lets a client resume its TLS session on reconnect, as JSSE does (Redis refuses resumption under client auth without its session cache)", async () => {
            const gate = clientTls(secretsByName(result).get("spin-gate-tls")!);
            for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
                const first = await resumable(server.port, gate, version);
                assert.ok(first.session, `${version}: the server hands out a session`);
                const again = await resumable(server.port, gate, version, first.session);
                assert.deepStrictEqual({ reply: again.reply, reused: again.reused }, { reply: "+PONG", reused: true }, version);
            }
        });

        it("passes the StatefulSet's readiness and liveness probes, run as written, and fails them once Redis is down", async () => {
            const sts = objectNamed<StatefulSetInputs>(result, "kubernetes:apps/v1:StatefulSet", "spin-redis");
            const container = sts.spec.template.spec.containers[0];
            for (const probe of [container.readinessProbe, container.livenessProbe]) {
                const [shell, flag, script] = probe.exec.command;
                assert.deepStrictEqual([shell, flag], ["sh", "-c"]);
                const r = childProcess.spawnSync(shell, [flag, mapPodText(script, server.paths, server.port)], { encoding: "utf8", timeout: 20_000 });
                assert.strictEqual(r.status, 0, `probe failed: ${r.stdout}${r.stderr}`);
            }
            const [shell, flag, script] = container.readinessProbe.exec.command;
            const unused = await import("../support/redisServer").then((m) => m.freePort());
            const down = childProcess.spawnSync(shell, [flag, mapPodText(script, server.paths, unused)], { encoding: "utf8", timeout: 20_000 });
            assert.notStrictEqual(down.status, 0, "the probe must fail when nothing answers");
        });

        it("lets a Java client configured only by gate's JVM argfile (JDK_JAVA_OPTIONS) complete mTLS and get PONG", () => {
            const dir = path.join(t.dir, "java-gate");
            fs.mkdirSync(dir, { recursive: true });
            const r = javaPing(javaPodFiles(result, "gate", dir), dir, server.port);
            assert.strictEqual(r.status, 0, r.out + r.err);
            assert.match(r.out, /^OK PONG jsse CN=spin-gate, O=/);
            assert.match(r.err, /^NOTE: Picked up JDK_JAVA_OPTIONS: @\S+jvm-options$/m, "the launcher logs the argfile's path");
            assert.ok(!/keyStorePassword|trustStorePassword/.test(r.err), "and never its content");
        });

        it("gives that JVM the public roots as well as the Spinnaker CA, so its other HTTPS calls keep working", () => {
            const dir = path.join(t.dir, "java-anchors");
            fs.mkdirSync(dir, { recursive: true });
            const file = path.join(dir, "jvm-options");
            fs.writeFileSync(file, javaPodFiles(result, "orca", dir));
            const r = childProcess.spawnSync("java", [REDIS_PING, "anchors"], { encoding: "utf8", timeout: 60_000, env: { ...process.env, JDK_JAVA_OPTIONS: `@${file}` } });
            assert.strictEqual(r.status, 0, r.stderr);
            const [count, ...own] = r.stdout.trim().split(" ");
            assert.ok(Number(count) > 100, `only ${count} trust anchors`);
            assert.match(own.join(" "), /CN=Spinnaker mTLS root CA/);
        });

        it("replicates to a replica started as the StatefulSet starts pod 1 (--replicaof), over TLS with client certificates", async () => {
            const replica = await RedisServer.start(path.join(t.dir, "replica"), redisFiles(result, "redis"), ["--replicaof", "127.0.0.1", String(server.port)]);
            try {
                const gate = clientTls(secretsByName(result).get("spin-gate-tls")!);
                await session({ port: server.port, tls: gate }, [["SET", "spinnaker-mtls:replicated", "yes"]]);
                const deadline = Date.now() + 15_000;
                let seen: unknown;
                while (Date.now() < deadline) {
                    const s = await session({ port: replica.port, tls: gate }, [["GET", "spinnaker-mtls:replicated"]]);
                    seen = s.replies[0];
                    if (seen === "yes") break;
                    await new Promise((r) => setTimeout(r, 100));
                }
                assert.strictEqual(seen, "yes", replica.logText());
                const info = await session({ port: replica.port, tls: gate }, [["INFO", "replication"]]);
                assert.match(String(info.replies[0]), /master_link_status:up/);
                // The full sync started at once instead of after Redis's default 5 s wait for
                // more replicas (repl-diskless-sync-delay 0): what made this test take 5 to 10 s.
                assert.match(server.logText(), /Starting BGSAVE for SYNC with target: replicas sockets/);
                assert.doesNotMatch(server.logText(), /Delay next BGSAVE for diskless SYNC/);
                // After a full sync the replica rewrites its AOF, and until that is on disk it
                // refuses SIGTERM ("Writing initial AOF, can't exit"): stopping it then waited
                // for the SIGKILL 5 s later, the other half of this test's time. Its copy on
                // disk is worth checking anyway.
                await waitForAofWritten(replica, gate);
            } finally {
                await replica.stop();
            }
        });
    });
}

describe("the Go services' own Redis (prod: goServicesRedis tls-only)", () => {
    const t = tempDir("redis-go");
    let result: RunResult;
    let server: RedisServer;
    before(async () => {
        result = await peerRun("prod");
        server = await RedisServer.start(path.join(t.dir, "go"), redisFiles(result, "redis-go"));
    });
    after(async () => {
        await server?.stop();
        t.remove();
    });

    it("answers a TLS client that presents no certificate, as dinghy and terraformer connect", async () => {
        const s = await session({ port: server.port, tls: { ca: redisFiles(result, "redis-go").tls["ca.crt"], servername: "spin-redis-go" } }, [["PING"], ["CONFIG", "GET", "port"]]);
        assert.deepStrictEqual(s.replies, ["PONG", ["port", "0"]]);
    });

    it("still refuses plaintext", async () => {
        const s = await session({ port: server.port }, [["PING"]]);
        assert.deepStrictEqual(s.replies, []);
    });

    it("is fenced by a NetworkPolicy that admits only the Go services the stack runs (dinghy, terraformer)", () => {
        const np = objectNamed<{ spec: { ingress: { from: { podSelector: { matchExpressions?: { key: string; values: string[] }[] } }[] }[] } }>(
            result,
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "spin-redis-go-clients",
        );
        const expr = np.spec.ingress[0].from[0].podSelector.matchExpressions![0];
        const clients = result.stackOutputs.redisClients as Record<string, { client: string }>;
        const goServices = Object.keys(clients).filter((s) => clients[s].client === "go-tls-only");
        assert.ok(goServices.length > 0 && goServices.every((s) => ["dinghy", "terraformer"].includes(s)), goServices.join(","));
        assert.deepStrictEqual({ key: expr.key, values: [...expr.values].sort() }, { key: "cluster", values: goServices.map((s) => `spin-${s}`).sort() });
    });
});

describe("a service listed in sqlServices", () => {
    const t = tempDir("redis-sql");
    let result: RunResult;
    let server: RedisServer;
    before(async () => {
        result = await run({ stack: "dev", config: { "spinnaker-mtls:sqlServices": '["orca"]' } });
        server = await RedisServer.start(path.join(t.dir, "primary"), redisFiles(result, "redis"));
    });
    after(async () => {
        await server?.stop();
        t.remove();
    });

    it("gets no JVM-wide keystore, so its SQL driver is never handed a client certificate", () => {
        const argfile = secretsByName(result).get("spin-orca-jvm")!.files[JVM_OPTIONS_KEY].toString("utf8");
        assert.doesNotMatch(argfile, /javax\.net\.ssl\.keyStore/);
        const clients = result.stackOutputs.redisClients as Record<string, { client: string; reason?: string }>;
        assert.deepStrictEqual(clients.orca, { client: "none", reason: "orca runs on SQL (sqlServices): it gets no Redis settings and no JVM-wide keystore" });
    });

    it("and so could not reach Redis even if it tried: Redis refuses its JVM for want of a certificate", async () => {
        const dir = path.join(t.dir, "java-orca");
        fs.mkdirSync(dir, { recursive: true });
        // The strongest case: a JVM that trusts the Spinnaker CA (gate's trust settings) but has no key store.
        const trustOnly = javaPodFiles(result, "gate", dir).split("\n").filter((l) => !l.includes("keyStore")).join("\n");
        const since = server.logText().length;
        const r = javaPing(trustOnly, dir, server.port);
        assert.strictEqual(r.status, 3, r.out + r.err);
        assert.match(r.out, /^REFUSED /);
        await waitForLog(server, /Error accepting a client connection: .*peer did not return a certificate/, since);
    });
});
