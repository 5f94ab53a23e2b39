import * as assert from "assert";
import { Fixture, kube, messages } from "../../support/policyPack";
import { certificate } from "./fixtures";

const POLICY = "certificate-issuer";
const clusterIssuer = (name: string, spec: Record<string, unknown>): Fixture => kube("cert-manager.io/v1", "ClusterIssuer", { name }, { spec });
const ISSUERS = [
    clusterIssuer("spinnaker-mtls-ca", { ca: { secretName: "spinnaker-mtls-ca" } }),
    clusterIssuer("spinnaker-mtls-selfsigned", { selfSigned: {} }),
    clusterIssuer("spinnaker-mtls-acme", { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "acme" }, solvers: [] } }),
];
const gateway = kube("networking.istio.io/v1", "Gateway", { name: "spinnaker-gateway", namespace: "istio-system" }, {
    spec: { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["spinnaker.example.com"], tls: { mode: "SIMPLE", credentialName: "spinnaker-ingress-tls" } }] },
});
const ref = (name: string, kind = "ClusterIssuer", group?: string) => ({ issuerRef: { name, kind, ...(group ? { group } : {}) } });
const KNOWN = "ClusterIssuer/spinnaker-mtls-ca, ClusterIssuer/spinnaker-mtls-selfsigned, ClusterIssuer/spinnaker-mtls-acme";

describe("policy certificate-issuer", () => {
    it("accepts service certificates from the CA issuer, the gateway's from ACME, the CA from the self-signed issuer, a namespaced Issuer, and a listed external issuer", async () => {
        const ingress = certificate({ secretName: "spinnaker-ingress-tls", ...ref("spinnaker-mtls-acme") }, "spinnaker-ingress", "istio-system");
        const ca = certificate({ isCA: true, secretName: "spinnaker-mtls-ca", ...ref("spinnaker-mtls-selfsigned") }, "spinnaker-mtls-ca", "cert-manager");
        const local = kube("cert-manager.io/v1", "Issuer", { name: "team-ca", namespace: "spinnaker" }, { spec: { ca: { secretName: "team-ca" } } });
        const external = certificate(ref("pca", "AWSPCAClusterIssuer", "awspca.cert-manager.io"), "spin-echo");
        assert.deepStrictEqual(
            await messages(POLICY, [...ISSUERS, gateway, local, certificate(), ingress, ca, certificate(ref("team-ca", "Issuer"), "spin-orca"), external], { [POLICY]: { externalIssuers: ["awspca.cert-manager.io/AWSPCAClusterIssuer/pca"] } }),
            [],
        );
    });

    it("refuses an issuer the stack does not declare: another ClusterIssuer, an Issuer by the CA's name (kind left to its default), an external issuer not listed", async () => {
        const certs = [certificate(ref("someone-elses-ca")), certificate({ issuerRef: { name: "spinnaker-mtls-ca" } }, "spin-orca"), certificate(ref("pca", "AWSPCAClusterIssuer", "awspca.cert-manager.io"), "spin-echo")];
        const fix = (key: string) => `Fix: name one of the stack's issuers (${KNOWN}), or list '${key}' in the policy's externalIssuers`;
        assert.deepStrictEqual(await messages(POLICY, [...ISSUERS, ...certs]), [
            `Certificate spinnaker/spin-gate: spec.issuerRef: names ClusterIssuer/someone-elses-ca, which this stack does not declare, so whoever controls that name issues this certificate. ${fix("ClusterIssuer/someone-elses-ca")}`,
            `Certificate spinnaker/spin-orca: spec.issuerRef: names spinnaker/Issuer/spinnaker-mtls-ca, which this stack does not declare, so whoever controls that name issues this certificate. ${fix("spinnaker/Issuer/spinnaker-mtls-ca")}`,
            `Certificate spinnaker/spin-echo: spec.issuerRef: names awspca.cert-manager.io/AWSPCAClusterIssuer/pca, which this stack does not declare, so whoever controls that name issues this certificate. ${fix("awspca.cert-manager.io/AWSPCAClusterIssuer/pca")}`,
        ]);
    });

    it("refuses a service certificate from the self-signed or the ACME issuer", async () => {
        const fix = "Fix: issue service certificates from the mesh CA issuer (spec.ca)";
        assert.deepStrictEqual(await messages(POLICY, [...ISSUERS, gateway, certificate(ref("spinnaker-mtls-selfsigned")), certificate(ref("spinnaker-mtls-acme"), "spin-orca")]), [
            `Certificate spinnaker/spin-gate: spec.issuerRef.name: is 'spinnaker-mtls-selfsigned' (ClusterIssuer), a self-signed certificate, which no peer trusts. ${fix}`,
            `Certificate spinnaker/spin-orca: spec.issuerRef.name: is 'spinnaker-mtls-acme' (ClusterIssuer), a public ACME CA, which issues no client-auth certificate for cluster names. ${fix}`,
        ]);
    });
});
