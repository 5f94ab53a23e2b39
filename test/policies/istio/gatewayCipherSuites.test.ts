import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";

const POLICY = "gateway-cipher-suites";
const gateway = (cipherSuites?: string[]) =>
    kube("networking.istio.io/v1", "Gateway", { name: "spinnaker-gateway", namespace: "istio-system" }, {
        spec: { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["spinnaker.example.com"], tls: { mode: "SIMPLE", credentialName: "spinnaker-ingress-tls", minProtocolVersion: "TLSV1_2", ...(cipherSuites ? { cipherSuites } : {}) } }] },
    });
const FIX = "Fix: list only ECDHE-ECDSA/RSA-AES128-GCM-SHA256, -AES256-GCM-SHA384 or -CHACHA20-POLY1305, or remove cipherSuites to keep Envoy's defaults";

describe("policy gateway-cipher-suites", () => {
    it("accepts Envoy's defaults and forward-secret AEAD suites", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway(), { ...gateway(["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"]), name: "b" }]), []);
    });

    it("refuses CBC, 3DES, static-RSA and NULL suites", async () => {
        assert.deepStrictEqual(await messages(POLICY, [gateway(["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "DES-CBC3-SHA", "AES256-GCM-SHA384"])]), [
            `Gateway istio-system/spinnaker-gateway: spec.servers[0].tls.cipherSuites[1]: is 'ECDHE-RSA-AES128-SHA', not a forward-secret AEAD suite. ${FIX}`,
            `Gateway istio-system/spinnaker-gateway: spec.servers[0].tls.cipherSuites[2]: is 'DES-CBC3-SHA', not a forward-secret AEAD suite. ${FIX}`,
            `Gateway istio-system/spinnaker-gateway: spec.servers[0].tls.cipherSuites[3]: is 'AES256-GCM-SHA384', not a forward-secret AEAD suite. ${FIX}`,
        ]);
    });
});
