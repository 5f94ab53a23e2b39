// npm run certs: the certificate inventory, checked against OpenSSL's reading
// of the same certificates.
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT, StackExport } from "../../engine/run";
import { certificateInventory, formatInventory, needsAttention } from "../../tools/certs";
import { run, stackRun } from "../support/stacks";

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
        assert.deepStrictEqual(rows.map((r) => r.service), [...Object.keys(outputs).map((s) => `spin-${s}`), "spin-redis", "spinnaker-ca"].sort());
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
        const r = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", "tools/certs.ts", "--state", file], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120_000 });
        assert.strictEqual(r.status, 1, r.stdout + r.stderr);
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
        const ca = certificateInventory(exp).find((r) => r.service === "spinnaker-ca (imported)")!;
        assert.strictEqual(ca.status, "ok");
        assert.strictEqual(ca.key, "ECDSA P-256");
    });
});
