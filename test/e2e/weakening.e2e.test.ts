// The policy pack refuses a weakening of the program's code during `pulumi
// preview`, as a pull request's preview would (issue 12): the prod stack under
// the real Pulumi CLI 3.248.0, the real Kubernetes provider and cert-manager
// v1.21.2's own controller and webhook, after `pulumi up` (on a fresh stack's
// first preview many policies cannot run: values are unknown before the
// certificates exist).
//
// Each case edits the program in the test's temporary copy of the project
// (never the repository), runs `pulumi preview` with prod's pack config, and
// expects a non-zero exit with the refusing policy's name among the mandatory
// findings; then restores the file and `pulumi preview --expect-no-changes`
// passes. (clientAuth `want` through config is prod.e2e.test.ts's case.)
//
// As in prod.e2e.test.ts, the Node.js language host and the tls/random
// providers are this project's STAND-INS (the test prints which).
//
// Run: bash test/e2e/run.sh test/e2e/weakening.e2e.test.ts
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { CertManagerServing, NO_ACME_OVERRIDES, applyConfigOverrides, serveCertManager } from "./support/certManager";
import { policyFindings, PolicyFinding, REPO, standInNotice, StackRun, startStackRun } from "./support/stackRun";

const STACK = "prod";
/** Namespaces of what prod expects installed (the defaults of certManagerNamespace and istioRootNamespace). */
const USER_NAMESPACES = ["cert-manager", "istio-system"];

interface Weakening {
    what: string;
    /** File of the program, relative to the project. */
    file: string;
    /** The edit: exactly one occurrence of `from` in the file becomes `to`. */
    from: string;
    to: string;
    /** The policy that must refuse it (policies/, its `name`). */
    policy: string;
    /** The kind of object its findings must be about. */
    resourceType: RegExp;
}

const WEAKENINGS: Weakening[] = [
    {
        what: "a PERMISSIVE PeerAuthentication",
        file: "components/mesh/istioSpecs.ts",
        from: 'export const strictPeerAuthentication = (): PeerAuthenticationSpec => ({ mtls: { mode: "STRICT" } });',
        to: 'export const strictPeerAuthentication = (): PeerAuthenticationSpec => ({ mtls: { mode: "PERMISSIVE" } });',
        policy: "peer-authentication-strict",
        resourceType: /^kubernetes:security\.istio\.io\/v1:PeerAuthentication:/,
    },
    {
        what: "service Certificates without client auth",
        file: "components/certmanager/certificateSpec.ts",
        from: 'return key.algorithm === "RSA" ? ["digital signature", "key encipherment", "server auth", "client auth"] : ["digital signature", "server auth", "client auth"];',
        to: 'return key.algorithm === "RSA" ? ["digital signature", "key encipherment", "server auth"] : ["digital signature", "server auth"];',
        policy: "certificate-usages",
        resourceType: /^kubernetes:cert-manager\.io\/v1:Certificate:/,
    },
];

describe(`e2e: the policy pack refuses a weakened program during pulumi preview (${STACK})`, function () {
    this.timeout(1_800_000);
    let run: StackRun | undefined;
    let upDone = false;
    let certManager: CertManagerServing | undefined;

    before(async function () {
        console.log(`      ${standInNotice()}`);
        run = await startStackRun(STACK, USER_NAMESPACES);
        certManager = await serveCertManager(run.cluster, path.join(run.ws.dir, "cert-manager"));
        await applyConfigOverrides(run.ws, run.project, NO_ACME_OVERRIDES);
    });

    after(async function () {
        await certManager?.stop(this.currentTest?.state === "failed");
        await run?.stop();
    });

    it("pulumi up of the program as shipped passes every policy", async function () {
        const up = await run!.ws.ok(["up", "--yes", "--skip-preview", ...run!.policyArgs], run!.project, 1_200_000);
        assert.deepStrictEqual(policyFindings(up.stdout), []);
        // Every policy can run now: the baseline the weakened previews are judged against.
        const r = await run!.ws.ok(["preview", "--expect-no-changes", ...run!.policyArgs], run!.project);
        assert.deepStrictEqual(policyFindings(r.stdout), []);
        upDone = true;
    });

    for (const w of WEAKENINGS) {
        it(`refuses ${w.what} (${w.policy}), and the restored program previews clean`, async function () {
            assert.ok(upDone, "the up step failed");
            const file = path.join(run!.project, w.file);
            assert.ok(!fs.lstatSync(file).isSymbolicLink() && !path.relative(run!.project, fs.realpathSync(file)).startsWith(".."), `${file} is not the test's own copy`);
            const original = fs.readFileSync(file, "utf8");
            assert.strictEqual(original.split(w.from).length - 1, 1, `${w.file} no longer holds the line to weaken (exactly once): ${w.from}`);
            fs.writeFileSync(file, original.replace(w.from, w.to));
            let refused: PolicyFinding[] = [];
            try {
                const r = await run!.ws.run(["preview", ...run!.policyArgs], run!.project);
                const findings = policyFindings(r.stdout);
                console.log(`      mandatory findings: ${[...new Set(findings.filter((f) => f.level === "mandatory").map((f) => f.policy))].join(", ")}`);
                assert.notStrictEqual(r.code, 0, `preview accepted ${w.what}:\n${r.stdout}`);
                // The CLI marks the pack as failed under "Policies:" (the ❌ before its name).
                assert.match(r.stdout, /Policies:\s*\n\s*❌ spinnaker-mtls@v\d/, r.stdout);
                refused = findings.filter((f) => f.policy === w.policy);
                assert.ok(refused.length > 0, `${w.policy} is not among the findings: ${JSON.stringify(findings)}\n${r.stdout}`);
                assert.ok(refused.every((f) => f.level === "mandatory" && !f.couldNotRun), JSON.stringify(refused));
                // The policy's name is in the output next to the objects it refused.
                assert.ok(refused.every((f) => w.resourceType.test(f.resource)), `${w.policy} findings on: ${refused.map((f) => f.resource).join("; ")}`);
            } finally {
                fs.writeFileSync(file, original);
            }
            if (w.policy === "certificate-usages") {
                // Every service's Certificate was refused, not just one (Deck behind the ingress has none: issue 23;
                // the Go services' leaves are the program's, from the root, not cert-manager Certificates).
                const behindIngress = run!.config["spinnaker-mtls:ingressHost"] !== undefined;
                const goServices = ["dinghy", "terraformer"];
                for (const svc of (run!.config["spinnaker-mtls:services"] as string[]).filter((x) => !(behindIngress && x === "deck") && !goServices.includes(x))) {
                    assert.ok(refused.some((f) => new RegExp(`\\bspin-${svc}\\b`).test(f.resource)), `no ${w.policy} finding for ${svc}: ${refused.map((f) => f.resource).join("; ")}`);
                }
            }
            // The repository's own file was never touched (the edit was the copy's).
            assert.ok(fs.readFileSync(path.join(REPO, w.file), "utf8").includes(w.from), `the repository's ${w.file} changed`);
            // Restored: the program as shipped, nothing to change, nothing refused.
            const clean = await run!.ws.ok(["preview", "--expect-no-changes", ...run!.policyArgs], run!.project);
            assert.deepStrictEqual(policyFindings(clean.stdout), []);
        });
    }
});
