import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { NS, clone, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-secret-references";
const SPIN = `SpinnakerService ${NS}/spinnaker`;
const PASSWORD = "s3cr3t-Value";

describe("policy spinnaker-secret-references", () => {
    it("accepts encrypted:/encryptedFile: references and ${...} placeholders", async () => {
        const f = clone(spinnakerService());
        (spinnakerConfig(f).profiles.gate.server as { ssl: Record<string, unknown> }).ssl["key-store-password"] = "${spinnaker-mtls.spin-gate-tls.keystore-password}";
        assert.deepStrictEqual(await messages(POLICY, [f]), []);
    });

    it("refuses a literal keystore or truststore password, in any spelling, without repeating it", async () => {
        const f = clone(spinnakerService());
        (spinnakerConfig(f).profiles.gate.server as { ssl: Record<string, unknown> }).ssl["key-store-password"] = PASSWORD;
        (spinnakerConfig(f).profiles.orca["ok-http-client"] as Record<string, unknown>).trustStorePassword = PASSWORD;
        const found = await messages(POLICY, [f]);
        assert.deepStrictEqual(found, [
            `${SPIN}: spec.spinnakerConfig.profiles.gate.server.ssl.key-store-password: is a literal password. Fix: reference the Secret that holds it: encrypted:k8s!n:<secret>!k:<key>`,
            `${SPIN}: spec.spinnakerConfig.profiles.orca.ok-http-client.trustStorePassword: is a literal password. Fix: reference the Secret that holds it: encrypted:k8s!n:<secret>!k:<key>`,
        ]);
        assert.ok(!found.join("").includes(PASSWORD));
    });

    it("refuses a PEM private key and a password in a JVM option written into the config", async () => {
        const f = clone(spinnakerService());
        spinnakerConfig(f).profiles.rosco.extra = { key: "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n" };
        spinnakerConfig(f).profiles.echo.jvm = { options: `-Djavax.net.ssl.keyStorePassword=${PASSWORD}` };
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${SPIN}: spec.spinnakerConfig.profiles.echo.jvm.options: holds a password in JVM option -Djavax.net.ssl.keyStorePassword. Fix: move the option into a Secret-backed argfile (JDK_JAVA_OPTIONS=@<file>)`,
            `${SPIN}: spec.spinnakerConfig.profiles.rosco.extra.key: holds a PEM private key. Fix: keep the key in a Kubernetes Secret and reference it with encryptedFile:k8s!n:<secret>!k:<key>`,
        ]);
    });
});
