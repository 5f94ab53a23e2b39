import * as assert from "assert";
import { Fixture, kube, messages } from "../../support/policyPack";

const POLICY = "certificate-issuer-scope";
const clusterIssuer = (name: string, spec: Record<string, unknown>): Fixture => kube("cert-manager.io/v1", "ClusterIssuer", { name }, { spec });
const issuer = (name: string, namespace: string, spec: Record<string, unknown>): Fixture => kube("cert-manager.io/v1", "Issuer", { name, namespace }, { spec });
const CA = { ca: { secretName: "spinnaker-mtls-ca" } };
const ACME = { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "acme" }, solvers: [] } };
const requestPolicy = (name: string, selector: Record<string, unknown>): Fixture =>
    kube("policy.cert-manager.io/v1alpha1", "CertificateRequestPolicy", { name }, { spec: { allowed: { dnsNames: { values: ["spin-*.spinnaker.svc"] } }, selector } });
const FIX = (name: string) =>
    `Fix: use a namespaced Issuer in the namespace that needs it, or declare an approver-policy CertificateRequestPolicy whose spec.selector.issuerRef selects ClusterIssuer ${name} and whose spec.selector.namespace.matchNames lists the namespaces it serves (and run cert-manager with its built-in approver off); a policy managed elsewhere: list '${name}' in approvedClusterIssuers`;
const PROBLEM = "is a cluster-scoped issuer that any namespace may request from, and cert-manager's built-in approver approves every request, so anyone who may create a Certificate anywhere gets one signed by it";

describe("policy certificate-issuer-scope", () => {
    it("accepts namespaced Issuers, a self-signed ClusterIssuer, a ClusterIssuer a CertificateRequestPolicy limits to named namespaces or labels, and a listed one", async () => {
        const fixtures = [
            issuer("spinnaker-mtls-ca", "spinnaker", CA),
            issuer("spinnaker-mtls-acme", "istio-system", ACME),
            clusterIssuer("bootstrap", { selfSigned: {} }),
            clusterIssuer("org-ca", CA),
            requestPolicy("org-ca-spinnaker", { issuerRef: { name: "org-*", kind: "ClusterIssuer", group: "cert-manager.io" }, namespace: { matchNames: ["spinnaker"] } }),
            clusterIssuer("team-acme", ACME),
            requestPolicy("team-acme", { issuerRef: { name: "team-acme" }, namespace: { matchLabels: { "ingress.example/gateway": "true" } } }),
            clusterIssuer("vault", { vault: { server: "https://vault.example", path: "pki/sign/spinnaker", auth: {} } }),
        ];
        assert.deepStrictEqual(await messages(POLICY, fixtures, { [POLICY]: { approvedClusterIssuers: ["vault"] } }), []);
    });

    it("refuses a CA ClusterIssuer no policy limits", async () => {
        assert.deepStrictEqual(await messages(POLICY, [clusterIssuer("spinnaker-mtls-ca", CA)]), [`ClusterIssuer spinnaker-mtls-ca: spec.ca: ${PROBLEM}. ${FIX("spinnaker-mtls-ca")}`]);
    });

    it("refuses an ACME ClusterIssuer no policy limits", async () => {
        assert.deepStrictEqual(await messages(POLICY, [clusterIssuer("spinnaker-mtls-acme", ACME)]), [`ClusterIssuer spinnaker-mtls-acme: spec.acme: ${PROBLEM}. ${FIX("spinnaker-mtls-acme")}`]);
    });

    it("refuses a ClusterIssuer whose policy lets every namespace in (matchNames '*', or no namespace selector)", async () => {
        const fixtures = [
            clusterIssuer("org-ca", CA),
            requestPolicy("any-namespace", { issuerRef: { name: "org-ca" }, namespace: { matchNames: ["*"] } }),
            requestPolicy("no-namespace", { issuerRef: { name: "org-ca" } }),
        ];
        assert.deepStrictEqual(await messages(POLICY, fixtures), [`ClusterIssuer org-ca: spec.ca: ${PROBLEM}. ${FIX("org-ca")}`]);
    });

    it("refuses a ClusterIssuer whose only policy selects another issuer or kind", async () => {
        const fixtures = [
            clusterIssuer("org-ca", CA),
            requestPolicy("other-name", { issuerRef: { name: "team-ca" }, namespace: { matchNames: ["spinnaker"] } }),
            requestPolicy("issuers-only", { issuerRef: { name: "org-ca", kind: "Issuer" }, namespace: { matchNames: ["spinnaker"] } }),
        ];
        assert.deepStrictEqual(await messages(POLICY, fixtures), [`ClusterIssuer org-ca: spec.ca: ${PROBLEM}. ${FIX("org-ca")}`]);
    });
});
