// The generated CA's name constraints across the whole stack (issue 20,
// item 2), judged by OpenSSL's verifier, which enforces them: every leaf the
// dev stack issues verifies against the CA its stores hold, a leaf the CA's
// key signs for another name does not, and a change of the external names
// re-signs the CA without a failed handshake between old and new.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { permittedDnsNamesOf } from "../../../components/pki/nameConstrainedCa";
import { permittedDnsNames } from "../../../components/spinnakerMtls/permittedDnsNames";
import { unwrap } from "../../../engine/monitor";
import { RunResult } from "../../../engine/run";
import { ofType, run, serviceSecrets, stackRun, tempDir } from "../../support/stacks";

const blocks = (pem: string): string[] => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];

/** `openssl verify` of a leaf (then its chain) against a CA bundle. */
function verify(dir: string, caPem: string, chainPem: string): { ok: boolean; out: string } {
    const [leaf, ...rest] = blocks(chainPem);
    fs.writeFileSync(path.join(dir, "ca.pem"), caPem);
    fs.writeFileSync(path.join(dir, "leaf.pem"), leaf);
    fs.writeFileSync(path.join(dir, "untrusted.pem"), rest.join("") || leaf);
    const r = childProcess.spawnSync("openssl", ["verify", "-CAfile", "ca.pem", "-untrusted", "untrusted.pem", "leaf.pem"], { cwd: dir, encoding: "utf8" });
    return { ok: r.status === 0, out: r.stdout + r.stderr };
}

const caOf = (r: RunResult) => String(unwrap(r.stackOutputs.caCertificatePem));
const leaves = (r: RunResult) => [...serviceSecrets(r)].map(([service, f]) => [service, f.files["tls.crt"].toString("utf8")] as const);

describe("the generated CA's name constraints", function () {
    this.timeout(60_000);

    it("permits the namespace's Service subtrees, each Service's short names, and the external names outside them", () => {
        const names = permittedDnsNames({ namespace: "spin", externalNames: ["API.example.com", "spin-orca.spin.svc", "spin-redis-0.spin-redis-headless.spin.svc.cluster.local"] });
        for (const n of ["spin.svc", "spin.svc.cluster.local", "spin-orca", "spin-orca.spin", "spin-clouddriver-ro-deck", "spin-echo-worker.spin", "spin-gate-api", "spin-redis", "spin-redis-go.spin", "api.example.com"]) {
            assert.ok(names.includes(n), n);
        }
        // Inside a subtree already, or a wider form than a Service's own.
        for (const n of ["spin-orca.spin.svc", "spin-redis-0.spin-redis-headless.spin.svc.cluster.local", "spin", "svc", "API.example.com"]) assert.ok(!names.includes(n), n);
        assert.deepStrictEqual(names, [...names].sort());
    });

    describe("the dev stack", () => {
        let first: RunResult;
        const t = tempDir("ca-name-constraints");
        before(async () => {
            first = await stackRun("dev");
        });
        after(() => t.remove());

        it("its stores' CA carries the constraints, and OpenSSL verifies every leaf the stack issued against it", () => {
            const permitted = permittedDnsNamesOf(caOf(first));
            const ns = String(unwrap(first.stackOutputs.namespace));
            assert.ok(permitted && permitted.includes(`${ns}.svc.cluster.local`), String(permitted));
            assert.ok(leaves(first).length >= 10);
            for (const [service, chain] of leaves(first)) {
                const r = verify(t.dir, caOf(first), chain);
                assert.ok(r.ok, `${service}: ${r.out}`);
            }
        });

        it("OpenSSL refuses a leaf for login.example.com that the CA's own key signed", () => {
            const caKey = (unwrap(ofType(first, "tls:index/privateKey:PrivateKey").find((r) => r.urn.endsWith("::spinnaker-ca-key"))!.outputs) as { privateKeyPem: string }).privateKeyPem;
            const caCert = (unwrap(ofType(first, "tls:index/selfSignedCert:SelfSignedCert").find((r) => r.urn.endsWith("::spinnaker-ca-cert"))!.outputs) as { certPem: string }).certPem;
            fs.writeFileSync(path.join(t.dir, "signer.key"), caKey, { mode: 0o600 });
            fs.writeFileSync(path.join(t.dir, "signer.crt"), caCert);
            const openssl = (args: string[]) => childProcess.spawnSync("openssl", args, { cwd: t.dir, encoding: "utf8" });
            openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "rogue.key", "-subj", "/CN=login.example.com", "-out", "rogue.csr"]);
            fs.writeFileSync(path.join(t.dir, "rogue.ext"), "subjectAltName=DNS:login.example.com\nextendedKeyUsage=serverAuth,clientAuth\n");
            const signed = openssl(["x509", "-req", "-in", "rogue.csr", "-CA", "signer.crt", "-CAkey", "signer.key", "-set_serial", "9", "-days", "1", "-extfile", "rogue.ext", "-out", "rogue.crt"]);
            assert.strictEqual(signed.status, 0, signed.stderr);
            const rogue = fs.readFileSync(path.join(t.dir, "rogue.crt"), "utf8");
            const r = verify(t.dir, caOf(first), rogue);
            assert.strictEqual(r.ok, false, r.out);
            assert.match(r.out, /permitted subtree violation/);
            // The positive control: the provider's own certificate, without the extension, accepts it.
            assert.ok(verify(t.dir, caCert, rogue).ok);
        });

        it("every leaf carries the issuing CA, which carries the root's constraints and pathLen 0; OpenSSL refuses a leaf for login.example.com that the issuing CA's key (cert-manager's) signed, and takes one inside", () => {
            const issuing = [...new Set(leaves(first).map(([, chain]) => blocks(chain)[1]))];
            assert.strictEqual(issuing.length, 1, "one issuing CA for every leaf");
            assert.ok(issuing[0], "the leaves carry it");
            assert.deepStrictEqual(permittedDnsNamesOf(issuing[0]), permittedDnsNamesOf(caOf(first)));
            fs.writeFileSync(path.join(t.dir, "issuing.crt"), issuing[0]);
            const openssl = (args: string[]) => childProcess.spawnSync("openssl", args, { cwd: t.dir, encoding: "utf8" });
            const text = openssl(["x509", "-in", "issuing.crt", "-noout", "-text"]).stdout;
            assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0\n/);
            assert.match(text, /X509v3 Name Constraints: critical\n/);
            assert.ok(!issuing[0].includes(caOf(first).trim()), "not the root itself");
            const issuingKey = (unwrap(ofType(first, "tls:index/privateKey:PrivateKey").find((r) => r.urn.endsWith("::spinnaker-ca-issuing-key"))!.outputs) as { privateKeyPem: string }).privateKeyPem;
            fs.writeFileSync(path.join(t.dir, "issuing.key"), issuingKey, { mode: 0o600 });
            const sign = (id: string, name: string) => {
                openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${id}.key`, "-subj", `/CN=${name}`, "-out", `${id}.csr`]);
                fs.writeFileSync(path.join(t.dir, `${id}.ext`), `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth,clientAuth\n`);
                const signed = openssl(["x509", "-req", "-in", `${id}.csr`, "-CA", "issuing.crt", "-CAkey", "issuing.key", "-set_serial", "11", "-days", "1", "-extfile", `${id}.ext`, "-out", `${id}.crt`]);
                assert.strictEqual(signed.status, 0, signed.stderr);
                return fs.readFileSync(path.join(t.dir, `${id}.crt`), "utf8") + issuing[0];
            };
            const ns = String(unwrap(first.stackOutputs.namespace));
            const inside = verify(t.dir, caOf(first), sign("inside", `spin-orca.${ns}.svc.cluster.local`));
            assert.ok(inside.ok, inside.out);
            const outside = verify(t.dir, caOf(first), sign("rogue-issued", "login.example.com"));
            assert.strictEqual(outside.ok, false, outside.out);
            assert.match(outside.out, /permitted subtree violation/);
        });

        it("an external name (extraSans) re-signs the CA with the same key: no CA resource changes, every store updates, and old and new leaves verify against either CA", async () => {
            const second = await run({ stack: "dev", previous: first.export, config: { "spinnaker-mtls:extraSans": '["gate:api.example.com"]' } });
            const op = (suffix: string) => second.plan.find((s) => s.urn.endsWith(suffix))!.op;
            assert.deepStrictEqual([op("::spinnaker-ca-key"), op("::spinnaker-ca-cert")], ["same", "same"]);
            assert.ok(permittedDnsNamesOf(caOf(second))!.includes("api.example.com"));
            assert.ok(!permittedDnsNamesOf(caOf(first))!.includes("api.example.com"));
            const secrets = second.plan.filter((s) => s.type === "kubernetes:core/v1:Secret" && s.op !== "same").map((s) => s.urn.split("::").pop());
            for (const service of serviceSecrets(first).keys()) assert.ok(secrets.some((n) => n === `spin-${service}-secret`), service);
            for (const [caRun, leafRun] of [[first, second], [second, first], [second, second]] as const) {
                for (const [service, chain] of leaves(leafRun)) {
                    if (caRun === first && new crypto.X509Certificate(blocks(chain)[0]).subjectAltName?.includes("DNS:api.example.com")) continue;
                    const r = verify(t.dir, caOf(caRun), chain);
                    assert.ok(r.ok, `${service}: ${r.out}`);
                }
            }
            // Gate's new name is outside the old CA's constraints: its new leaf is for the new stores only.
            const gate = leaves(second).find(([s]) => s === "gate")![1];
            assert.match(verify(t.dir, caOf(first), gate).out, /permitted subtree violation/);
        });
    });
});
