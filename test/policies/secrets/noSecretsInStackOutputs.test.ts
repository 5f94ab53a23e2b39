import * as assert from "assert";
import { messages } from "../../support/policyPack";

const POLICY = "no-secrets-in-stack-outputs";
const stack = (outputs: Record<string, unknown>) => ({ type: "pulumi:pulumi:Stack", name: "spinnaker-mtls-test", inputs: {}, outputs });
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

describe("policy no-secrets-in-stack-outputs", () => {
    it("accepts the public outputs the program exports", async () => {
        const outputs = { caCertificatePem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", serviceCertificates: { gate: { secretName: "spin-gate-tls", notAfter: "2027-01-01T00:00:00Z" } }, redisEndpoint: "rediss://spin-redis:6379" };
        assert.deepStrictEqual(await messages(POLICY, [stack(outputs)]), []);
    });

    it("refuses a private key or a password in an output, secret or not (the analyzer sees both decrypted)", async () => {
        const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(KEY) };
        const found = await messages(POLICY, [stack({ caKey: secret, gate: { keystorePassword: "hunter2-hunter2" } })]);
        assert.deepStrictEqual(found, [
            "stack output caKey: holds a PEM private key. Fix: do not export it; read it from the Kubernetes Secret that holds it",
            "stack output gate.keystorePassword: holds a password. Fix: do not export it; read it from the Kubernetes Secret that holds it",
        ]);
        assert.ok(!found.join("").includes("hunter2"));
    });
});
