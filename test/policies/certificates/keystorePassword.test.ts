import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { certificate } from "./fixtures";

const POLICY = "cert-manager-keystore-password";

describe("policy cert-manager-keystore-password", () => {
    it("accepts keystores whose password comes from a Secret", async () => {
        const jks = { pkcs12: { create: true, passwordSecretRef: { name: "p", key: "password" }, profile: "Modern2023" }, jks: { create: true, passwordSecretRef: { name: "p", key: "password" } } };
        assert.deepStrictEqual(await messages(POLICY, [certificate(), certificate({ keystores: jks }, "spin-orca")]), []);
    });

    it("refuses a literal password for either keystore, without repeating it", async () => {
        const keystores = { pkcs12: { create: true, password: "hunter2", profile: "Modern2023" }, jks: { create: true, password: "hunter3" } };
        const found = await messages(POLICY, [certificate({ keystores })]);
        assert.deepStrictEqual(found, [
            "Certificate spinnaker/spin-gate: spec.keystores.pkcs12.password: is a literal password. Fix: remove it and set spec.keystores.pkcs12.passwordSecretRef to the Secret that holds it",
            "Certificate spinnaker/spin-gate: spec.keystores.jks.password: is a literal password. Fix: remove it and set spec.keystores.jks.passwordSecretRef to the Secret that holds it",
        ]);
        assert.ok(!found.join("\n").includes("hunter"));
    });
});
