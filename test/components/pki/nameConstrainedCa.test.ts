import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { constrainedIssuingCa, nameConstraintsValue, permittedDnsNamesOf, withNameConstraints } from "../../../components/pki/nameConstrainedCa";
import { tempDir } from "../../support/stacks";

// OpenSSL is the judge: it makes the CA (as a provider would, without the
// extension) and the leaves, reads the extension back and verifies the chains.
const openssl = (cwd: string, args: string[]) => childProcess.spawnSync("openssl", args, { cwd, encoding: "utf8" });

function makeCa(dir: string, keyAlgorithm: string[]): { certPem: string; keyPem: string } {
    assert.strictEqual(openssl(dir, ["genpkey", ...keyAlgorithm, "-out", "ca.key"]).status, 0);
    const made = openssl(dir, ["req", "-x509", "-new", "-key", "ca.key", "-subj", "/O=Example/CN=Spinnaker mTLS root CA", "-days", "30",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature", "-addext", "subjectKeyIdentifier=hash", "-out", "ca.crt"]);
    assert.strictEqual(made.status, 0, made.stderr);
    return { certPem: fs.readFileSync(path.join(dir, "ca.crt"), "utf8"), keyPem: fs.readFileSync(path.join(dir, "ca.key"), "utf8") };
}

/** A leaf for `san`, signed by the CA's key through the unconstrained certificate (as leaves issued before the change were). */
function leaf(dir: string, id: string, san: string): string {
    openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${id}.key`]);
    openssl(dir, ["req", "-new", "-key", `${id}.key`, "-subj", `/CN=${id}`, "-out", `${id}.csr`]);
    fs.writeFileSync(path.join(dir, `${id}.ext`), `basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${san}\n`);
    const signed = openssl(dir, ["x509", "-req", "-in", `${id}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "7", "-days", "1", "-extfile", `${id}.ext`, "-out", `${id}.crt`]);
    assert.strictEqual(signed.status, 0, signed.stderr);
    return `${id}.crt`;
}

const PERMITTED = ["spin-orca", "spin-orca.spinnaker", "spin-orca.spinnaker.svc", "spin-orca.spinnaker.svc.cluster.local", "spin-redis-0.spin-redis-headless.spinnaker.svc.cluster.local"];

describe("the name-constrained CA certificate", () => {
    for (const [label, algorithm] of [
        ["ECDSA P-256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]],
        ["ECDSA P-384", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]],
        ["RSA 2048", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]],
    ] as const) {
        it(`${label}: OpenSSL reads a critical extension with the permitted names and no IP address, and verifies leaves inside it only`, () => {
            const t = tempDir("name-constrained-ca");
            try {
                const ca = makeCa(t.dir, [...algorithm]);
                const pem = withNameConstraints(ca.certPem, ca.keyPem, PERMITTED);
                assert.strictEqual(withNameConstraints(ca.certPem, ca.keyPem, [...PERMITTED].reverse()), pem, "the same bytes for the same names");
                fs.writeFileSync(path.join(t.dir, "nc.crt"), pem);
                const text = openssl(t.dir, ["x509", "-in", "nc.crt", "-noout", "-text"]).stdout;
                assert.match(text, /X509v3 Name Constraints: critical\n\s+Permitted:\n((\s+DNS:\S+\n){5})\s+Excluded:\n\s+IP:0\.0\.0\.0\/0\.0\.0\.0\n\s+IP:0:0:0:0:0:0:0:0\/0:0:0:0:0:0:0:0\n/);
                for (const n of PERMITTED) assert.ok(text.includes(`DNS:${n}\n`), n);
                const original = new crypto.X509Certificate(ca.certPem);
                const constrained = new crypto.X509Certificate(pem);
                assert.strictEqual(constrained.subject, original.subject);
                assert.strictEqual(constrained.validTo, original.validTo);
                assert.notStrictEqual(constrained.serialNumber, original.serialNumber);
                assert.match(text, new RegExp(`X509v3 Subject Key Identifier: \\n\\s+${openssl(t.dir, ["x509", "-in", "ca.crt", "-noout", "-ext", "subjectKeyIdentifier"]).stdout.split("\n")[1].trim()}`));

                const verify = (file: string) => openssl(t.dir, ["verify", "-CAfile", "nc.crt", file]);
                assert.strictEqual(verify("nc.crt").status, 0, "its own signature");
                for (const [id, san] of [["inside", "DNS:spin-orca.spinnaker.svc"], ["short", "DNS:spin-orca"], ["pod", "DNS:spin-redis-0.spin-redis-headless.spinnaker.svc.cluster.local"]]) {
                    const r = verify(leaf(t.dir, id, san));
                    assert.strictEqual(r.status, 0, `${san}: ${r.stdout}${r.stderr}`);
                }
                const outside = verify(leaf(t.dir, "outside", "DNS:login.example.com"));
                assert.notStrictEqual(outside.status, 0);
                assert.match(outside.stdout + outside.stderr, /permitted subtree violation/);
                const ip = verify(leaf(t.dir, "ip", "DNS:spin-orca,IP:10.0.0.1"));
                assert.match(ip.stdout + ip.stderr, /excluded subtree violation/);
                // The positive control of the judge: the unconstrained certificate accepts the outside leaf.
                assert.strictEqual(openssl(t.dir, ["verify", "-CAfile", "ca.crt", "outside.crt"]).status, 0);
                assert.deepStrictEqual(permittedDnsNamesOf(pem), [...PERMITTED].sort());
                assert.strictEqual(permittedDnsNamesOf(ca.certPem), undefined);
            } finally {
                t.remove();
            }
        });
    }

    it("refuses a wildcard or an empty list, a certificate that is not a self-signed CA, a key that is not its own, and one already constrained", () => {
        assert.throws(() => nameConstraintsValue(["*.example.com"]), /"\*\.example\.com" cannot be a permitted DNS subtree: a host name of letters, digits, hyphens and dots, no wildcard/);
        assert.throws(() => nameConstraintsValue([]), /at least one permitted DNS name/);
        const t = tempDir("name-constrained-ca");
        try {
            const ca = makeCa(t.dir, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
            const other = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
            assert.throws(() => withNameConstraints(ca.certPem, other, PERMITTED), /the CA key does not match the CA certificate/);
            const leafPem = fs.readFileSync(path.join(t.dir, leaf(t.dir, "l", "DNS:spin-orca")), "utf8");
            assert.throws(() => withNameConstraints(leafPem, ca.keyPem, PERMITTED), /only a self-signed CA certificate/);
            const once = withNameConstraints(ca.certPem, ca.keyPem, PERMITTED);
            assert.throws(() => withNameConstraints(once, ca.keyPem, PERMITTED), /already carries name constraints/);
        } finally {
            t.remove();
        }
    });

    it("the issuing CA: re-signed by the root's key with the same constraints and pathLen 0, the same bytes for the same inputs; OpenSSL refuses a second CA under it", () => {
        const t = tempDir("name-constrained-issuing-ca");
        try {
            const root = makeCa(t.dir, ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
            const rootPem = withNameConstraints(root.certPem, root.keyPem, PERMITTED);
            fs.writeFileSync(path.join(t.dir, "root.crt"), rootPem);
            const ca = (id: string, issuer: string, issuerKey: string) => {
                openssl(t.dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${id}.key`]);
                openssl(t.dir, ["req", "-new", "-key", `${id}.key`, "-subj", `/CN=${id}`, "-out", `${id}.csr`]);
                fs.writeFileSync(path.join(t.dir, `${id}.ext`), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
                const signed = openssl(t.dir, ["x509", "-req", "-in", `${id}.csr`, "-CA", issuer, "-CAkey", issuerKey, "-set_serial", "5", "-days", "1", "-extfile", `${id}.ext`, "-out", `${id}.crt`]);
                assert.strictEqual(signed.status, 0, signed.stderr);
                return fs.readFileSync(path.join(t.dir, `${id}.crt`), "utf8");
            };
            const provider = ca("issuing", "root.crt", "ca.key");
            const issuing = constrainedIssuingCa(provider, rootPem, root.keyPem, PERMITTED);
            assert.strictEqual(constrainedIssuingCa(provider, rootPem, root.keyPem, [...PERMITTED].reverse()), issuing, "the same bytes for the same names");
            fs.writeFileSync(path.join(t.dir, "issuing.crt"), issuing);
            const text = openssl(t.dir, ["x509", "-in", "issuing.crt", "-noout", "-text"]).stdout;
            assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0\n/);
            assert.strictEqual((text.match(/Basic Constraints/g) ?? []).length, 1, "one basicConstraints, in place of the provider's");
            assert.deepStrictEqual(permittedDnsNamesOf(issuing), [...PERMITTED].sort());
            assert.strictEqual(new crypto.X509Certificate(issuing).subject, new crypto.X509Certificate(provider).subject);
            const verify = (file: string, untrusted: string) => openssl(t.dir, ["verify", "-CAfile", "root.crt", "-untrusted", untrusted, file]);
            assert.strictEqual(verify("issuing.crt", "issuing.crt").status, 0);
            // pathLen 0: a leaf under a CA the issuing CA signed is refused, where the provider's certificate (no pathLen) lets it through.
            const second = ca("second", "issuing.crt", "issuing.key");
            openssl(t.dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "deep.key"]);
            openssl(t.dir, ["req", "-new", "-key", "deep.key", "-subj", "/CN=spin-orca", "-out", "deep.csr"]);
            fs.writeFileSync(path.join(t.dir, "deep.ext"), "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:spin-orca\n");
            assert.strictEqual(openssl(t.dir, ["x509", "-req", "-in", "deep.csr", "-CA", "second.crt", "-CAkey", "second.key", "-set_serial", "6", "-days", "1", "-extfile", "deep.ext", "-out", "deep.crt"]).status, 0);
            fs.writeFileSync(path.join(t.dir, "through-provider.pem"), second + provider);
            fs.writeFileSync(path.join(t.dir, "through-issuing.pem"), second + issuing);
            assert.strictEqual(verify("deep.crt", "through-provider.pem").status, 0, "the positive control: without pathLen a second CA's leaf verifies");
            const refused = verify("deep.crt", "through-issuing.pem");
            assert.notStrictEqual(refused.status, 0);
            assert.match(refused.stdout + refused.stderr, /path length constraint exceeded/);

            const other = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
            assert.throws(() => constrainedIssuingCa(provider, rootPem, other, PERMITTED), /the root key does not match the root certificate/);
            assert.throws(() => constrainedIssuingCa(rootPem, rootPem, root.keyPem, PERMITTED), /already carries name constraints/);
            assert.throws(() => constrainedIssuingCa(fs.readFileSync(path.join(t.dir, leaf(t.dir, "l", "DNS:spin-orca")), "utf8"), rootPem, root.keyPem, PERMITTED), /not a CA certificate issued by the root/);
        } finally {
            t.remove();
        }
    });
});
