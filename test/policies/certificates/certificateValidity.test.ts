import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { certificate, tlsCa, tlsLeaf } from "./fixtures";

const POLICY = "certificate-validity";

describe("policy certificate-validity", () => {
    it("accepts the defaults: 90-day leaves renewed 15 days early, a 10-year CA", async () => {
        assert.deepStrictEqual(await messages(POLICY, [tlsLeaf(), tlsCa(), certificate(), certificate({ duration: "2160h0m0s", renewBefore: undefined, renewBeforePercentage: 20 }, "p")]), []);
    });

    it("refuses a @pulumi/tls certificate valid longer than the maximum, which is configurable", async () => {
        assert.deepStrictEqual(await messages(POLICY, [tlsLeaf({ validityPeriodHours: 8760 })]), [
            "LocallySignedCert spin-gate-cert: validityPeriodHours: is 8760, above the maximum of 2160. Fix: issue for at most 2160 hours and renew",
        ]);
        assert.deepStrictEqual(await messages(POLICY, [tlsLeaf({ validityPeriodHours: 8760 })], { [POLICY]: { maxLeafValidityHours: 8760 } }), []);
        assert.deepStrictEqual(await messages(POLICY, [tlsCa({ validityPeriodHours: 175200 })]), [
            "SelfSignedCert spinnaker-ca-cert: validityPeriodHours: is 175200, above the maximum of 87600. Fix: issue for at most 87600 hours and renew",
        ]);
    });

    it("refuses a @pulumi/tls certificate without a renewal window", async () => {
        assert.deepStrictEqual(await messages(POLICY, [tlsLeaf({ earlyRenewalHours: 0 })]), [
            "LocallySignedCert spin-gate-cert: earlyRenewalHours: is 0, so the certificate is only replaced once it has expired. Fix: set it between 0 and validityPeriodHours (the program uses renewBeforeHours)",
        ]);
    });

    it("refuses a cert-manager Certificate valid too long, or without a window that fits inside its duration", async () => {
        assert.deepStrictEqual(await messages(POLICY, [certificate({ duration: "8760h" }), certificate({ renewBefore: undefined }, "b"), certificate({ renewBefore: "2160h" }, "c")]), [
            "Certificate spinnaker/spin-gate: spec.duration: is 8760h, above the maximum of 2160h. Fix: set spec.duration to at most 2160h",
            "Certificate spinnaker/b: spec.renewBefore: is not set, so the renewal window is left to cert-manager's default. Fix: set spec.renewBefore (or renewBeforePercentage)",
            "Certificate spinnaker/c: spec.renewBefore: is 2160h, not a window inside spec.duration. Fix: set a duration shorter than spec.duration, e.g. 360h",
        ]);
    });

    it("counts cert-manager's default duration (90 days) against the maximum", async () => {
        assert.deepStrictEqual(await messages(POLICY, [certificate({ duration: undefined })], { [POLICY]: { maxLeafValidityHours: 720 } }), [
            "Certificate spinnaker/spin-gate: spec.duration: is unset (2160h), above the maximum of 720h. Fix: set spec.duration to at most 720h",
        ]);
    });
});
