import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { dnsNameConstraints, inDnsSubtree } from "../../../policies/lib/x509";
import { Fixture, kube, messages } from "../../support/policyPack";
import { opensslChain } from "../../support/pki";
import { tempDir } from "../../support/stacks";
import { certificate } from "./fixtures";

const POLICY = "certificate-names-within-ca-constraints";
const CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n";
// An organisation's CA for Spinnaker: the subdomains of spinnaker.svc (leading dot), and spin-orca with its subdomains.
const CONSTRAINED = `${CA_EXT}nameConstraints=critical,permitted;DNS:.spinnaker.svc,permitted;DNS:spin-orca,excluded;DNS:secret.spinnaker.svc\n`;
const stack = (caCertificatePem: string): Fixture => ({ type: "pulumi:pulumi:Stack", name: "spinnaker-mtls-test", inputs: {}, outputs: { caCertificatePem } });
const csr = (name: string, dnsNames: string[]): Fixture => ({ type: "tls:index/certRequest:CertRequest", name, inputs: { dnsNames } });
/** The program's CA issuer in a namespace, with the Secret it reads (the stack's copy of its CA). */
const caIssuer = (namespace: string): Fixture[] => [
    kube("cert-manager.io/v1", "Issuer", { name: "spinnaker-mtls-ca", namespace }, { spec: { ca: { secretName: "spinnaker-mtls-ca" } } }),
    kube("v1", "Secret", { name: "spinnaker-mtls-ca", namespace }, { type: "kubernetes.io/tls" }),
];
const FIX =
    "Fix: issue only names the CA permits (a generated CA permits the stack's own names and its extraSans: docs/configuration.md, Name constraints), or import a CA whose constraints permit this name";
const outside = (ref: string, field: string, name: string, ca = "'CN=Org Spinnaker CA'") =>
    `${ref}: ${field}: holds '${name}', outside the name constraints of the CA ${ca}, so OpenSSL (Redis, Node) and Go's crypto/x509 refuse this certificate. ${FIX}`;

describe("policy certificate-names-within-ca-constraints", () => {
    const ca = opensslChain({ commonName: "Org Spinnaker CA", extensions: CONSTRAINED }).cas[0];

    it("reads the subtrees OpenSSL wrote, and matches names as OpenSSL's verifier does (positive control of the reader and the matcher)", () => {
        assert.deepStrictEqual(dnsNameConstraints(new crypto.X509Certificate(ca.certPem)), { permitted: [".spinnaker.svc", "spin-orca"], excluded: ["secret.spinnaker.svc"] });
        assert.strictEqual(dnsNameConstraints(new crypto.X509Certificate(opensslChain({ commonName: "Plain" }).cas[0].certPem)), undefined);
        const t = tempDir("names-within-constraints");
        try {
            fs.writeFileSync(path.join(t.dir, "ca.crt"), ca.certPem);
            fs.writeFileSync(path.join(t.dir, "ca.key"), ca.keyPem);
            const openssl = (args: string[]) => childProcess.spawnSync("openssl", args, { cwd: t.dir, encoding: "utf8" });
            for (const name of ["spin-orca", "x.spin-orca", "xspin-orca", "spin-orca.spinnaker.svc", "spinnaker.svc", "login.example.com"]) {
                openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "l.key", "-subj", "/CN=leaf", "-out", "l.csr"]);
                fs.writeFileSync(path.join(t.dir, "l.ext"), `subjectAltName=DNS:${name}\n`);
                assert.strictEqual(openssl(["x509", "-req", "-in", "l.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "3", "-days", "1", "-extfile", "l.ext", "-out", "l.crt"]).status, 0);
                const opensslAccepts = openssl(["verify", "-CAfile", "ca.crt", "l.crt"]).status === 0;
                const ruleAccepts = inDnsSubtree(name, ".spinnaker.svc") || inDnsSubtree(name, "spin-orca");
                assert.strictEqual(ruleAccepts, opensslAccepts, name);
            }
        } finally {
            t.remove();
        }
    });

    it("accepts leaves inside the constraints, an ACME-issued ingress certificate for a public host, any name under a CA without constraints, and a CA Certificate", async () => {
        const acmeIssuer = kube("cert-manager.io/v1", "Issuer", { name: "spinnaker-mtls-acme", namespace: "istio-system" }, { spec: { acme: { server: "https://acme-v02.api.letsencrypt.org/directory" } } });
        const ingress = certificate({ dnsNames: ["spinnaker.example.com"], issuerRef: { name: "spinnaker-mtls-acme", kind: "Issuer" } }, "spinnaker-ingress", "istio-system");
        // Another team's CA, whose Secret this stack does not write, issuing its own names.
        const otherCa = kube("cert-manager.io/v1", "ClusterIssuer", { name: "payments-ca" }, { spec: { ca: { secretName: "payments-ca" } } });
        const billing = certificate({ dnsNames: ["billing.payments.svc"], issuerRef: { name: "payments-ca", kind: "ClusterIssuer" } }, "billing", "payments");
        assert.deepStrictEqual(
            await messages(POLICY, [
                stack(ca.certPem),
                ...caIssuer("spinnaker"),
                csr("spin-orca-csr", ["spin-orca", "spin-orca.spinnaker.svc"]),
                certificate({ dnsNames: ["spin-echo.spinnaker.svc"] }, "spin-echo"),
                acmeIssuer,
                ingress,
                otherCa,
                billing,
                certificate({ isCA: true, dnsNames: ["anything.example.com"] }, "spinnaker-mtls-ca"),
            ]),
            [],
        );
        const plain = opensslChain({ commonName: "Plain" }).cas[0].certPem;
        assert.deepStrictEqual(await messages(POLICY, [stack(plain), csr("spin-orca-csr", ["login.example.com"])]), []);
    });

    it("refuses a CertRequest name outside the permitted subtrees", async () => {
        assert.deepStrictEqual(await messages(POLICY, [stack(ca.certPem), csr("spin-gate-csr", ["spin-gate.spinnaker.svc", "spin-gate"])]), [outside("CertRequest spin-gate-csr", "dnsNames", "spin-gate")]);
    });

    it("refuses a Certificate name inside an excluded subtree", async () => {
        assert.deepStrictEqual(await messages(POLICY, [stack(ca.certPem), ...caIssuer("spinnaker"), certificate({ dnsNames: ["secret.spinnaker.svc"] }, "spin-echo")]), [outside("Certificate spinnaker/spin-echo", "spec.dnsNames", "secret.spinnaker.svc")]);
    });

    it("refuses a CA-issued ingress certificate for a public host the CA does not permit", async () => {
        const ingress = certificate({ dnsNames: ["spinnaker.example.com"] }, "spinnaker-ingress", "istio-system");
        assert.deepStrictEqual(await messages(POLICY, [stack(ca.certPem), ...caIssuer("istio-system"), ingress]), [outside("Certificate istio-system/spinnaker-ingress", "spec.dnsNames", "spinnaker.example.com")]);
    });

    it("during a rotation, names the constrained CA of the two that refuses the name", async () => {
        const plain = opensslChain({ commonName: "Plain" }).cas[0].certPem;
        assert.deepStrictEqual(await messages(POLICY, [stack(plain + ca.certPem), csr("spin-orca-csr", ["login.example.com"])]), [outside("CertRequest spin-orca-csr", "dnsNames", "login.example.com")]);
    });
});
