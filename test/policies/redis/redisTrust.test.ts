import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { NS, redisStatefulSet } from "../fixtures";

const POLICY = "redis-trust-anchor";
const TLS = "/etc/redis/tls";
const CONF = ["port 0", "tls-port 6379", "tls-auth-clients yes", `tls-cert-file ${TLS}/tls.crt`, `tls-key-file ${TLS}/tls.key`, `tls-ca-cert-file ${TLS}/ca.crt`];
const configMap = (lines: string[]) => kube("v1", "ConfigMap", { name: "spin-redis-config", namespace: NS }, { data: { "redis.conf": lines.join("\n") + "\n" } });
const CM = `ConfigMap ${NS}/spin-redis-config: data["redis.conf"]`;

describe("policy redis-trust-anchor", () => {
    it("accepts the program's redis.conf (the CA beside Redis's own certificate), an empty tls-ca-cert-dir, and a StatefulSet that sets neither", async () => {
        assert.deepStrictEqual(await messages(POLICY, [configMap(CONF), { ...configMap([...CONF, "tls-ca-cert-dir \"\""]), name: "b" }, redisStatefulSet()]), []);
    });

    it("refuses a CA directory, in the file or on the command line", async () => {
        const sts = redisStatefulSet(NS, { args: ["/etc/redis/redis.conf", "--tls-ca-cert-dir", "/etc/ssl/certs"] });
        assert.deepStrictEqual(await messages(POLICY, [configMap([...CONF, "tls-ca-cert-dir /etc/ssl/certs"]), sts]), [
            `${CM} tls-ca-cert-dir: is '/etc/ssl/certs', so Redis accepts a certificate from any CA in that directory. Fix: remove it; tls-ca-cert-file names the stack's CA`,
            `StatefulSet ${NS}/spin-redis: spec.template.spec.containers[0] arguments tls-ca-cert-dir: is '/etc/ssl/certs', so Redis accepts a certificate from any CA in that directory. Fix: remove it; tls-ca-cert-file names the stack's CA`,
        ]);
    });

    it("refuses a CA file from elsewhere than Redis's own certificate", async () => {
        const conf = CONF.filter((l) => !l.startsWith("tls-ca-cert-file")).concat("tls-ca-cert-file /etc/ssl/certs/ca-certificates.crt");
        assert.deepStrictEqual(await messages(POLICY, [configMap(conf)]), [
            `${CM} tls-ca-cert-file: is '/etc/ssl/certs/ca-certificates.crt', outside ${TLS} where Redis's own certificate is, so it trusts CAs other than the stack's. Fix: use ${TLS}/ca.crt, the CA beside Redis's own certificate`,
        ]);
    });
});
