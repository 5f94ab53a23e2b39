import * as assert from "assert";
import { messages } from "../../support/policyPack";
import { NS, clone, spinnakerConfig, spinnakerService } from "../fixtures";

const POLICY = "spinnaker-tcp-probes";

describe("policy spinnaker-tcp-probes", () => {
    it("accepts TCP probes on every service that serves TLS", async () => {
        assert.deepStrictEqual(await messages(POLICY, [spinnakerService()]), []);
    });

    it("refuses a TLS service (Java, or Deck over HTTPS) without them", async () => {
        const f = clone(spinnakerService());
        delete spinnakerConfig(f)["service-settings"].orca.kubernetes;
        (spinnakerConfig(f)["service-settings"].deck.kubernetes as Record<string, unknown>).useTcpProbe = false;
        assert.deepStrictEqual(await messages(POLICY, [f]), [
            `SpinnakerService ${NS}/spinnaker: spec.spinnakerConfig.service-settings.deck.kubernetes.useTcpProbe: is 'false', not true, although deck serves TLS, so its readiness probe fails and the pod never becomes ready. Fix: set kubernetes.useTcpProbe: true`,
            `SpinnakerService ${NS}/spinnaker: spec.spinnakerConfig.service-settings.orca.kubernetes.useTcpProbe: is not set, not true, although orca serves TLS, so its readiness probe fails and the pod never becomes ready. Fix: set kubernetes.useTcpProbe: true`,
        ]);
    });
});
