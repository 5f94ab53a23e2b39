// cert-manager's approver-policy (v0.28, upstream's own command, built by
// test/e2e/build/approver-policy/build.sh) with cert-manager v1.21's
// controller, its built-in approver turned off, on the throwaway API server:
// the setup docs/cert-manager-and-istio.md ("Who may issue") tells a user
// whose own cert-manager signs Spinnaker's certificates through a
// ClusterIssuer. The CertificateRequestPolicy is the one those docs describe:
// it selects the ClusterIssuer and Spinnaker's namespace, and allows exactly
// the names, usages and subject of prod's Certificates.
//
// What it proves (issue 20, item 1): every prod Certificate asked of that
// ClusterIssuer is approved by the policy and issued; a request in
// Spinnaker's namespace for a name the policy does not allow is denied; a
// request for a Spinnaker name from another namespace is left unapproved
// (no policy selects it, and nothing else approves) and never issued.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { stackRun, tempDir } from "../support/stacks";
import { opensslChain } from "../support/pki";
import { Cluster, startCluster, toolchainDir } from "./support/cluster";
import {
    Json, Obj, Proc, api, apply, certManagerBinary, certObj, condition, freePort, get, kubeObjects, objectPath, ofKind, secretObj, startController, startProc, startWebhook,
    stopProc, tail, waitCertificateReady, waitUntil,
} from "./support/certManager";

const CERT_MANAGER_NS = "cert-manager";
const SPINNAKER_NS = "spinnaker";
const INTRUDER_NS = "intruder";
/** The user's own ClusterIssuer, and the CA Secret it reads from cert-manager's cluster resource namespace. */
const CLUSTER_ISSUER = "org-spinnaker-ca";
const POLICY = "spinnaker-mtls";
const APPROVER = "policy.cert-manager.io";

function approverPolicyBinary(): string {
    const bin = process.env.E2E_APPROVER_POLICY_BIN;
    if (!bin || !fs.existsSync(bin)) throw new Error("E2E_APPROVER_POLICY_BIN is unset or missing: run through test/e2e/run.sh (it sources test/e2e/build/approver-policy/build.sh's env)");
    return bin;
}

/** The CertificateRequestPolicy docs/cert-manager-and-istio.md describes, for the given Certificates. */
function policyFor(certificates: Obj[]): Obj {
    const values = (f: (c: Obj) => string[]) => [...new Set(certificates.flatMap(f))].sort();
    return {
        apiVersion: "policy.cert-manager.io/v1alpha1",
        kind: "CertificateRequestPolicy",
        metadata: { name: POLICY },
        spec: {
            allowed: {
                commonName: { value: "spin-*" },
                dnsNames: { values: values((c) => c.spec.dnsNames), required: true },
                subject: { organizations: { values: values((c) => c.spec.subject?.organizations ?? []) } },
                usages: values((c) => c.spec.usages),
            },
            selector: {
                issuerRef: { name: CLUSTER_ISSUER, kind: "ClusterIssuer", group: "cert-manager.io" },
                namespace: { matchNames: [SPINNAKER_NS] },
            },
        },
    };
}

describe("e2e: approver-policy decides who gets a certificate from a ClusterIssuer (cert-manager's built-in approver off)", function () {
    this.timeout(900_000);
    const t = tempDir("approver-policy-e2e");
    let cluster: Cluster | undefined;
    let webhook: Proc | undefined;
    let controller: Proc | undefined;
    let approver: Proc | undefined;
    let certificates: Obj[] = [];
    const logs = () => `approver-policy log:\n${tail(approver?.log ?? "", 25)}\ncontroller log:\n${tail(controller?.log ?? "", 15)}`;

    /** The CertificateRequest cert-manager made for a Certificate, once it exists. */
    const requestOf = (c: Obj, until: (cr: Obj) => boolean, what: string): Promise<Obj> =>
        waitUntil(`${what} for ${c.metadata.namespace}/${c.metadata.name}`, 120_000, async () => {
            const list = JSON.parse((await api(cluster!, "GET", `/apis/cert-manager.io/v1/namespaces/${c.metadata.namespace}/certificaterequests`)).body) as { items: Obj[] };
            const cr = list.items.find((x) => x.metadata.annotations?.["cert-manager.io/certificate-name"] === c.metadata.name);
            return cr && until(cr) ? cr : undefined;
        }, logs);
    const ask = (name: string, namespace: string, dnsNames: string[]): Obj => {
        const orca = certificates.find((c) => c.metadata.name === "spin-orca")!;
        return { ...orca, metadata: { name, namespace }, spec: { ...orca.spec, secretName: `${name}-tls`, dnsNames } };
    };

    before(async function () {
        const tc = toolchainDir();
        if (!tc) throw new Error("E2E_TOOLCHAIN_DIR is unset or holds no kube-apiserver: run through test/e2e/run.sh (it sources test/e2e/build/toolchain/build.sh's env)");
        const cmBin = certManagerBinary();
        const apBin = approverPolicyBinary();
        // prod's Certificates of the program's CA, asked of the user's ClusterIssuer instead (their keystores
        // are not what this judges, and would need their password Secrets).
        const prod = await stackRun("prod");
        const caIssuer = ofKind(kubeObjects(prod), "Issuer").find((i) => i.spec.ca)!;
        certificates = ofKind(kubeObjects(prod), "Certificate")
            .filter((c) => c.spec.issuerRef.name === caIssuer.metadata.name && c.metadata.namespace === SPINNAKER_NS)
            .map((c) => ({ ...c, spec: { ...c.spec, keystores: undefined, issuerRef: { name: CLUSTER_ISSUER, kind: "ClusterIssuer", group: "cert-manager.io" } } }));
        assert.ok(certificates.length >= 10, `${certificates.length} Certificates`);

        cluster = await startCluster({ toolchainDir: tc, controllerManager: false, crds: true });
        for (const ns of [CERT_MANAGER_NS, SPINNAKER_NS, INTRUDER_NS]) await apply(cluster, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        webhook = await startWebhook(cluster, cmBin, CERT_MANAGER_NS, t.dir);

        const ca = opensslChain({ commonName: "Example Org Spinnaker CA" }).cas[0];
        await apply(cluster, { apiVersion: "v1", kind: "Secret", metadata: { name: CLUSTER_ISSUER, namespace: CERT_MANAGER_NS }, data: { "tls.crt": Buffer.from(ca.certPem).toString("base64"), "tls.key": Buffer.from(ca.keyPem).toString("base64") } } as Obj);
        await apply(cluster, { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: CLUSTER_ISSUER }, spec: { ca: { secretName: CLUSTER_ISSUER } } });
        await apply(cluster, policyFor(certificates));

        // approver-policy on 127.0.0.1 only: its webhook, readiness and no metrics listener.
        const [webhookPort, readyPort] = [await freePort(), await freePort()];
        approver = startProc(apBin, [
            `--kubeconfig=${cluster.kubeconfig}`,
            `--leader-election-namespace=${CERT_MANAGER_NS}`,
            "--metrics-bind-address=0",
            `--readiness-probe-bind-address=127.0.0.1:${readyPort}`,
            "--webhook-host=127.0.0.1",
            `--webhook-port=${webhookPort}`,
            `--webhook-ca-secret-namespace=${CERT_MANAGER_NS}`,
            "-v=2",
        ], path.join(t.dir, "approver-policy.log"));
        await waitUntil("the CertificateRequestPolicy Ready", 120_000, async () => {
            if (approver!.child.exitCode !== null) throw new Error(`approver-policy exited (${approver!.child.exitCode}):\n${logs()}`);
            const p = await get(cluster!, { apiVersion: "policy.cert-manager.io/v1alpha1", kind: "CertificateRequestPolicy", metadata: { name: POLICY } });
            return condition(p, "Ready")?.status === "True" ? p : undefined;
        }, logs);
        // The Helm chart's disableAutoApproval: approver-policy is the only approver.
        controller = startController(cluster, cmBin, CERT_MANAGER_NS, t.dir, ["--controllers=*,-certificaterequests-approver"]);
    });

    after(async () => {
        await stopProc(approver);
        await stopProc(controller);
        await stopProc(webhook);
        await cluster?.stop();
        t.remove();
    });

    it("the controller runs without its built-in approver", async () => {
        // The controller logs the controllers it started, once, as it starts them.
        const line = await waitUntil("the controller's list of enabled controllers", 60_000, async () => fs.readFileSync(controller!.log, "utf8").split("\n").find((l) => l.includes('"enabled controllers"')), logs);
        const enabled = /controllers="?\[([^\]]*)\]/.exec(line)?.[1] ?? "";
        // Positive control of the reading: the CA issuer's controller is listed.
        assert.ok(enabled.includes("certificaterequests-issuer-ca"), line);
        assert.ok(!enabled.includes("certificaterequests-approver"), line);
    });

    it("approves and issues every prod Certificate asked of the ClusterIssuer from Spinnaker's namespace", async () => {
        for (const c of certificates) await apply(cluster!, c);
        for (const c of certificates) {
            await waitCertificateReady(cluster!, c, controller!, logs);
            const cr = await requestOf(c, (x) => condition(x, "Approved")?.status === "True", "an approved CertificateRequest");
            assert.deepStrictEqual([condition(cr, "Approved")?.reason, condition(cr, "Approved")?.message], [APPROVER, `Approved by CertificateRequestPolicy: "${POLICY}"`], c.metadata.name);
        }
    });

    it("denies a request from Spinnaker's namespace for a name the policy does not allow, and issues nothing", async () => {
        const rogue = ask("spin-orca-login", SPINNAKER_NS, ["spin-orca.spinnaker.svc", "login.example.com"]);
        await apply(cluster!, rogue);
        const cr = await requestOf(rogue, (x) => condition(x, "Denied")?.status === "True", "a denied CertificateRequest");
        assert.strictEqual(condition(cr, "Denied")?.reason, APPROVER);
        assert.match(condition(cr, "Denied")?.message ?? "", new RegExp(`^No policy approved this request: \\[${POLICY}: .*spec\\.allowed\\.dnsNames\\.values.*login\\.example\\.com`));
        assert.strictEqual(condition(cr, "Approved"), undefined);
        assert.notStrictEqual(condition(await get(cluster!, certObj(rogue)), "Ready")?.status, "True");
        assert.strictEqual((await api(cluster!, "GET", objectPath(secretObj(rogue.spec.secretName, SPINNAKER_NS)))).status, 404);
    });

    it("leaves a request for a Spinnaker name from another namespace unapproved: no policy selects it, and the built-in approver is off", async () => {
        const intruder = ask("spin-orca", INTRUDER_NS, certificates.find((c) => c.metadata.name === "spin-orca")!.spec.dnsNames as string[]);
        await apply(cluster!, intruder);
        const cr = await requestOf(intruder, () => true, "a CertificateRequest");
        // approver-policy has judged it once it records its verdict: an Unprocessed event, nothing on the request.
        await waitUntil(`approver-policy's verdict on ${cr.metadata.name}`, 120_000, async () => {
            const events = JSON.parse((await api(cluster!, "GET", `/api/v1/namespaces/${INTRUDER_NS}/events`)).body) as { items: Json[] };
            return events.items.some((e) => e.involvedObject?.name === cr.metadata.name && e.reason === "Unprocessed") ? true : undefined;
        }, logs);
        await new Promise((r) => setTimeout(r, 5_000));
        const latest = await get(cluster!, { apiVersion: "cert-manager.io/v1", kind: "CertificateRequest", metadata: { name: cr.metadata.name, namespace: INTRUDER_NS } });
        assert.strictEqual(condition(latest, "Approved"), undefined, JSON.stringify(latest.status));
        assert.strictEqual(condition(latest, "Denied"), undefined, JSON.stringify(latest.status));
        assert.notStrictEqual(condition(await get(cluster!, certObj(intruder)), "Ready")?.status, "True");
        assert.strictEqual((await api(cluster!, "GET", objectPath(secretObj(intruder.spec.secretName, INTRUDER_NS)))).status, 404);
    });
});
