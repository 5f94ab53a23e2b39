// npm run rotation -- status --redis: what a real redis-server serves during
// a CA rotation, read by probeRedis with Redis's own Secret (each phase's, as
// the offline engine writes it). A Redis that never loaded the next CA refuses
// a certificate from it; one that did but still serves its old certificate is
// behind too; restarted onto issue-next's files it converges.
import * as assert from "assert";
import * as path from "path";
import { ObservedSecret } from "../../components/pki/rotationStatus";
import { configGetValue, probeRedis } from "../../components/spinnakerMtls/rotationObservation";
import { RunResult } from "../../engine/run";
import { RedisServer } from "../support/redisServer";
import { objectNamed, ofType, run, tempDir } from "../support/stacks";
import { unwrap } from "../../engine/monitor";

const SERVERNAME = "spin-redis.spinnaker-dev.svc";

/** The Redis Secret as the API server returns it (data base64). */
function redisSecret(r: RunResult): ObservedSecret {
    const s = ofType(r, "kubernetes:core/v1:Secret").map((x) => unwrap(x.outputs) as { metadata: { name: string }; data: Record<string, string> }).find((o) => o.metadata.name === "spin-redis-tls")!;
    return { name: s.metadata.name, data: s.data };
}
const redisFiles = (r: RunResult) => ({
    conf: objectNamed<{ data: Record<string, string> }>(r, "kubernetes:core/v1:ConfigMap", "spin-redis-config").data["redis.conf"],
    tls: Object.fromEntries(Object.entries(redisSecret(r).data).map(([k, v]) => [k, Buffer.from(v, "base64")])),
});

describe("CA rotation: probing what Redis serves", function () {
    this.timeout(120_000);
    const t = tempDir("redis-rotation-probe");
    const servers: RedisServer[] = [];
    const phases: Record<string, RunResult> = {};
    before(async () => {
        let previous: RunResult | undefined;
        for (const phase of ["none", "trust-both", "issue-next"]) {
            previous = await run({ stack: "dev", config: { "spinnaker-mtls:caRotation": phase }, ...(previous ? { previous: previous.export } : {}) });
            phases[phase] = previous;
        }
    });
    after(async () => {
        for (const s of servers) await s.stop();
        t.remove();
    });
    const start = async (phase: string) => {
        const s = await RedisServer.start(path.join(t.dir, `${phase}-${servers.length}`), redisFiles(phases[phase]));
        servers.push(s);
        return s;
    };

    it("reads CONFIG GET's reply, and nothing else as one (positive and negative controls of the parser)", () => {
        assert.strictEqual(configGetValue("*2\r\n$16\r\ntls-ca-cert-file\r\n$12\r\n/tls/ca.crt \r\n", "tls-ca-cert-file"), "/tls/ca.crt ");
        assert.strictEqual(configGetValue("*0\r\n", "tls-ca-cert-file"), undefined);
        assert.strictEqual(configGetValue("-ERR unknown command\r\n", "tls-ca-cert-file"), undefined);
        assert.strictEqual(configGetValue("*2\r\n$16\r\ntls-ca-cert-file\r\n$9\r\n/tls/ca.crt\r\n", "tls-ca-cert-file"), undefined, "a length that does not match");
    });

    it("finds a Redis on its own Secret's files converged, and reads where it loads its CAs from", async () => {
        const redis = await start("none");
        const probe = await probeRedis("127.0.0.1", redis.port, redisSecret(phases.none), SERVERNAME);
        assert.deepStrictEqual(probe, { ok: true, notes: [], caFile: path.join(redis.paths.tlsDir, "ca.crt") });
    });

    it("finds a Redis that never loaded the next CA unconverged: it refuses the next CA's certificate", async () => {
        // Still on none's files (trust-both's restart never happened): it trusts the old CA alone.
        const redis = await start("none");
        const probe = await probeRedis("127.0.0.1", redis.port, redisSecret(phases["issue-next"]), SERVERNAME);
        assert.strictEqual(probe.ok, false);
        assert.match(probe.notes[0], /^Redis at 127\.0\.0\.1:\d+ refused the handshake with spin-redis-tls's own certificate and CAs: /);
    });

    it("finds a Redis that trusts the next CA but still serves its old certificate unconverged", async () => {
        // trust-both's Redis trusts both CAs, but its certificate is the old CA's; issue-next's Secret holds a new one.
        const redis = await start("trust-both");
        const secret = redisSecret(phases["issue-next"]);
        const probe = await probeRedis("127.0.0.1", redis.port, { ...secret, data: { ...secret.data, "ca.crt": redisSecret(phases["trust-both"]).data["ca.crt"] } }, SERVERNAME);
        assert.deepStrictEqual(probe.notes.filter((n) => !n.startsWith("CONFIG")), [`Redis at 127.0.0.1:${redis.port} serves another certificate than spin-redis-tls holds: it has not reloaded or restarted since the Secret changed`]);
        assert.strictEqual(probe.ok, false);
    });

    it("finds a Redis restarted onto issue-next's files converged", async () => {
        const redis = await start("issue-next");
        const probe = await probeRedis("127.0.0.1", redis.port, redisSecret(phases["issue-next"]), SERVERNAME);
        assert.deepStrictEqual([probe.ok, probe.notes], [true, []]);
    });
});
