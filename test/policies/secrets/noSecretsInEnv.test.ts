import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { NS, clone, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "no-secrets-in-env";
const PASSWORD = "Tr0ub4dor-3";
const FIX = "Fix: take it from a Secret (env[].valueFrom.secretKeyRef, or an argfile in a Secret for JVM options)";
const deployment = (env: unknown[], init: unknown[] = []) =>
    kube("apps/v1", "Deployment", { name: "spin-echo", namespace: NS }, {
        spec: { selector: {}, template: { metadata: {}, spec: { initContainers: init, containers: [{ name: "echo", image: "echo", env }] } } },
    });

describe("policy no-secrets-in-env", () => {
    it("accepts references, argfile paths and harmless values", async () => {
        const env = [
            { name: "KEYSTORE_PASSWORD", valueFrom: { secretKeyRef: { name: "spin-echo-tls", key: "keystore-password" } } },
            { name: "JDK_JAVA_OPTIONS", value: "@/opt/echo/secrets/spin-echo-jvm/jvm-options" },
            { name: "SSL_CERT_FILE", value: "/opt/echo/secrets/spin-echo-tls/ca.crt" },
        ];
        assert.deepStrictEqual(await messages(POLICY, [deployment(env), spinnakerService()]), []);
    });

    it("refuses a literal password, a private key, or a password in JVM options, in any container, never printing them", async () => {
        const found = await messages(POLICY, [
            deployment([{ name: "KEYSTORE_PASSWORD", value: PASSWORD }, { name: "JAVA_OPTS", value: `-Djavax.net.ssl.keyStorePassword=${PASSWORD}` }], [{ name: "init", image: "x", env: [{ name: "TLS_KEY", value: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----" }] }]),
        ]);
        assert.deepStrictEqual(found, [
            `Deployment ${NS}/spin-echo: spec.template.spec.initContainers[0].env[0] (TLS_KEY): holds a PEM private key. ${FIX}`,
            `Deployment ${NS}/spin-echo: spec.template.spec.containers[0].env[0] (KEYSTORE_PASSWORD): holds a literal password. ${FIX}`,
            `Deployment ${NS}/spin-echo: spec.template.spec.containers[0].env[1] (JAVA_OPTS): holds a password in JVM option -Djavax.net.ssl.keyStorePassword. ${FIX}`,
        ]);
        assert.ok(!found.join("").includes(PASSWORD));
    });

    it("refuses the same in a SpinnakerService's service-settings env", async () => {
        const f = clone(spinnakerService());
        spinnakerConfig(f)["service-settings"].orca.env = { JAVA_OPTS: `-Djavax.net.ssl.keyStorePassword=${PASSWORD}`, TRUSTSTORE_PASSWORD: PASSWORD };
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `SpinnakerService ${NS}/spinnaker: spec.spinnakerConfig.service-settings.orca.env.JAVA_OPTS: holds a password in JVM option -Djavax.net.ssl.keyStorePassword. ${FIX}`,
            `SpinnakerService ${NS}/spinnaker: spec.spinnakerConfig.service-settings.orca.env.TRUSTSTORE_PASSWORD: holds a literal password. ${FIX}`,
        ]);
    });
});
