import * as assert from "assert";
import { Fixture, kube, messages } from "../../support/policyPack";
import { certificate } from "./fixtures";

const POLICY = "certificate-issuer";
const issuer = (name: string, namespace: string, spec: Record<string, unknown>): Fixture => kube("cert-manager.io/v1", "Issuer", { name, namespace }, { spec });
const ACME = { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "acme" }, solvers: [] } };
// As the program declares them: the CA Issuer in Spinnaker's namespace, ACME in the gateway's.
const ISSUERS = [
    issuer("spinnaker-mtls-ca", "spinnaker", { ca: { secretName: "spinnaker-mtls-ca" } }),
    issuer("spinnaker-mtls-selfsigned", "spinnaker", { selfSigned: {} }),
    issuer("spinnaker-mtls-acme", "istio-system", ACME),
    kube("cert-manager.io/v1", "ClusterIssuer", { name: "org-ca" }, { spec: { ca: { secretName: "org-ca" } } }),
];
const gateway = kube("networking.istio.io/v1", "Gateway", { name: "spinnaker-gateway", namespace: "istio-system" }, {
    spec: { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["spinnaker.example.com"], tls: { mode: "SIMPLE", credentialName: "spinnaker-ingress-tls" } }] },
});
const ref = (name: string, kind = "Issuer", group?: string) => ({ issuerRef: { name, kind, ...(group ? { group } : {}) } });
const KNOWN = "spinnaker/Issuer/spinnaker-mtls-ca, spinnaker/Issuer/spinnaker-mtls-selfsigned, istio-system/Issuer/spinnaker-mtls-acme, ClusterIssuer/org-ca";

describe("policy certificate-issuer", () => {
    it("accepts service certificates from the CA issuer, the gateway's from ACME, the CA from the self-signed issuer, a namespaced Issuer, and a listed external issuer", async () => {
        const ingress = certificate({ secretName: "spinnaker-ingress-tls", ...ref("spinnaker-mtls-acme") }, "spinnaker-ingress", "istio-system");
        const ca = certificate({ isCA: true, secretName: "spinnaker-mtls-ca", ...ref("spinnaker-mtls-selfsigned") }, "spinnaker-mtls-ca", "spinnaker");
        const external = certificate(ref("pca", "AWSPCAClusterIssuer", "awspca.cert-manager.io"), "spin-echo");
        const byClusterIssuer = certificate(ref("org-ca", "ClusterIssuer"), "spin-orca");
        assert.deepStrictEqual(
            await messages(POLICY, [...ISSUERS, gateway, certificate(), ingress, ca, byClusterIssuer, external], { [POLICY]: { externalIssuers: ["awspca.cert-manager.io/AWSPCAClusterIssuer/pca"] } }),
            [],
        );
    });

    it("refuses an issuer the stack does not declare: another ClusterIssuer, the CA's name as a ClusterIssuer, the CA Issuer from another namespace (kind left to its default), an external issuer not listed", async () => {
        const certs = [
            certificate(ref("someone-elses-ca", "ClusterIssuer")),
            certificate(ref("spinnaker-mtls-ca", "ClusterIssuer"), "spin-front50"),
            certificate({ issuerRef: { name: "spinnaker-mtls-ca" } }, "spin-orca", "intruder"),
            certificate(ref("pca", "AWSPCAClusterIssuer", "awspca.cert-manager.io"), "spin-echo"),
        ];
        const fix = (key: string) => `Fix: name one of the stack's issuers (${KNOWN}), or list '${key}' in the policy's externalIssuers`;
        assert.deepStrictEqual(await messages(POLICY, [...ISSUERS, ...certs]), [
            `Certificate spinnaker/spin-gate: spec.issuerRef: names ClusterIssuer/someone-elses-ca, which this stack does not declare, so whoever controls that name issues this certificate. ${fix("ClusterIssuer/someone-elses-ca")}`,
            `Certificate spinnaker/spin-front50: spec.issuerRef: names ClusterIssuer/spinnaker-mtls-ca, which this stack does not declare, so whoever controls that name issues this certificate. ${fix("ClusterIssuer/spinnaker-mtls-ca")}`,
            `Certificate intruder/spin-orca: spec.issuerRef: names intruder/Issuer/spinnaker-mtls-ca, which this stack does not declare, so whoever controls that name issues this certificate. ${fix("intruder/Issuer/spinnaker-mtls-ca")}`,
            `Certificate spinnaker/spin-echo: spec.issuerRef: names awspca.cert-manager.io/AWSPCAClusterIssuer/pca, which this stack does not declare, so whoever controls that name issues this certificate. ${fix("awspca.cert-manager.io/AWSPCAClusterIssuer/pca")}`,
        ]);
    });

    it("refuses a service certificate from the self-signed or the ACME issuer", async () => {
        const fix = "Fix: issue service certificates from the mesh CA issuer (spec.ca)";
        const orcaInGatewayNs = certificate(ref("spinnaker-mtls-acme"), "spin-orca", "istio-system");
        assert.deepStrictEqual(await messages(POLICY, [...ISSUERS, gateway, certificate(ref("spinnaker-mtls-selfsigned")), orcaInGatewayNs]), [
            `Certificate spinnaker/spin-gate: spec.issuerRef.name: is 'spinnaker-mtls-selfsigned' (Issuer), a self-signed certificate, which no peer trusts. ${fix}`,
            `Certificate istio-system/spin-orca: spec.issuerRef.name: is 'spinnaker-mtls-acme' (Issuer), a public ACME CA, which issues no client-auth certificate for cluster names. ${fix}`,
        ]);
    });
});
