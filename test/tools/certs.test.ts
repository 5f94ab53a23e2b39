// npm run certs: the certificate inventory, checked against OpenSSL's reading
// of the same certificates.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { emulatorFor } from "../../engine/providers";
import { loadProject, loadStackConfig } from "../../engine/project";
import { PROJECT_ROOT, StackExport } from "../../engine/run";
import { IMPORTED_CA, IMPORTED_NEXT_CA, attentionLines, certificateInventory, formatInventory, importedCaWindowHours, needsAttention, parseCertsArgs, sourceLine } from "../../tools/certs";
import { run, stackRun } from "../support/stacks";

const HOUR = 3600_000;
/** `npm run certs -- args`, as its package.json line runs it; `input` is piped to its stdin. */
const certs = (args: string[], input?: string) =>
    spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", "tools/certs.ts", ...args], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 180_000, input });

/** A CA valid for `hours` from `now`, as an organisation would import it (caCertPem + caKeyPem). */
function importableCa(hours: number, now = new Date()): { certPem: string; keyPem: string } {
    const ctx = { name: "imported-ca", type: "t", now };
    const key = emulatorFor("tls:index/privateKey:PrivateKey")!.create({ algorithm: "ECDSA", ecdsaCurve: "P256" }, ctx).outputs;
    const cert = emulatorFor("tls:index/selfSignedCert:SelfSignedCert")!.create(
        { privateKeyPem: key.privateKeyPem, isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing"], subject: { commonName: "Imported CA" }, validityPeriodHours: hours },
        ctx,
    ).outputs;
    return { certPem: cert.certPem as string, keyPem: key.privateKeyPem as string };
}

/** An export as if the stack imported `caPem`: no CA certificate resource, the stack's output is the imported CA. */
function withImportedCa(exp: StackExport, caPem: string): StackExport {
    const copy = JSON.parse(JSON.stringify(exp)) as StackExport;
    copy.deployment.resources = copy.deployment.resources.filter((r) => r.type !== "tls:index/selfSignedCert:SelfSignedCert");
    copy.deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack")!.outputs.caCertificatePem = caPem;
    return copy;
}

/** A stack's leaf lifetime plus its renewal window, in hours, as its config sets them (Pulumi.yaml's defaults under the stack file's values). */
const leafSpanHours = (stack: string) => {
    const v = loadStackConfig(loadProject(PROJECT_ROOT), stack, stack === "dev" ? { clientAuth: "want" } : {}).values;
    return Number(v["spinnaker-mtls:certValidityHours"]) + Number(v["spinnaker-mtls:renewBeforeHours"]);
};

const DAY = 24 * 3600_000;
/** OpenSSL's notAfter for a PEM certificate. */
const opensslNotAfter = (pem: string) => new Date(execFileSync("openssl", ["x509", "-noout", "-enddate"], { input: pem, encoding: "utf8" }).trim().replace(/^notAfter=/, ""));
const certPemOf = (exp: StackExport, service: string) => exp.deployment.resources.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert" && r.parent?.endsWith(`::${service}`))!.outputs.certPem as string;

describe("npm run certs", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "certs-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("lists every certificate of dev: service, SANs, key, not-after and days left as OpenSSL reads them, and its Secret", async () => {
        const result = await stackRun("dev");
        const now = new Date();
        const rows = certificateInventory(result.export, now);
        const outputs = result.stackOutputs.serviceCertificates as Record<string, { dnsNames: string[]; secretName: string }>;
        assert.deepStrictEqual(rows.map((r) => r.service), [...Object.keys(outputs).map((s) => `spin-${s}`), "spin-redis", "spinnaker-ca", "spinnaker-ca issuing CA"].sort());
        for (const [service, out] of Object.entries(outputs)) {
            const row = rows.find((r) => r.service === `spin-${service}`)!;
            const notAfter = opensslNotAfter(certPemOf(result.export, `spin-${service}`));
            assert.deepStrictEqual(row.sans, out.dnsNames);
            assert.strictEqual(row.secret, `spinnaker-dev/${out.secretName}`);
            assert.strictEqual(row.key, "ECDSA P-256");
            assert.strictEqual(new Date(row.notAfter!).getTime(), notAfter.getTime());
            assert.strictEqual(row.daysLeft, Math.floor((notAfter.getTime() - now.getTime()) / DAY));
            assert.strictEqual(row.status, "ok");
        }
        assert.deepStrictEqual(needsAttention(rows), []);
        assert.match(formatInventory(rows), /^SERVICE\s+KEY\s+NOT AFTER\s+DAYS LEFT\s+STATUS\s+SECRET\s+SANS$/m);
    });

    it("exits 1 and names the certificates inside their renewal window", async () => {
        // Issued 25 days ago: dev's 30-day certificates have 5 days left, inside the 7-day window.
        const old = await run({ stack: "dev", now: new Date(Date.now() - 25 * DAY) });
        const file = path.join(dir, "dev-old.json");
        fs.writeFileSync(file, JSON.stringify(old.export));
        const r = certs(["--state", file]);
        assert.strictEqual(r.status, 1, r.stdout + r.stderr);
        // The engine's own export is a plan, and says so, even read with --state.
        assert.strictEqual(r.stdout.split("\n")[0], `stack dev, as planned: ${file} is an export of the offline engine (npm run offline), not of what is deployed`);
        const gate = r.stdout.split("\n").find((l) => l.startsWith("spin-gate "))!;
        const daysLeft = Math.floor((opensslNotAfter(certPemOf(old.export, "spin-gate")).getTime() - Date.now()) / DAY);
        assert.match(gate, new RegExp(`\\s${daysLeft}\\s+RENEW \\(window 168h\\)\\s+spinnaker-dev/spin-gate-tls\\s`));
        assert.match(r.stdout, /^11 certificate\(s\) inside the renewal window or expired: spin-clouddriver, .*spin-rosco\. Run pulumi up on the stack to re-issue them\.$/m);
        assert.doesNotMatch(r.stdout, /^spinnaker-ca .*RENEW/m, "the 10-year CA is not due");
    });

    it("reports an expired certificate as such", async () => {
        const old = await run({ stack: "dev", now: new Date(Date.now() - 31 * DAY) });
        const rows = certificateInventory(old.export);
        assert.strictEqual(rows.find((r) => r.service === "spin-orca")!.status, "expired");
        assert.ok(rows.find((r) => r.service === "spin-orca")!.daysLeft! < 0);
    });

    it("lists prod's cert-manager Certificates with their keys and Secrets, renewed in the cluster", async () => {
        const rows = certificateInventory((await stackRun("prod")).export);
        const gate = rows.find((r) => r.service === "spin-gate")!;
        assert.deepStrictEqual([gate.key, gate.status, gate.secret, gate.notAfter], ["ECDSA P-384", "cert-manager", "spinnaker/spin-gate-tls", undefined]);
        assert.ok(gate.sans.includes("spinnaker-api.example.com"));
        const ingress = rows.find((r) => r.service === "spinnaker-ingress")!;
        // The ingress key follows the stack's key settings, like every other key (prod: ECDSA P-384).
        assert.deepStrictEqual([ingress.key, ingress.secret, ingress.sans], [gate.key, "istio-system/spinnaker-ingress-tls", ["spinnaker.example.com"]]);
        assert.deepStrictEqual(needsAttention(rows), []);
    });

    it("reads an imported CA from the stack's output when no certificate resource issued it", async () => {
        const exp = JSON.parse(JSON.stringify((await stackRun("dev")).export)) as StackExport;
        exp.deployment.resources = exp.deployment.resources.filter((r) => r.type !== "tls:index/selfSignedCert:SelfSignedCert");
        const ca = certificateInventory(exp).find((r) => r.service === IMPORTED_CA)!;
        assert.strictEqual(ca.status, "ok");
        assert.strictEqual(ca.key, "ECDSA P-256");
    });

    it("during a CA rotation, lists both generated CAs by name, and an imported next CA as such", async () => {
        const none = await run({ stack: "dev" });
        const trustBoth = await run({ stack: "dev", config: { "spinnaker-mtls:caRotation": "trust-both" }, previous: none.export });
        const cas = certificateInventory(trustBoth.export).filter((r) => r.service.startsWith("spinnaker-ca"));
        assert.deepStrictEqual(cas.map((r) => r.service).sort(), ["spinnaker-ca", "spinnaker-ca issuing CA", "spinnaker-ca-g2", "spinnaker-ca-g2 issuing CA"]);
        const next = importableCa(24 * 365, new Date());
        const imported = await run({
            stack: "dev",
            config: { "spinnaker-mtls:caRotation": "trust-both", "spinnaker-mtls:caNextCertPem": next.certPem, "spinnaker-mtls:caNextKeyPem": next.keyPem },
            secretConfigKeys: ["spinnaker-mtls:caNextKeyPem"],
            previous: none.export,
        });
        const rows = certificateInventory(imported.export).filter((r) => r.service.startsWith("spinnaker-ca"));
        assert.deepStrictEqual(rows.map((r) => r.service).sort(), ["spinnaker-ca", "spinnaker-ca issuing CA", IMPORTED_NEXT_CA]);
        assert.strictEqual(rows.find((r) => r.service === IMPORTED_NEXT_CA)!.notAfter, new Date(new X509Certificate(next.certPem).validTo).toISOString().replace(/\.000Z$/, "Z"));
    });

    it("gives an imported CA its own renewal window: the stack's certificate lifetime plus its renewal window", async () => {
        const dev = (await stackRun("dev")).export;
        const prod = (await stackRun("prod")).export;
        // dev: the program's leaves (LocallySignedCert); prod: cert-manager's Certificates (spec.duration, spec.renewBefore).
        assert.strictEqual(importedCaWindowHours(dev.deployment.resources), leafSpanHours("dev"));
        assert.strictEqual(importedCaWindowHours(prod.deployment.resources), leafSpanHours("prod"));
        assert.notStrictEqual(leafSpanHours("dev"), leafSpanHours("prod"), "the two stacks tell the sources apart");
        // No leaf in the state (the otterize backend issues in the cluster): Pulumi.yaml's defaults.
        const defaults = loadProject(PROJECT_ROOT).config;
        assert.strictEqual(importedCaWindowHours([]), Number(defaults.certValidityHours.default) + Number(defaults.renewBeforeHours.default));

        const now = new Date();
        const window = leafSpanHours("dev");
        const rowFor = (hours: number, issued = now) => certificateInventory(withImportedCa(dev, importableCa(hours, issued).certPem), now).find((r) => r.service === IMPORTED_CA)!;
        assert.deepStrictEqual([rowFor(window + 48).status, rowFor(window + 48).renewBeforeHours], ["ok", window]);
        const due = rowFor(window - 48);
        assert.deepStrictEqual([due.status, due.renewBeforeHours], ["renew", window]);
        assert.match(formatInventory([due]), new RegExp(`RENEW \\(window ${window}h\\)`));
        assert.deepStrictEqual(attentionLines([due]), [
            `The imported CA is inside its renewal window (${window}h: the longest certificate lifetime plus its renewal window); pulumi up cannot renew it: ` +
                "renew or replace it, set caCertPem and caKeyPem to the new one (pulumi config set --secret caKeyPem < ca.key), then run pulumi up.",
        ]);
        const expired = rowFor(10, new Date(now.getTime() - 20 * HOUR));
        assert.strictEqual(expired.status, "expired");
        assert.match(attentionLines([expired])[0], /^The imported CA is expired; pulumi up cannot renew it: renew or replace it/);
    });

    it("says whether it lists what is deployed (a pulumi stack export, from a file or piped in) or what is planned", async () => {
        const exp = JSON.parse(JSON.stringify((await stackRun("dev")).export)) as StackExport;
        // What `pulumi stack export` writes as its manifest: the CLI's version, not the offline engine's mark.
        exp.deployment.manifest = { magic: "0123abcd", version: "v3.248.0" };
        const file = path.join(dir, "dev-deployed.json");
        fs.writeFileSync(file, JSON.stringify(exp));
        assert.strictEqual(sourceLine({ state: file }, exp), `stack dev, as deployed: ${file} (pulumi stack export)`);
        assert.strictEqual(
            sourceLine({ stack: "prod" }, exp),
            "stack prod, as planned: certificates the offline engine issues now, not the deployed ones (those: pulumi stack export --stack prod | npm run -s certs -- --state -)",
        );
        const piped = certs(["--state", "-"], JSON.stringify(exp));
        assert.strictEqual(piped.status, 0, piped.stderr);
        assert.strictEqual(piped.stdout.split("\n")[0], "stack dev, as deployed: standard input (pulumi stack export)");
        assert.match(piped.stdout, /^spin-gate\s+ECDSA P-256\s/m);
        const broken = certs(["--state", "-"], '{"version": 3, "deployment": {"resources": [');
        assert.strictEqual(broken.status, 2);
        assert.match(broken.stderr, /^standard input: the stack export is not valid JSON \(cut short\?\)/);
    });

    it("takes config like the other commands with --stack (a stack's secure values), and refuses it with --state", () => {
        assert.deepStrictEqual(parseCertsArgs(["--stack", "prod", "--config", "clientAuth=need"]), { stack: "prod", config: { clientAuth: "need" } });
        assert.throws(() => parseCertsArgs(["--state", "x.json", "--secret-file", "caKeyPem=ca.key"]), /^UsageError: --secret-file goes with --stack \(an export is not re-run\)\nusage: npm run certs/);
        const ca = importableCa(87600);
        const keyFile = path.join(dir, "ca.key");
        fs.writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
        const r = certs(["--stack", "dev", "--config", "clientAuth=want", "--secret-file", `caKeyPem=${keyFile}`, "--config", `caCertPem=${ca.certPem}`]);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /^stack dev, as planned: /);
        assert.match(r.stdout, /^spinnaker-ca \(imported\)\s+ECDSA P-256\s/m);
        const body = ca.keyPem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
        for (const line of body) assert.ok(!(r.stdout + r.stderr).includes(line), "a line of the CA key reached the output");
    });
});
