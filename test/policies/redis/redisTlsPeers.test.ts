import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { NS, redisStatefulSet } from "../fixtures";

const POLICY = "redis-tls-peers";
const CONF = ["port 0", "tls-port 6379", "tls-auth-clients yes", "tls-replication yes", "tls-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"];
const configMap = (lines: string[]) => kube("v1", "ConfigMap", { name: "spin-redis-config", namespace: NS }, { data: { "redis.conf": lines.join("\n") + "\n" } });
const without = (directive: string, ...extra: string[]) => CONF.filter((l) => !l.startsWith(`${directive} `)).concat(extra);
const CM = `ConfigMap ${NS}/spin-redis-config: data["redis.conf"]`;
const CIPHER_FIX = "Fix: list only ECDHE AEAD suites (the program's default), or exclude the weak ones with !";

describe("policy redis-tls-peers", () => {
    it("accepts the program's redis.conf, a replica with tls-replication, a TLS cluster, exclusions in the cipher list, and a replica started by arguments", async () => {
        const sts = redisStatefulSet(NS, { args: ["/etc/redis/redis.conf", "--replicaof", "spin-redis-0.spin-redis-headless", "6379"] });
        assert.deepStrictEqual(
            await messages(POLICY, [
                configMap([...CONF, "replicaof spin-redis-0 6379", "cluster-enabled no"]),
                { ...configMap([...without("tls-ciphers", "tls-ciphers HIGH:!aNULL:!eNULL:!MD5:-RC4"), "cluster-enabled yes", "tls-cluster yes"]), name: "b" },
                sts,
            ]),
            [],
        );
    });

    it("refuses replication in plaintext, set or left unset beside replicaof", async () => {
        assert.deepStrictEqual(await messages(POLICY, [configMap(without("tls-replication", "tls-replication no"))]), [`${CM} tls-replication: is 'no', so replicas and their primary talk in plaintext. Fix: set tls-replication yes`]);
        assert.deepStrictEqual(await messages(POLICY, [configMap(without("tls-replication", "slaveof spin-redis-0 6379"))]), [
            `${CM} tls-replication: is not set (no) while slaveof is 'spin-redis-0 6379', so this replica reaches its primary in plaintext. Fix: set tls-replication yes`,
        ]);
    });

    it("refuses a cluster bus in plaintext", async () => {
        assert.deepStrictEqual(await messages(POLICY, [configMap([...CONF, "cluster-enabled yes"])]), [`${CM} tls-cluster: is not set (no) while cluster-enabled is yes, so the cluster bus runs in plaintext. Fix: set tls-cluster yes`]);
        assert.deepStrictEqual(await messages(POLICY, [configMap([...CONF, "cluster-enabled yes", "tls-cluster no"])]), [`${CM} tls-cluster: is 'no' while cluster-enabled is yes, so the cluster bus runs in plaintext. Fix: set tls-cluster yes`]);
    });

    it("refuses null, anonymous, export and broken ciphers", async () => {
        assert.deepStrictEqual(await messages(POLICY, [configMap(without("tls-ciphers", "tls-ciphers ECDHE-RSA-AES128-GCM-SHA256:NULL-SHA256:aNULL:DES-CBC3-SHA:EXP-RC4-MD5"))]), [
            `${CM} tls-ciphers: is 'ECDHE-RSA-AES128-GCM-SHA256:NULL-SHA256:aNULL:DES-CBC3-SHA:EXP-RC4-MD5', which admits NULL-SHA256, aNULL, DES-CBC3-SHA, EXP-RC4-MD5. ${CIPHER_FIX}`,
        ]);
        assert.deepStrictEqual(await messages(POLICY, [configMap(without("tls-ciphers", "tls-ciphers ALL"))]), [`${CM} tls-ciphers: is 'ALL', which admits ALL. ${CIPHER_FIX}`]);
    });

    it("refuses the same on redis-server's command line", async () => {
        const sts = redisStatefulSet(NS, { args: ["/etc/redis/redis.conf", "--tls-replication", "no"] });
        assert.deepStrictEqual(await messages(POLICY, [sts]), [
            `StatefulSet ${NS}/spin-redis: spec.template.spec.containers[0] arguments tls-replication: is 'no', so replicas and their primary talk in plaintext. Fix: set tls-replication yes`,
        ]);
    });
});
