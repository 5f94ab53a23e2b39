import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";

const POLICY = "no-secrets-in-configmaps";
const KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----\n";
const PASSWORD = "Tr0ub4dor-3";
const cm = (data: Record<string, string>, binaryData?: Record<string, string>) => kube("v1", "ConfigMap", { name: "settings", namespace: "spinnaker" }, { data, ...(binaryData ? { binaryData } : {}) });
const FIX = "Fix: move it into a Kubernetes Secret and mount or reference that";

describe("policy no-secrets-in-configmaps", () => {
    it("accepts config with certificates, references and placeholders", async () => {
        const data = {
            "redis.conf": "port 0\ntls-port 6379\ntls-key-file /tls/tls.key\n",
            "ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "gate.yml": "server:\n  ssl:\n    key-store-password: encrypted:k8s!n:spin-gate-tls!k:keystore-password\n    trust-store-password: ${TRUSTSTORE_PASSWORD}\n",
        };
        assert.deepStrictEqual(await messages(POLICY, [cm(data)]), []);
    });

    it("refuses a PEM private key, in data or binaryData", async () => {
        assert.deepStrictEqual(await messages(POLICY, [cm({ "tls.key": KEY }, { "key.bin": Buffer.from(KEY).toString("base64") })]), [
            `ConfigMap spinnaker/settings: data["tls.key"]: holds a PEM private key. ${FIX}`,
            `ConfigMap spinnaker/settings: binaryData["key.bin"]: holds a PEM private key. ${FIX}`,
        ]);
    });

    it("refuses passwords: as a key, in YAML or properties, in redis.conf, in JVM options; never printing them", async () => {
        const data = {
            "keystore-password": PASSWORD,
            "gate.yml": `server:\n  ssl:\n    key-store-password: ${PASSWORD}\n`,
            "redis.conf": `port 0\nrequirepass ${PASSWORD}\n`,
            "jvm.options": `-Xmx1g -Djavax.net.ssl.trustStorePassword=${PASSWORD}\n`,
        };
        const found = await messages(POLICY, [cm(data)]);
        assert.deepStrictEqual(found, [
            `ConfigMap spinnaker/settings: data["gate.yml"]: holds a password in line 3 (key-store-password). ${FIX}`,
            `ConfigMap spinnaker/settings: data["jvm.options"]: holds a password in JVM option -Djavax.net.ssl.trustStorePassword. ${FIX}`,
            `ConfigMap spinnaker/settings: data["keystore-password"]: is a password. ${FIX}`,
            `ConfigMap spinnaker/settings: data["redis.conf"]: holds a password in line 2 (requirepass). ${FIX}`,
        ]);
        assert.ok(!found.join("").includes(PASSWORD));
    });
});
