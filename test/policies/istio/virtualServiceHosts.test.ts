import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";

const POLICY = "virtual-service-hosts";
const vs = (hosts: string[]) => kube("networking.istio.io/v1", "VirtualService", { name: "spinnaker", namespace: "spinnaker" }, { spec: { hosts, gateways: ["istio-system/spinnaker-gateway"], http: [] } });

describe("policy virtual-service-hosts", () => {
    it("accepts named hosts", async () => {
        assert.deepStrictEqual(await messages(POLICY, [vs(["spinnaker.example.com"])]), []);
    });

    it("refuses '*'", async () => {
        assert.deepStrictEqual(await messages(POLICY, [vs(["spinnaker.example.com", "*"])]), [
            "VirtualService spinnaker/spinnaker: spec.hosts[1]: is '*', which matches any host name. Fix: name the Spinnaker host (e.g. spinnaker.example.com)",
        ]);
    });
});
