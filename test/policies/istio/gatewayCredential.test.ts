import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { certificate } from "../certificates/fixtures";

const POLICY = "gateway-credential";
const gateway = (credentialName: string) =>
    kube("networking.istio.io/v1", "Gateway", { name: "spinnaker-gateway", namespace: "istio-system" }, {
        spec: { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["spinnaker.example.com"], tls: { mode: "SIMPLE", credentialName, minProtocolVersion: "TLSV1_2" } }] },
    });
const ingress = (usages: string[]) => certificate({ secretName: "spinnaker-ingress-tls", usages, keystores: undefined }, "spinnaker-ingress", "istio-system");
const GW = "Gateway istio-system/spinnaker-gateway: spec.servers[0].tls.credentialName";

describe("policy gateway-credential", () => {
    it("accepts a server-auth-only certificate the stack issues in the Gateway's namespace, and a listed external credential", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway("spinnaker-ingress-tls"), ingress(["digital signature", "server auth"])]), []);
        assert.deepStrictEqual(await messages(POLICY, [gateway("corp-pki-tls")], { [POLICY]: { externalCredentials: ["istio-system/corp-pki-tls"] } }), []);
    });

    it("refuses a Secret no Certificate issues there, including a service's Secret from another namespace", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway("spin-gate-tls"), certificate()]), [
            `${GW}: is 'spin-gate-tls', a Secret no Certificate of this stack issues in istio-system, so nothing renews it or vouches for what it holds. Fix: issue it with a cert-manager Certificate in istio-system, or list 'istio-system/spin-gate-tls' in the policy's externalCredentials`,
        ]);
    });

    it("refuses a certificate that also authenticates clients: a service identity at the edge", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway("spinnaker-ingress-tls"), ingress(["server auth", "client auth"])]), [
            `${GW}: is 'spinnaker-ingress-tls', issued by Certificate istio-system/spinnaker-ingress with usage 'client auth': a service identity the mesh's peers trust as a client, now held by the edge. Fix: give the Gateway its own server-auth-only certificate (usages: server auth)`,
        ]);
    });
});
