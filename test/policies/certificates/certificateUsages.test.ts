import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { certificate, tlsCa, tlsLeaf } from "./fixtures";

const POLICY = "certificate-usages";
const gateway = kube("networking.istio.io/v1", "Gateway", { name: "spinnaker-gateway", namespace: "istio-system" }, {
    spec: { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["spinnaker.example.com"], tls: { mode: "SIMPLE", credentialName: "spinnaker-ingress-tls" } }] },
});

describe("policy certificate-usages", () => {
    it("accepts service certificates for server and client auth, a CA, and a gateway certificate for server auth only", async () => {
        const ingress = certificate({ secretName: "spinnaker-ingress-tls", usages: ["digital signature", "server auth"], keystores: undefined }, "spinnaker-ingress", "istio-system");
        assert.deepStrictEqual(await messages(POLICY, [tlsLeaf(), tlsCa(), certificate(), certificate({ isCA: true, usages: ["cert sign"] }, "ca"), gateway, ingress]), []);
    });

    it("refuses a @pulumi/tls leaf without client_auth or server_auth", async () => {
        assert.deepStrictEqual(await messages(POLICY, [tlsLeaf({ allowedUses: ["digital_signature", "server_auth"] }), { ...tlsLeaf({ allowedUses: ["client_auth"] }), name: "other" }]), [
            "LocallySignedCert spin-gate-cert: allowedUses: lacks 'client_auth'. Fix: add 'client_auth' to allowedUses",
            "LocallySignedCert other: allowedUses: lacks 'server_auth'. Fix: add 'server_auth' to allowedUses",
        ]);
    });

    it("refuses a cert-manager Certificate without client auth, or with no usages at all", async () => {
        assert.deepStrictEqual(await messages(POLICY, [certificate({ usages: ["digital signature", "server auth"] }), certificate({ usages: undefined }, "spin-orca")]), [
            "Certificate spinnaker/spin-gate: spec.usages: lacks 'client auth'. Fix: list 'client auth' in spec.usages",
            "Certificate spinnaker/spin-orca: spec.usages: lacks 'server auth' (unset: cert-manager then requests no extended key usage). Fix: list 'server auth' in spec.usages",
            "Certificate spinnaker/spin-orca: spec.usages: lacks 'client auth' (unset: cert-manager then requests no extended key usage). Fix: list 'client auth' in spec.usages",
        ]);
    });

    it("exempts only the Secret a Gateway actually serves, in the Gateway's namespace", async () => {
        const elsewhere = certificate({ secretName: "spinnaker-ingress-tls", usages: ["server auth"], keystores: undefined }, "spinnaker-ingress", "spinnaker");
        assert.deepStrictEqual(await messages(POLICY, [gateway, elsewhere]), ["Certificate spinnaker/spinnaker-ingress: spec.usages: lacks 'client auth'. Fix: list 'client auth' in spec.usages"]);
    });
});
