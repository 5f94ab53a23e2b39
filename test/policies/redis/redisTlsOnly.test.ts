import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { NS, redisStatefulSet } from "../fixtures";

const POLICY = "redis-tls-only";
const CONF = ["port 0", "tls-port 6379", "tls-cert-file /tls/tls.crt", "tls-key-file /tls/tls.key", "tls-ca-cert-file /tls/ca.crt", "tls-auth-clients yes", 'tls-protocols "TLSv1.2 TLSv1.3"'];
const configMap = (lines: string[], name = "spin-redis-config") => kube("v1", "ConfigMap", { name, namespace: NS }, { data: { "redis.conf": lines.join("\n") + "\n" } });
const replace = (directive: string, line?: string) => CONF.filter((l) => !l.startsWith(`${directive} `)).concat(line ? [line] : []);
const CM = `ConfigMap ${NS}/spin-redis-config: data["redis.conf"]`;

describe("policy redis-tls-only", () => {
    it("accepts the program's redis.conf: TLS only, client certificates, TLS 1.2 and 1.3", async () => {
        assert.deepStrictEqual(await messages(POLICY, [configMap(CONF), redisStatefulSet()]), []);
    });

    it("refuses a plaintext port, set or left to Redis's default", async () => {
        assert.deepStrictEqual(await messages(POLICY, [configMap(replace("port", "port 6380"))]), [`${CM} port: is 6380, a plaintext listener. Fix: set port 0 and serve on tls-port`]);
        assert.deepStrictEqual(await messages(POLICY, [configMap(replace("port"))]), [`${CM} port: is not set (6379), a plaintext listener. Fix: set port 0 and serve on tls-port`]);
    });

    it("takes the last of repeated directives, as Redis does", async () => {
        assert.deepStrictEqual(await messages(POLICY, [configMap([...CONF, "port 6379"])]), [`${CM} port: is 6379, a plaintext listener. Fix: set port 0 and serve on tls-port`]);
    });

    it("refuses a Redis without a TLS listener", async () => {
        assert.deepStrictEqual(await messages(POLICY, [configMap(replace("tls-port"))]), [`${CM} tls-port: is not set, so Redis has no TLS listener. Fix: set tls-port 6379`]);
    });

    it("refuses tls-auth-clients no or optional, unless the policy config lists that Redis", async () => {
        const fix = "Fix: set tls-auth-clients yes (or list this Redis in the policy's serverAuthOnly for clients that cannot present one)";
        assert.deepStrictEqual(await messages(POLICY, [configMap(replace("tls-auth-clients", "tls-auth-clients optional"))]), [`${CM} tls-auth-clients: is 'optional', so clients connect without a certificate. ${fix}`]);
        const goRedis = configMap(replace("tls-auth-clients", "tls-auth-clients no"), "spin-redis-go-config");
        assert.strictEqual((await messages(POLICY, [goRedis])).length, 1);
        assert.deepStrictEqual(await messages(POLICY, [goRedis], { [POLICY]: { serverAuthOnly: [`${NS}/spin-redis-go-config`] } }), []);
        assert.deepStrictEqual(await messages(POLICY, [goRedis], { [POLICY]: { serverAuthOnly: ["spin-redis-go-config"] } }), [], "a bare name matches in any namespace");
        assert.strictEqual((await messages(POLICY, [goRedis], { [POLICY]: { serverAuthOnly: ["elsewhere/spin-redis-go-config"] } })).length, 1);
        // The exception is for client certificates only: the listed Redis must still be TLS-only.
        const goPlain = configMap([...replace("tls-auth-clients", "tls-auth-clients no"), "port 6379"], "spin-redis-go-config");
        assert.deepStrictEqual(await messages(POLICY, [goPlain], { [POLICY]: { serverAuthOnly: [`${NS}/spin-redis-go-config`] } }), [
            `ConfigMap ${NS}/spin-redis-go-config: data["redis.conf"] port: is 6379, a plaintext listener. Fix: set port 0 and serve on tls-port`,
        ]);
    });

    it("refuses TLS 1.0 or 1.1 in tls-protocols", async () => {
        assert.deepStrictEqual(await messages(POLICY, [configMap(replace("tls-protocols", 'tls-protocols "TLSv1.1 TLSv1.2"'))]), [
            `${CM} tls-protocols: is 'TLSv1.1 TLSv1.2', which allows TLS 1.0/1.1. Fix: set tls-protocols "TLSv1.2 TLSv1.3"`,
        ]);
    });

    it("refuses the same settings passed on redis-server's command line, which override the file", async () => {
        const f = redisStatefulSet(NS, { args: ["/etc/redis/redis.conf", "--port", "6379", "--tls-auth-clients", "no", "--tls-protocols", "TLSv1 TLSv1.2"] });
        const at = `StatefulSet ${NS}/spin-redis: spec.template.spec.containers[0] arguments`;
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${at} port: is 6379, a plaintext listener. Fix: set port 0 and serve on tls-port`,
            `${at} tls-auth-clients: is 'no', so clients connect without a certificate. Fix: set tls-auth-clients yes (or list this Redis in the policy's serverAuthOnly for clients that cannot present one)`,
            `${at} tls-protocols: is 'TLSv1 TLSv1.2', which allows TLS 1.0/1.1. Fix: set tls-protocols "TLSv1.2 TLSv1.3"`,
        ]);
    });
});
