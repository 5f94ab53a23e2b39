import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { NS, redisStatefulSet, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "no-secrets-in-annotations";
const PRIVATE_KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n";
const FIX = "Fix: keep it in a Kubernetes Secret; annotations are readable wherever the object is, and copied by tools";

describe("policy no-secrets-in-annotations", () => {
    it("accepts the program's annotations: checksums, Reloader's Secret names, references", async () => {
        const sts = redisStatefulSet(NS, { annotations: { "spinnaker-mtls/tls-checksum": "9e8b32", "secret.reloader.stakater.com/reload": "spin-redis-tls", "example.com/db-password": "${DB_PASSWORD}" } });
        assert.deepStrictEqual(await messages(POLICY, [sts, spinnakerService()]), []);
    });

    it("refuses a private key on an object and a password on its pod template", async () => {
        const sts = redisStatefulSet(NS, { annotations: { "example.com/redis-password": "hunter2" } });
        (sts.inputs.metadata as Record<string, unknown>).annotations = { "example.com/tls-key": PRIVATE_KEY };
        const found = await messages(POLICY, [sts]);
        assert.deepStrictEqual(found, [
            `StatefulSet ${NS}/spin-redis: metadata.annotations["example.com/tls-key"]: holds a PEM private key. ${FIX}`,
            `StatefulSet ${NS}/spin-redis: spec.template.metadata.annotations["example.com/redis-password"]: is a literal password. ${FIX}`,
        ]);
        assert.ok(!found.join("\n").includes("hunter2"));
    });

    it("refuses a password in a SpinnakerService's podAnnotations, and a private key on any kind", async () => {
        const f = spinnakerService();
        (spinnakerConfig(f)["service-settings"].orca as Record<string, unknown>).kubernetes = { useTcpProbe: true, podAnnotations: { "vault.example.com/token": "s.abcdef" } };
        const cm = kube("v1", "Service", { name: "spin-orca", namespace: NS, annotations: { key: PRIVATE_KEY } }, { spec: {} });
        assert.deepStrictEqual(await messages(POLICY, [f, cm]), [
            `SpinnakerService ${NS}/spinnaker: spec.spinnakerConfig.service-settings.orca.kubernetes.podAnnotations["vault.example.com/token"]: is a literal password. ${FIX}`,
            `Service ${NS}/spin-orca: metadata.annotations["key"]: holds a PEM private key. ${FIX}`,
        ]);
    });
});
