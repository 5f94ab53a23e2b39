import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { certificate, tlsCa, tlsLeaf } from "./fixtures";

const POLICY = "certificate-service-not-ca";
const caIssuer = kube("cert-manager.io/v1", "ClusterIssuer", { name: "spinnaker-mtls-ca" }, { spec: { ca: { secretName: "spinnaker-mtls-ca" } } });
const FIX = "Fix: remove isCA (service certificates are leaves)";

describe("policy certificate-service-not-ca", () => {
    it("accepts leaves, the CA certificate behind a ClusterIssuer (in cert-manager's namespace) or an Issuer, and the tls provider's self-signed root", async () => {
        const ca = certificate({ isCA: true, secretName: "spinnaker-mtls-ca" }, "spinnaker-mtls-ca", "cert-manager");
        const teamIssuer = kube("cert-manager.io/v1", "Issuer", { name: "team", namespace: "spinnaker" }, { spec: { ca: { secretName: "team-ca" } } });
        const teamCa = certificate({ isCA: true, secretName: "team-ca" }, "team-ca");
        assert.deepStrictEqual(await messages(POLICY, [caIssuer, ca, teamIssuer, teamCa, certificate(), tlsLeaf(), tlsCa()]), []);
    });

    it("refuses isCA on a certificate no CA issuer signs with, including one holding the CA's Secret name in the wrong namespace", async () => {
        const misplaced = certificate({ isCA: true, secretName: "spinnaker-mtls-ca" }, "spinnaker-mtls-ca");
        assert.deepStrictEqual(await messages(POLICY, [caIssuer, certificate({ isCA: true }), misplaced]), [
            `Certificate spinnaker/spin-gate: spec.isCA: is true, but Secret spinnaker/spin-gate-tls backs no CA issuer: this certificate's key can sign any name its peers trust. ${FIX}`,
            `Certificate spinnaker/spinnaker-mtls-ca: spec.isCA: is true, but Secret spinnaker/spinnaker-mtls-ca backs no CA issuer: this certificate's key can sign any name its peers trust. ${FIX}`,
        ]);
    });

    it("refuses isCaCertificate on a @pulumi/tls service certificate", async () => {
        assert.deepStrictEqual(await messages(POLICY, [tlsLeaf({ isCaCertificate: true })]), [
            "LocallySignedCert spin-gate-cert: isCaCertificate: is true: this certificate's key can sign any name its peers trust. Fix: set isCaCertificate: false (only the self-signed root is a CA)",
        ]);
    });

    it("accepts the CertificateAuthority component's issuing CA, and refuses a CA named like it anywhere else or named otherwise inside the component", async () => {
        const component = { type: "spinnaker-mtls:pki:CertificateAuthority", name: "spinnaker-ca" };
        const issuing = { ...tlsLeaf({ isCaCertificate: true }), name: "spinnaker-ca-issuing-cert", parent: component };
        assert.deepStrictEqual(await messages(POLICY, [issuing]), []);
        const service = { type: "spinnaker-mtls:pki:ServiceCertificate", name: "spin-gate" };
        assert.deepStrictEqual(await messages(POLICY, [{ ...issuing, parent: service }, { ...tlsLeaf({ isCaCertificate: true }), parent: component }]), [
            "LocallySignedCert spinnaker-ca-issuing-cert: isCaCertificate: is true: this certificate's key can sign any name its peers trust. Fix: set isCaCertificate: false (only the self-signed root is a CA)",
            "LocallySignedCert spin-gate-cert: isCaCertificate: is true: this certificate's key can sign any name its peers trust. Fix: set isCaCertificate: false (only the self-signed root is a CA)",
        ]);
    });
});
