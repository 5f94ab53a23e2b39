import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { certificate } from "./fixtures";

const POLICY = "cert-manager-keystore-profile";

describe("policy cert-manager-keystore-profile", () => {
    it("accepts Modern2023, and Certificates without a PKCS#12 keystore", async () => {
        assert.deepStrictEqual(await messages(POLICY, [certificate(), certificate({ keystores: undefined }, "deck")]), []);
    });

    it("refuses the legacy profiles, named or by default", async () => {
        const legacy = (profile?: string, name = "spin-gate") => certificate({ keystores: { pkcs12: { create: true, passwordSecretRef: { name: "p", key: "password" }, ...(profile ? { profile } : {}) } } }, name);
        assert.deepStrictEqual(await messages(POLICY, [legacy("LegacyDES"), legacy(undefined, "spin-orca")]), [
            "Certificate spinnaker/spin-gate: spec.keystores.pkcs12.profile: is 'LegacyDES'. Fix: set profile: Modern2023",
            "Certificate spinnaker/spin-orca: spec.keystores.pkcs12.profile: is unset (LegacyRC2). Fix: set profile: Modern2023",
        ]);
    });
});
