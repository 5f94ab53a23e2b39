// npm run render: `pulumi up` on the render-mode stack against a file backend
// chosen by environment variable. No Pulumi CLI here, so a stand-in on PATH
// records what the script runs and with which environment.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../engine/run";
import { LOCAL_BACKEND_DIR, renderPlan } from "../../tools/render";

const runRender = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "tools/render.ts", ...args], { cwd: PROJECT_ROOT, env, encoding: "utf8", timeout: 120_000 });

describe("npm run render", () => {
    it("plans pulumi up on the local stack, with the policy pack, against a file backend inside the project, for this run only", () => {
        const plan = renderPlan("local", { HOME: "/home/u" });
        assert.strictEqual(plan.env.PULUMI_BACKEND_URL, `file://${path.join(PROJECT_ROOT, ".pulumi-local")}`);
        assert.strictEqual(plan.env.PULUMI_CONFIG_PASSPHRASE, "");
        assert.strictEqual(plan.renderDir, path.join(PROJECT_ROOT, "out", "render", "local"));
        assert.deepStrictEqual(plan.commands, [
            ["pulumi", "stack", "select", "--create", "local", "--non-interactive"],
            ["pulumi", "up", "--stack", "local", "--yes", "--non-interactive", "--policy-pack", "policies", "--policy-pack-config", "policies/config/local.json"],
        ]);
        assert.ok(!plan.commands.some((c) => c.includes("login")), "never changes the user's login");
    });

    it("keeps a backend and passphrase the user chose", () => {
        const plan = renderPlan("local", { PULUMI_BACKEND_URL: "s3://state-bucket", PULUMI_CONFIG_PASSPHRASE_FILE: "/run/secrets/pass" });
        assert.strictEqual(plan.env.PULUMI_BACKEND_URL, "s3://state-bucket");
        assert.strictEqual(plan.env.PULUMI_CONFIG_PASSPHRASE, undefined);
    });

    it("refuses a stack that would deploy to a cluster", () => {
        assert.throws(() => renderPlan("prod", {}), /^Error: stack prod does not set spinnaker-mtls:renderYamlToDirectory: npm run render only renders manifests; deploy a stack to a cluster with pulumi up$/);
    });

    it("runs the plan with the CLI it finds, in order, with the backend in the environment", () => {
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
        const log = path.join(bin, "calls.jsonl");
        fs.writeFileSync(
            path.join(bin, "pulumi"),
            `#!${process.execPath}\nconst fs = require("fs");\nfs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), backend: process.env.PULUMI_BACKEND_URL, passphrase: process.env.PULUMI_CONFIG_PASSPHRASE }) + "\\n");\nif (process.argv[2] === "version") console.log("v3.248.0");\nif (process.argv[2] === "up") { fs.mkdirSync(${JSON.stringify(path.join(PROJECT_ROOT, "out", "render", "local", "1-manifest"))}, { recursive: true }); fs.writeFileSync(${JSON.stringify(path.join(PROJECT_ROOT, "out", "render", "local", "1-manifest", "render-test-secret.yaml"))}, "kind: Secret\\n", { mode: 0o644 }); }\n`,
            { mode: 0o755 },
        );
        const rendered = path.join(PROJECT_ROOT, "out", "render", "local", "1-manifest", "render-test-secret.yaml");
        const hadBackendDir = fs.existsSync(LOCAL_BACKEND_DIR);
        try {
            const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
            delete env.PULUMI_BACKEND_URL;
            delete env.PULUMI_CONFIG_PASSPHRASE;
            delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
            const r = runRender(env);
            assert.strictEqual(r.status, 0, r.stderr);
            const calls = fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { argv: string[]; backend: string; passphrase: string });
            assert.deepStrictEqual(calls.map((c) => c.argv[0] + " " + c.argv[1]), ["version undefined", "stack select", "up --stack"]);
            for (const c of calls) assert.deepStrictEqual([c.backend, c.passphrase], [`file://${LOCAL_BACKEND_DIR}`, ""]);
            // Progress for people on stderr; the result on stdout.
            assert.match(r.stderr, /^Pulumi v3\.248\.0, backend file:\/\/.*\.pulumi-local \(this run only\), stack local$/m);
            assert.match(r.stdout, /^\d+ manifests under out\/render\/local\/ /m);
            assert.strictEqual(fs.statSync(rendered).mode & 0o777, 0o600, "rendered Secrets are their owner's only");
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
            fs.rmSync(rendered, { force: true });
            if (!hadBackendDir) fs.rmSync(LOCAL_BACKEND_DIR, { recursive: true, force: true });
        }
    });

    it("exits 1 when pulumi up fails (a policy violation, for one), whatever code the CLI used", () => {
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
        fs.writeFileSync(path.join(bin, "pulumi"), `#!${process.execPath}\nif (process.argv[2] === "version") console.log("v3.248.0");\nif (process.argv[2] === "up") process.exit(255);\n`, { mode: 0o755 });
        const hadBackendDir = fs.existsSync(LOCAL_BACKEND_DIR);
        try {
            const r = runRender({ ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, PULUMI_BACKEND_URL: "file:///nonexistent-render-test" });
            assert.strictEqual(r.status, 1, r.stdout + r.stderr);
            assert.match(r.stderr, /^running: pulumi up --stack local /m);
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
            if (!hadBackendDir) fs.rmSync(LOCAL_BACKEND_DIR, { recursive: true, force: true });
        }
    });

    it("without the Pulumi CLI, says so and points to the offline check", () => {
        // node is started by its absolute path; nothing else is on PATH.
        const r = runRender({ ...process.env, PATH: "/nonexistent" });
        assert.strictEqual(r.status, 2, r.stdout + r.stderr);
        assert.match(r.stderr, /The Pulumi CLI is not installed[\s\S]*npm run verify -- --stack local/);
    });
});
