import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { certificate, tlsKey } from "./fixtures";

const POLICY = "certificate-key-strength";

describe("policy certificate-key-strength", () => {
    it("accepts RSA 2048+, ECDSA P-256/P-384 and cert-manager's defaults", async () => {
        const fixtures = [tlsKey({ algorithm: "RSA", rsaBits: 3072 }), tlsKey({ algorithm: "ECDSA", ecdsaCurve: "P384" }), tlsKey({ algorithm: "ED25519" }), certificate(), certificate({ privateKey: undefined }, "d")];
        assert.deepStrictEqual(await messages(POLICY, fixtures), []);
    });

    it("refuses short RSA keys and weak or default curves from @pulumi/tls", async () => {
        assert.deepStrictEqual(await messages(POLICY, [tlsKey({ algorithm: "RSA", rsaBits: 1024 }), tlsKey({ algorithm: "ECDSA", ecdsaCurve: "P224" }), tlsKey({ algorithm: "ECDSA" })]), [
            "PrivateKey spin-gate-key: rsaBits: is 1024. Fix: use at least 2048",
            "PrivateKey spin-gate-key: ecdsaCurve: is P224. Fix: use P256 or P384",
            "PrivateKey spin-gate-key: ecdsaCurve: is unset (P224). Fix: use P256 or P384",
        ]);
    });

    it("refuses short keys in cert-manager Certificates", async () => {
        assert.deepStrictEqual(await messages(POLICY, [certificate({ privateKey: { algorithm: "RSA", size: 1024 } }), certificate({ privateKey: { algorithm: "ECDSA", size: 224 } }, "e")]), [
            "Certificate spinnaker/spin-gate: spec.privateKey.size: is 1024 for RSA. Fix: use at least 2048",
            "Certificate spinnaker/e: spec.privateKey.size: is 224 for ECDSA. Fix: use 256 or 384",
        ]);
    });
});
