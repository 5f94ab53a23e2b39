// The move from the program's old ClusterIssuers to namespaced Issuers, as
// the plan of an existing stack shows it: the state is made by the program as
// it was before the move (commit BEFORE, run from git under the offline
// engine), and today's program is run over it. The real engine orders the
// steps: the Issuers first (the Certificates depend on them), the deletes of
// what the program no longer declares last.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT, PlanStep, RunResult, StackExport } from "../../../engine/run";
import { unwrap } from "../../../engine/monitor";
import { TEST_PASSPHRASE, run } from "../../support/stacks";

/** The last commit whose program declared the CA, self-signed and ACME ClusterIssuers. */
const BEFORE = "363836e";
const CERT_MANAGER = "kubernetes:cert-manager.io/v1:";

function stateBefore(dir: string): StackExport {
    try {
        execFileSync("git", ["cat-file", "-e", `${BEFORE}^{commit}`], { cwd: PROJECT_ROOT, stdio: "ignore" });
    } catch {
        throw new Error(`commit ${BEFORE} is not in this clone; the migration test runs the program as it was then (git fetch --unshallow)`);
    }
    const tree = path.join(dir, "before");
    fs.mkdirSync(tree);
    execFileSync("bash", ["-c", `git archive ${BEFORE} | tar -x -C "${tree}"`], { cwd: PROJECT_ROOT });
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(tree, "node_modules"));
    const out = path.join(dir, "before.json");
    execFileSync(process.execPath, [path.join(tree, "node_modules/ts-node/dist/bin.js"), "--transpile-only", "engine/cli.ts", "--stack", "prod", "--out", out], {
        cwd: tree,
        env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? TEST_PASSPHRASE, PULUMI_CONFIG_PASSPHRASE_FILE: "" },
        stdio: ["ignore", "ignore", "pipe"],
    });
    return JSON.parse(fs.readFileSync(out, "utf8")) as StackExport;
}

const nameOf = (step: PlanStep): string => step.urn.slice(step.urn.lastIndexOf("::") + 2);

describe("cert-manager issuers: an existing stack moves from ClusterIssuers to namespaced Issuers", function () {
    this.timeout(300_000);
    let dir: string;
    let old: StackExport;
    let moved: RunResult;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "issuer-migration-"));
        old = stateBefore(dir);
        moved = await run({ stack: "prod", previous: old });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("the state before the move holds the ClusterIssuers (the check can see them)", () => {
        const types = old.deployment.resources.map((r) => r.type);
        assert.strictEqual(types.filter((t) => t === `${CERT_MANAGER}ClusterIssuer`).length, 3, types.join("\n"));
    });

    it("every Certificate is updated in place (its issuerRef only, and Redis's headless-Service names): none is replaced or deleted, so no Secret a pod mounts is dropped", () => {
        // Not the move: since, the Go services' leaves come from the root in the program (go-yaml-tools presents
        // no chain, and cert-manager now gets only the issuing CA), into a Secret of their own name, so
        // terraformer's Certificate goes; its pods move to the new Secret in the same roll.
        const goMoved = (s: PlanStep) => s.op === "delete" && nameOf(s) === "spin-terraformer-certificate";
        assert.deepStrictEqual(moved.plan.filter((s) => s.type === `${CERT_MANAGER}Certificate` && goMoved(s)).length, 1, "terraformer's Certificate is deleted");
        const certs = moved.plan.filter((s) => s.type === `${CERT_MANAGER}Certificate` && !goMoved(s));
        assert.ok(certs.length >= 12, `${certs.length} Certificates`);
        assert.deepStrictEqual(certs.filter((s) => s.op !== "update").map((s) => `${s.op} ${nameOf(s)}`), []);
        const previous = new Map(old.deployment.resources.map((r) => [r.urn, r]));
        for (const step of certs) {
            const was = unwrap(previous.get(step.urn)!.inputs) as { spec: Record<string, unknown> };
            const now = unwrap(moved.resources.find((r) => r.urn === step.urn)!.inputs) as { spec: Record<string, unknown> };
            const changed = Object.keys({ ...was.spec, ...now.spec }).filter((k) => JSON.stringify(was.spec[k]) !== JSON.stringify(now.spec[k]));
            if (/^spin-redis/.test(nameOf(step))) {
                // The same change dropped the headless Service's names from Redis's certificates (no caller
                // dials them): names only leave, none arrive.
                assert.deepStrictEqual(changed, ["dnsNames", "issuerRef"], nameOf(step));
                const [was_, now_] = [was.spec.dnsNames as string[], now.spec.dnsNames as string[]];
                assert.deepStrictEqual(now_.filter((n) => !was_.includes(n)), [], nameOf(step));
                assert.ok(was_.filter((n) => !now_.includes(n)).every((n) => /-headless(\.|$)/.test(n) && !/-[0-9]+\./.test(n)), nameOf(step));
            } else {
                assert.deepStrictEqual(changed, ["issuerRef"], nameOf(step));
            }
        }
    });

    it("the namespaced Issuers and the CA Secret beside them are created; the ClusterIssuers and the CA Secret in cert-manager's namespace deleted; nothing else cert-manager touches changes", () => {
        const steps = moved.plan.filter((s) => s.op !== "same" && (s.type.startsWith(CERT_MANAGER) || s.type === "kubernetes:core/v1:Secret") && s.type !== `${CERT_MANAGER}Certificate`);
        assert.deepStrictEqual(steps.map((s) => `${s.op} ${s.type.split(":").pop()} ${nameOf(s)}`).sort(), [
            "create Issuer cert-manager-issuers-acme-istio-system",
            "create Issuer cert-manager-issuers-ca-spinnaker",
            // Not the move: since (issue 21) every service reads its CAs from the program's trust bundle, not
            // from cert-manager's ca.crt, and its argfile carries that bundle's truststore password (Halyard).
            "create Secret ca-trust-secret",
            "create Secret cert-manager-issuers-ca-secret-spinnaker",
            // Not the move: terraformer's root-signed Secret (above).
            "create Secret spin-terraformer-secret",
            "delete ClusterIssuer cert-manager-issuers-acme",
            "delete ClusterIssuer cert-manager-issuers-ca",
            "delete ClusterIssuer cert-manager-issuers-selfsigned",
            "delete Secret cert-manager-issuers-ca-secret",
            // Not the move: the CA gained name constraints since (nameConstrainedCa.ts), re-signed with the
            // same key, which the JVM-wide store now holds; every leaf chains to either certificate.
            "update Secret jvm-truststore-secret",
            ...["clouddriver", "echo", "fiat", "front50", "igor", "kayenta", "orca", "rosco"].map((svc) => `update Secret spin-${svc}-jvm-secret`),
        ]);
    });

    it("the CA itself is the same: every new leaf is trusted by every peer's unchanged trust store", () => {
        // The root's key and certificate stay; what is new is the issuing CA under it (which cert-manager now
        // signs with) and terraformer's leaf from the root, neither of which changes what a store trusts.
        assert.deepStrictEqual(moved.plan.filter((s) => s.type.startsWith("tls:") && s.op !== "same").map((s) => `${s.op} ${nameOf(s)}`).sort(), [
            "create spin-terraformer-cert",
            "create spin-terraformer-csr",
            "create spin-terraformer-key",
            "create spinnaker-ca-issuing-cert",
            "create spinnaker-ca-issuing-csr",
            "create spinnaker-ca-issuing-key",
        ]);
    });
});
