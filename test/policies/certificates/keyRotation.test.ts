import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { certificate } from "./fixtures";

const POLICY = "certificate-key-rotation";

describe("policy certificate-key-rotation", () => {
    it("accepts rotationPolicy Always, and a Certificate that leaves the private key to cert-manager", async () => {
        assert.deepStrictEqual(await messages(POLICY, [certificate(), certificate({ privateKey: undefined }, "spin-orca")]), []);
    });

    it("refuses rotationPolicy Never", async () => {
        assert.deepStrictEqual(await messages(POLICY, [certificate({ privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Never" } })]), [
            "Certificate spinnaker/spin-gate: spec.privateKey.rotationPolicy: is 'Never', so a renewed certificate keeps the old key. Fix: set rotationPolicy: Always",
        ]);
    });
});
