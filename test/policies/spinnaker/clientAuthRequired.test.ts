import * as assert from "assert";
import { Fixture, messages } from "../../support/policyPack";
import { NS, clone, goProfile, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-client-auth-required";
const SPIN = `SpinnakerService ${NS}/spinnaker`;
const ssl = (f: Fixture, svc: string) => (spinnakerConfig(f).profiles[svc] as { server: { ssl: Record<string, unknown> } }).server.ssl;

describe("policy spinnaker-client-auth-required", () => {
    it("accepts need, and want (the first step of a rollout), on Java and Go services", async () => {
        for (const clientAuth of ["need", "want"]) {
            const f = clone(spinnakerService({ clientAuth }));
            spinnakerConfig(f).profiles.dinghy = goProfile("dinghy");
            assert.deepStrictEqual(await messages(POLICY, [f]), []);
        }
    });

    it("refuses none, and no setting at all", async () => {
        const f = clone(spinnakerService());
        ssl(f, "orca")["client-auth"] = "none";
        delete ssl(f, "echo")["client-auth"];
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${SPIN}: spec.spinnakerConfig.profiles.echo.server.ssl.client-auth: echo does not set client-auth, so it accepts callers without a certificate. Fix: set client-auth: need (want only while rolling out)`,
            `${SPIN}: spec.spinnakerConfig.profiles.orca.server.ssl.client-auth: orca has client-auth 'none', so it accepts callers without a certificate. Fix: set client-auth: need (want only while rolling out)`,
        ]);
    });

    it("refuses a Go service without clientAuth", async () => {
        const f = clone(spinnakerService());
        const dinghy = goProfile("dinghy");
        delete (dinghy.server.ssl as Record<string, unknown>).clientAuth;
        spinnakerConfig(f).profiles.dinghy = dinghy;
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `${SPIN}: spec.spinnakerConfig.profiles.dinghy.server.ssl.clientAuth: dinghy does not set client-auth, so it accepts callers without a certificate. Fix: set client-auth: need (want only while rolling out)`,
        ]);
    });
});
