// The GitHub workflow users run cannot run here; this keeps it honest: it
// parses, it previews and deploys the stacks that exist with the pack and the
// policy configs that exist, it installs what the pack loads before using it,
// and prod waits for dev, an approval and the promotion gate.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT_ROOT } from "../../engine/run";

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = { needs?: string | string[]; strategy?: { matrix?: { include?: Record<string, string>[] } }; steps: Step[]; environment?: unknown; if?: string };
type Workflow = { on: Record<string, unknown>; env: Record<string, string>; permissions: Record<string, string>; jobs: Record<string, Job> };

const FILE = path.join(PROJECT_ROOT, ".github", "workflows", "spinnaker-mtls.yml");
const workflow = YAML.parse(fs.readFileSync(FILE, "utf8")) as Workflow;
const lock = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
const scripts = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** A workflow string with `${{ matrix.x }}` and `${{ env.x }}` filled in. */
const expand = (text: string, matrix: Record<string, string>): string =>
    text.replace(/\$\{\{\s*(matrix|env)\.([\w-]+)\s*\}\}/g, (_m, scope: string, key: string) => {
        const v = scope === "matrix" ? matrix[key] : workflow.env[key];
        assert.ok(v !== undefined, `${scope}.${key} is not defined`);
        return v;
    });

const pulumiSteps = Object.entries(workflow.jobs).flatMap(([name, job]) => job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@")).map((step) => ({ name, job, step })));
const lines = (v: unknown) => String(v ?? "").split("\n").map((l) => l.trim()).filter(Boolean);

describe("GitHub workflow .github/workflows/spinnaker-mtls.yml", () => {
    it("previews every pull request, commenting on it, with write access to pull requests only", () => {
        assert.ok("pull_request" in workflow.on);
        assert.strictEqual(workflow.jobs.preview.if, "github.event_name == 'pull_request'");
        const previews = pulumiSteps.filter((p) => p.step.with?.command === "preview");
        assert.ok(previews.length > 0);
        for (const p of previews) assert.strictEqual(p.step.with!["comment-on-pr"], true);
        assert.deepStrictEqual(workflow.permissions, { contents: "read", "pull-requests": "write" });
    });

    it("previews both dev and prod, each a stack that exists", () => {
        const stacks = pulumiSteps.flatMap((p) => (p.job.strategy?.matrix?.include ?? [{}]).map((m) => expand(String(p.step.with!["stack-name"]), m)));
        for (const s of ["dev", "prod"]) assert.ok(stacks.includes(s), `no preview of ${s}`);
        for (const s of stacks) assert.ok(fs.existsSync(path.join(PROJECT_ROOT, `Pulumi.${s}.yaml`)), `Pulumi.${s}.yaml`);
    });

    it("runs the policy pack that exists, with the stack's own policy config, at every Pulumi step", () => {
        for (const { name, job, step } of pulumiSteps) {
            for (const m of job.strategy?.matrix?.include ?? [{}]) {
                const packs = lines(step.with!.policyPacks).map((l) => expand(l, m));
                const configs = lines(step.with!.policyPackConfigs).map((l) => expand(l, m));
                assert.deepStrictEqual(packs, ["policies"], name);
                assert.ok(fs.existsSync(path.join(PROJECT_ROOT, packs[0], "PulumiPolicy.yaml")), "policies/PulumiPolicy.yaml");
                assert.strictEqual(configs.length, packs.length, `${name}: one config per pack`);
                const stack = expand(String(step.with!["stack-name"]), m);
                assert.strictEqual(configs[0], `policies/config/${stack}.json`, name);
                assert.ok(fs.existsSync(path.join(PROJECT_ROOT, configs[0])), configs[0]);
            }
        }
    });

    it("installs the dependencies the program and the pack load before any Pulumi step, on the Node the project supports", () => {
        for (const { name, job, step } of pulumiSteps) {
            const before = job.steps.slice(0, job.steps.indexOf(step));
            assert.ok(before.some((s) => s.run?.trim() === "npm ci"), `${name}: npm ci before pulumi/actions`);
            const setup = before.find((s) => s.uses?.startsWith("actions/setup-node@"));
            assert.strictEqual(expand(String(setup?.with?.["node-version"]), {}), "20", name);
        }
    });

    it("pins the Pulumi CLI to the SDK version in the lockfile", () => {
        const sdk = lock.packages["node_modules/@pulumi/pulumi"].version;
        for (const { step } of pulumiSteps) assert.strictEqual(expand(String(step.with!["pulumi-version"]), {}), sdk);
    });

    it("deploys dev on a merge to main, then prod behind the prod environment's approval and the promotion gate", () => {
        assert.deepStrictEqual(workflow.on.push, { branches: ["main"] });
        const up = (job: string) => pulumiSteps.find((p) => p.name === job && p.step.with?.command === "up")!;
        assert.strictEqual(workflow.jobs["deploy-dev"].if, "github.event_name == 'push'");
        assert.strictEqual(workflow.jobs["deploy-dev"].environment, "dev");
        assert.strictEqual(up("deploy-dev").step.with!["stack-name"], "dev");
        const prod = workflow.jobs["deploy-prod"];
        assert.strictEqual(prod.if, "github.event_name == 'push'");
        assert.strictEqual(prod.needs, "deploy-dev");
        assert.strictEqual(prod.environment, "prod");
        assert.strictEqual(up("deploy-prod").step.with!["stack-name"], "prod");
        const gate = prod.steps.findIndex((s) => s.run?.trim() === "npm run promote -- dev prod");
        assert.ok(gate >= 0 && gate < prod.steps.indexOf(up("deploy-prod").step), "promote runs before pulumi up prod");
        assert.ok(scripts.promote);
    });

    it("uses only local actions that exist", () => {
        for (const job of Object.values(workflow.jobs)) {
            for (const step of job.steps.filter((s) => s.uses?.startsWith("./"))) {
                const action = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, step.uses!, "action.yml"), "utf8")) as { inputs: Record<string, unknown> };
                for (const input of Object.keys(step.with ?? {})) assert.ok(input in action.inputs, `${step.uses} has no input ${input}`);
            }
        }
    });

    it("gates previews on the offline check, whose commands exist", () => {
        const verifySteps = workflow.jobs.verify.steps.filter((s) => s.run?.startsWith("npm run verify"));
        assert.deepStrictEqual(verifySteps.map((s) => s.run), ["npm run verify -- --stack dev", "npm run verify -- --stack prod"]);
        assert.ok(scripts.verify);
        const needsVerify = (name: string): boolean => {
            const needs = [workflow.jobs[name].needs ?? []].flat();
            return needs.includes("verify") || needs.some(needsVerify);
        };
        for (const { name } of pulumiSteps) assert.ok(needsVerify(name), `${name} does not wait for the offline check`);
    });
});
