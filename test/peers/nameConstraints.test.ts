// What a CA's name constraints stop, in each consumer the stack's services
// use (issue 20, item 2; docs/configuration.md "Name constraints"): a leaf
// for a name outside the CA's permitted subtree (login.example.com), and one
// inside it, each verified by OpenSSL 3 (`openssl verify`, as Redis and Node
// verify), JSSE (test/peers/MtlsCheck.java, as the Java services do) and Go's
// crypto/x509 through armory/go-yaml-tools (as dinghy and terraformer do). The
// constraint sits either on the self-signed root (the trust anchor) or on an
// intermediate under an unconstrained root, or as the program writes it for
// every generated CA (components/pki/nameConstrainedCa.ts): on the root, and
// on the issuing CA under it that signs the leaves (pathLen 0), the store
// holding the root alone.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import * as YAML from "yaml";
import { describeOutcome, goCall, goPeerBin } from "../support/goPeer";
import { tempDir } from "../support/stacks";
import { constrainedIssuingCa, withNameConstraints } from "../../components/pki/nameConstrainedCa";

const CHECK = path.join(__dirname, "MtlsCheck.java");
const PERMITTED = "spinnaker.svc.cluster.local";
const INSIDE = `spin-orca.${PERMITTED}`;
const OUTSIDE = "login.example.com";

interface Pki {
    /** The file the verifier trusts: the root alone. */
    readonly rootFile: string;
    /** Per leaf name: its certificate (then any intermediate) and key files. */
    readonly leaves: Record<string, { chainFile: string; keyFile: string; p12: string }>;
}

/**
 * Where the constraint sits: written by OpenSSL on the root or on an
 * intermediate, or on the root as the program writes it (OpenSSL's root
 * without one, re-signed by withNameConstraints, as every generated CA is).
 */
type Constrained = "root" | "intermediate" | "program's root" | "program's issuing CA";

/** OpenSSL makes the CAs and leaves; the name constraint as `constrained` says. */
function makePki(dir: string, constrained: Constrained): Pki {
    const openssl = (args: string[]) => childProcess.execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const nc = `nameConstraints=critical,permitted;DNS:${PERMITTED}\n`;
    const ca = (extra: string) => `basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n${extra}`;
    const cnf = (name: string, cn: string, ext: string) => fs.writeFileSync(path.join(dir, `${name}.cnf`), `[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=${cn}\n[v3]\n${ext}`);
    const key = (name: string) => openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`]);
    const sign = (name: string, issuer: string) => {
        openssl(["req", "-new", "-key", `${name}.key`, "-config", `${name}.cnf`, "-out", `${name}.csr`]);
        openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.crt`, "-CAkey", `${issuer}.key`, "-CAcreateserial", "-days", "30", "-extfile", `${name}.cnf`, "-extensions", "v3", "-out", `${name}.crt`]);
    };
    key("root");
    cnf("root", "Root", ca(constrained === "root" ? nc : ""));
    openssl(["req", "-x509", "-new", "-key", "root.key", "-config", "root.cnf", "-extensions", "v3", "-days", "30", "-out", "root.crt"]);
    const programs = constrained === "program's root" || constrained === "program's issuing CA";
    const rootFile = path.join(dir, "root.crt");
    const rootKey = fs.readFileSync(path.join(dir, "root.key"), "utf8");
    if (programs) fs.writeFileSync(rootFile, withNameConstraints(fs.readFileSync(rootFile, "utf8"), rootKey, [PERMITTED]));
    let issuer = "root";
    if (constrained === "intermediate" || constrained === "program's issuing CA") {
        key("intermediate");
        cnf("intermediate", "Issuing CA", ca(constrained === "intermediate" ? nc : ""));
        sign("intermediate", "root");
        issuer = "intermediate";
    }
    if (constrained === "program's issuing CA") {
        const file = path.join(dir, "intermediate.crt");
        fs.writeFileSync(file, constrainedIssuingCa(fs.readFileSync(file, "utf8"), fs.readFileSync(rootFile, "utf8"), rootKey, [PERMITTED]));
    }
    const leaves: Pki["leaves"] = {};
    for (const name of [INSIDE, OUTSIDE]) {
        const id = name.split(".")[0];
        key(id);
        cnf(id, name, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:${name}\n`);
        sign(id, issuer);
        const chainFile = path.join(dir, `${id}-chain.pem`);
        fs.writeFileSync(chainFile, fs.readFileSync(path.join(dir, `${id}.crt`), "utf8") + (issuer === "intermediate" ? fs.readFileSync(path.join(dir, "intermediate.crt"), "utf8") : ""));
        openssl(["pkcs12", "-export", "-inkey", `${id}.key`, "-in", chainFile, "-out", `${id}.p12`, "-passout", "pass:changeit", "-name", id]);
        leaves[name] = { chainFile, keyFile: path.join(dir, `${id}.key`), p12: path.join(dir, `${id}.p12`) };
    }
    childProcess.execFileSync("keytool", ["-importcert", "-noprompt", "-alias", "root", "-file", "root.crt", "-keystore", "trust.p12", "-storetype", "PKCS12", "-storepass", "changeit"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    return { rootFile: path.join(dir, "root.crt"), leaves };
}

function opensslVerify(pki: Pki, name: string): { ok: boolean; out: string } {
    const [leaf, ...rest] = fs.readFileSync(pki.leaves[name].chainFile, "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
    const dir = path.dirname(pki.rootFile);
    fs.writeFileSync(path.join(dir, "leaf-only.pem"), leaf);
    fs.writeFileSync(path.join(dir, "untrusted.pem"), rest.join("") || leaf);
    const r = childProcess.spawnSync("openssl", ["verify", "-CAfile", pki.rootFile, "-untrusted", path.join(dir, "untrusted.pem"), path.join(dir, "leaf-only.pem")], { encoding: "utf8" });
    return { ok: r.status === 0, out: r.stdout + r.stderr };
}

function jsse(pki: Pki, name: string): { ok: boolean; out: string } {
    const trust = path.join(path.dirname(pki.rootFile), "trust.p12");
    const leaf = pki.leaves[name].p12;
    const r = childProcess.spawnSync("java", [CHECK, leaf, "changeit", trust, "changeit", leaf, "changeit", trust, "changeit", name], { encoding: "utf8", timeout: 120_000 });
    return { ok: r.status === 0, out: r.stdout + r.stderr };
}

/** go-yaml-tools' http client (the Go services'), trusting the root alone, calls an HTTPS server presenting the leaf and its chain. */
async function goYamlTools(bin: string, pki: Pki, name: string): Promise<{ ok: boolean; out: string }> {
    const dir = path.dirname(pki.rootFile);
    const configDir = path.join(dir, "config");
    fs.mkdirSync(configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, "terraformer-local.yml"), YAML.stringify({ http: { cacertFile: pki.rootFile } }));
    const server = https.createServer({ cert: fs.readFileSync(pki.leaves[name].chainFile), key: fs.readFileSync(pki.leaves[name].keyFile) }, (_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
        const port = (server.address() as { port: number }).port;
        const o = await goCall(bin, configDir, "terraformer", `https://${name}:${port}/health`, port);
        return { ok: o.code === 0, out: describeOutcome(o) };
    } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
    }
}

describe("name constraints: what each consumer enforces (OpenSSL 3, JSSE, go-yaml-tools' crypto/x509)", function () {
    this.timeout(20 * 60_000);
    let bin: string;
    before(() => {
        bin = goPeerBin();
    });

    for (const constrained of ["root", "intermediate", "program's root", "program's issuing CA"] as const) {
        describe(`the constraint on the ${constrained}`, () => {
            const t = tempDir(`name-constraints-${constrained.replace(/\W+/g, "-")}`);
            let pki: Pki;
            before(() => {
                pki = makePki(t.dir, constrained);
            });
            after(() => t.remove());

            it(`every consumer accepts a leaf inside the permitted subtree (${INSIDE}), the positive control`, async () => {
                for (const [who, r] of [["OpenSSL", opensslVerify(pki, INSIDE)], ["JSSE", jsse(pki, INSIDE)], ["go-yaml-tools", await goYamlTools(bin, pki, INSIDE)]] as const) {
                    assert.ok(r.ok, `${who}: ${r.out}`);
                }
            });

            it(`OpenSSL refuses a leaf for ${OUTSIDE}`, () => {
                const r = opensslVerify(pki, OUTSIDE);
                assert.strictEqual(r.ok, false, r.out);
                assert.match(r.out, /permitted subtree violation/);
            });

            it(`go-yaml-tools (Go's crypto/x509) refuses a leaf for ${OUTSIDE}`, async () => {
                const r = await goYamlTools(bin, pki, OUTSIDE);
                assert.strictEqual(r.ok, false, r.out);
                assert.match(r.out, /not permitted by any constraint/);
            });

            if (constrained === "intermediate" || constrained === "program's issuing CA") {
                it(`JSSE refuses a leaf for ${OUTSIDE} when the constraint is on an intermediate it does not trust as an anchor`, () => {
                    const r = jsse(pki, OUTSIDE);
                    assert.strictEqual(r.ok, false, r.out);
                    assert.match(r.out, /REFUSED/);
                });
            } else {
                it(`JSSE accepts a leaf for ${OUTSIDE} when the constraint is on the trust anchor: it builds its TrustAnchor without the certificate's name constraints`, () => {
                    const r = jsse(pki, OUTSIDE);
                    assert.strictEqual(r.ok, true, r.out);
                    assert.match(r.out, /^OK CN=login\.example\.com/);
                });
            }
        });
    }
});
