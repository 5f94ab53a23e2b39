// The commands as a user runs them (each npm script's `ts-node --transpile-only
// <file>`, spawned): --help, the exit-code contract (0 ok, 1 the answer is
// no, 2 usage/config/input error), stdout for data and stderr for people,
// secrets that never reach the terminal, the passphrase rules, file modes.
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { emulatorFor } from "../../engine/providers";
import { PROJECT_ROOT, StackExport } from "../../engine/run";
import { policyConfigFor } from "../../engine/verify";
import { PASSPHRASE_MISSING } from "../../engine/secrets";
import { stackRun, tempDir } from "../support/stacks";

interface Ran {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

const SCRIPTS: Record<string, string> = {
    offline: "engine/cli.ts",
    verify: "engine/verify.ts",
    promote: "tools/promote.ts",
    certs: "tools/certs.ts",
    render: "tools/render.ts",
    bench: "bench/offline.ts",
    "bench:redis": "bench/redis.ts",
};

/** The environment without any passphrase: each test says which one it sets. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env = { ...process.env };
    delete env.PULUMI_CONFIG_PASSPHRASE;
    delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
    return { ...env, ...extra };
}

/** `npm run <script> -- args`, as its package.json line runs it (asynchronous, so independent runs overlap). */
function npmScript(script: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<Ran> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", SCRIPTS[script], ...args], { cwd: PROJECT_ROOT, env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

/** A CA the program accepts as imported (caCertPem + caKeyPem): ten years, ECDSA P-256. */
function importableCa(): { certPem: string; keyPem: string } {
    const now = new Date();
    const make = (type: string, inputs: Record<string, unknown>) => emulatorFor(type)!.create(inputs, { name: "test-ca", type, now }).outputs;
    const key = make("tls:index/privateKey:PrivateKey", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const cert = make("tls:index/selfSignedCert:SelfSignedCert", {
        privateKeyPem: key.privateKeyPem,
        isCaCertificate: true,
        allowedUses: ["cert_signing", "crl_signing"],
        subject: { commonName: "imported test CA" },
        validityPeriodHours: 87600,
    });
    return { certPem: cert.certPem as string, keyPem: key.privateKeyPem as string };
}

/** The base64 body lines of a PEM: any one of them in an output means the secret leaked. */
const pemBodyLines = (pem: string): string[] => pem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));

const assertNoSecret = (where: string, text: string, secretPem: string) => {
    for (const line of pemBodyLines(secretPem)) assert.ok(!text.includes(line), `${where} holds a line of the secret key`);
};

/** `npm run offline -- args`, synchronously, with this process's environment (its passphrase included). */
const offlineCli = (args: string[]) =>
    spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(PROJECT_ROOT, "engine/cli.ts"), ...args], { cwd: PROJECT_ROOT, encoding: "utf8" });
/** `npm run verify -- args` through npm itself, as a user types it. */
const npmVerify = (...args: string[]) => spawnSync("npm", ["run", "-s", "verify", "--", ...args], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 300_000 });

describe("the commands, as a user runs them", () => {
    let t: { dir: string; remove: () => void };
    let passFile: string;
    before(() => {
        t = tempDir("cli");
        passFile = path.join(t.dir, "passphrase");
        fs.writeFileSync(passFile, "correct horse battery staple\n", { mode: 0o600 });
    });
    after(() => t.remove());

    it("every command answers --help on stdout with usage, flags, examples and the exit codes, and exits 0", async () => {
        const runs = await Promise.all(Object.keys(SCRIPTS).map(async (s) => [s, await npmScript(s, s === "promote" ? ["dev", "prod", "--help"] : ["--help"])] as const));
        for (const [script, r] of runs) {
            assert.strictEqual(r.status, 0, `${script}: ${r.stderr}`);
            assert.match(r.stdout, /^usage: npm run /, script);
            assert.match(r.stdout, /\nFlags:\n {2}\S/, script);
            assert.match(r.stdout, /\nExamples:\n {2}.*npm run /, script);
            assert.match(r.stdout, /\nExit codes:\n {2}0 {2}ok\n[\s\S]* {2}2 {2}usage, config or input error/, script);
        }
    });

    it("bench and bench:redis refuse an argument that is not a count, with exit 2 and the usage", async () => {
        for (const script of ["bench", "bench:redis"]) {
            const r = await npmScript(script, ["fast"]);
            assert.strictEqual(r.status, 2, script);
            assert.match(r.stderr, /got "fast"\nusage: npm run bench/);
        }
    });

    describe("offline", () => {
        const ca = importableCa();
        let exportFile: string;

        it("refuses to encrypt under a passphrase nobody chose: exit 2 before any work, no file written", async () => {
            const out = path.join(t.dir, "never.json");
            const r = await npmScript("offline", ["--stack", "dev", "--out", out]);
            assert.strictEqual(r.status, 2);
            assert.strictEqual(r.stderr.trim(), PASSPHRASE_MISSING);
            assert.ok(!fs.existsSync(out));
        });

        it("imports a CA as the docs show, both by file, and never shows the key: stdout is the export alone, encrypted; progress and summary on stderr", async () => {
            const keyFile = path.join(t.dir, "ca.key");
            fs.writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
            const certFile = path.join(t.dir, "ca.crt");
            fs.writeFileSync(certFile, ca.certPem);
            const r = await npmScript("offline", ["--stack", "dev", "--config-file", "caCertPem=" + certFile, "--secret-file", "caKeyPem=" + keyFile], cleanEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: passFile }));
            assert.strictEqual(r.status, 0, r.stderr);
            const exp = JSON.parse(r.stdout) as StackExport;
            assert.strictEqual(exp.version, 3);
            assertNoSecret("stdout (the export)", r.stdout, ca.keyPem);
            assertNoSecret("stderr", r.stderr, ca.keyPem);
            // The imported CA is the one given: the stack exports its certificate.
            const stack = exp.deployment.resources.find((x) => x.type === "pulumi:pulumi:Stack")!;
            // (as `pulumi config set caCertPem < ca.crt`, the file's one trailing newline is not part of the value)
            assert.strictEqual(stack.outputs.caCertificatePem, ca.certPem.replace(/\n$/, ""));
            const lines = r.stderr.trim().split("\n");
            assert.match(lines[0], /^dev: running index\.ts under the offline engine$/);
            assert.match(r.stderr, /^dev: \d+ resources registered in [0-9.]+ s$/m);
            assert.strictEqual(lines[lines.length - 1], `Resources: ${exp.deployment.resources.length} to create (${exp.deployment.resources.length} in stack dev)`);
            exportFile = path.join(t.dir, "dev.json");
            fs.writeFileSync(exportFile, r.stdout);
        });

        it("counts the stack after the update in the summary: removed services are deletes, not in the stack", async () => {
            const out = path.join(t.dir, "dev-two-services.json");
            const r = await npmScript(
                "offline",
                ["--stack", "dev", "--state", exportFile, "--secret-env", "caKeyPem=CA_KEY_FOR_TEST", "--config", "caCertPem=" + ca.certPem, "--config", 'services=["gate","deck"]', "--out", out],
                cleanEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: passFile, CA_KEY_FOR_TEST: ca.keyPem }),
            );
            assert.strictEqual(r.status, 0, r.stderr);
            assert.strictEqual(r.stdout, "", "with --out, stdout stays empty");
            const after = (JSON.parse(fs.readFileSync(out, "utf8")) as StackExport).deployment.resources.length;
            const before = (JSON.parse(fs.readFileSync(exportFile, "utf8")) as StackExport).deployment.resources.length;
            const m = /^Resources: (.*) \((\d+) in stack dev\)$/m.exec(r.stderr)!;
            assert.ok(m, r.stderr);
            assert.strictEqual(Number(m[2]), after);
            const deletes = Number(/(\d+) to delete/.exec(m[1])![1]);
            assert.ok(after < before && deletes > 0, `${before} -> ${after}, ${deletes} deleted`);
            assert.match(r.stderr, /^ {2}delete {3}kubernetes:core\/v1:Secret {2}spin-orca-secret$/m);
            assert.doesNotMatch(r.stderr, /is an export of stack/, "the stack's own state draws no warning");
            assert.strictEqual(fs.statSync(out).mode & 0o777, 0o600);
            assertNoSecret("stderr", r.stderr, ca.keyPem);
        });

        it("says it cannot decrypt previous state under a wrong passphrase (exit 2), naming the file, before the run", async () => {
            const r = await npmScript("offline", ["--stack", "dev", "--state", exportFile, "--out", path.join(t.dir, "x.json")], cleanEnv({ PULUMI_CONFIG_PASSPHRASE: "not the one" }));
            assert.strictEqual(r.status, 2);
            assert.strictEqual(r.stderr.trim(), `${exportFile}: cannot decrypt the export's secrets: wrong PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)?`);
        });

        it("warns on stderr when --state holds another stack: its URNs are that stack's, so the plan deletes all of it", async () => {
            const r = await npmScript("offline", ["--stack", "prod", "--state", exportFile, "--show-secrets", "--out", path.join(t.dir, "prod-over-dev.json")], cleanEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: passFile }));
            assert.strictEqual(r.status, 0, r.stderr);
            const held = (JSON.parse(fs.readFileSync(exportFile, "utf8")) as StackExport).deployment.resources.length;
            assert.match(
                r.stderr,
                new RegExp(`^warning: ${exportFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is an export of stack dev, not prod: its URNs name dev, so the plan deletes all ${held} of its resources and creates prod's afresh; give --state an export of prod, or none$`, "m"),
            );
            // What the warning announces: every resource of dev is a delete.
            assert.match(r.stderr, new RegExp(`^Resources: \\d+ to create, ${held} to delete \\(\\d+ in stack prod\\)$`, "m"));
        });

        it("names the target, not a temporary file, when --out cannot be written; a path through a file is refused before the run", async () => {
            const aFile = path.join(t.dir, "a-file");
            fs.writeFileSync(aFile, "");
            const through = path.join(aFile, "dev.json");
            const refused = await npmScript("offline", ["--stack", "dev", "--show-secrets", "--out", through]);
            assert.strictEqual(refused.status, 2);
            assert.strictEqual(refused.stderr.split("\n").filter((l) => !l.startsWith("warning: --show-secrets")).join("\n").trim(), `${through}: cannot write it: ${aFile} is a file, not a folder`);
            const folder = await npmScript("offline", ["--stack", "dev", "--show-secrets", "--out", t.dir]);
            assert.strictEqual(folder.status, 2);
            assert.match(folder.stderr, new RegExp(`^${t.dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: cannot write it: it is a folder$`, "m"));
            // sysfs takes no new file, even from root (EACCES; EROFS where it is mounted read-only).
            const sysfs = "/sys/spinnaker-mtls-cli-test.json";
            const denied = await npmScript("offline", ["--stack", "dev", "--show-secrets", "--out", sysfs]);
            assert.strictEqual(denied.status, 2);
            assert.match(denied.stderr, /^\/sys\/spinnaker-mtls-cli-test\.json: cannot write it: (permission denied: this user may not create files in \/sys|\/sys is on a read-only file system)$/m);
            assert.doesNotMatch(denied.stderr, /\.tmp/);
        });

        it("hides a secret's value in a config error too: a key that does not match its certificate", async () => {
            const other = importableCa();
            const keyFile = path.join(t.dir, "other.key");
            fs.writeFileSync(keyFile, other.keyPem, { mode: 0o600 });
            const r = await npmScript("offline", ["--stack", "dev", "--secret-file", "caKeyPem=" + keyFile, "--config", "caCertPem=" + ca.certPem], cleanEnv({ PULUMI_CONFIG_PASSPHRASE: "" }));
            assert.strictEqual(r.status, 2);
            assert.match(r.stderr, /spinnaker-mtls:caKeyPem \(secret value hidden\) does not match the public key of spinnaker-mtls:caCertPem/);
            assertNoSecret("stderr", r.stderr, other.keyPem);
            assertNoSecret("stdout", r.stdout, other.keyPem);
        });

        it("reports every config problem at once (types and values), applies keys without the project prefix, writes nothing", async () => {
            const out = path.join(t.dir, "bad.json");
            const r = await npmScript("offline", ["--stack", "dev", "--config", "renewBeforeHours=soon", "--config", "clientAuth=maybe", "--out", out], cleanEnv({ PULUMI_CONFIG_PASSPHRASE: "" }));
            assert.strictEqual(r.status, 2, r.stderr);
            assert.match(r.stderr, /--config: spinnaker-mtls:renewBeforeHours is "soon", but Pulumi\.yaml declares it integer/);
            assert.match(r.stderr, /spinnaker-mtls:clientAuth is "maybe"; allowed: want, need/);
            assert.ok(!fs.existsSync(out));
        });

        it("keeps what the program prints (pulumi.log.info, console.log) off stdout: stdout is the export alone", async () => {
            const project = path.join(t.dir, "stdout-probe");
            fs.mkdirSync(project);
            fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(project, "node_modules"));
            fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: stdout-probe\nruntime: nodejs\n");
            fs.writeFileSync(path.join(project, "Pulumi.probe.yaml"), "");
            fs.writeFileSync(path.join(project, "index.ts"), 'import * as pulumi from "@pulumi/pulumi";\npulumi.log.info("a note for people");\nconsole.log("printed by the program");\nexport const answer = 42;\n');
            const r = await npmScript("offline", ["--stack", "probe", "--project", project, "--show-secrets"]);
            assert.strictEqual(r.status, 0, r.stderr);
            const exp = JSON.parse(r.stdout) as StackExport;
            assert.strictEqual(exp.deployment.resources.find((x) => x.type === "pulumi:pulumi:Stack")!.outputs.answer, 42);
            assert.match(r.stderr, /^info: \[runtime\] a note for people$/m);
            assert.match(r.stderr, /^printed by the program$/m);
        });

        it("writes --show-secrets exports readable by their owner only, even over a file that was not, and warns", async () => {
            const out = path.join(t.dir, "floor.json");
            fs.writeFileSync(out, "{}", { mode: 0o644 });
            const r = await npmScript("offline", ["--stack", "bench", "--project", "bench/floor", "--show-secrets", "--out", out]);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stderr, /^warning: --show-secrets: private keys and passwords are written in plain text to .*floor\.json \(mode 0600\)/m);
            assert.strictEqual(fs.statSync(out).mode & 0o777, 0o600);
            assert.match(fs.readFileSync(out, "utf8"), /"plaintext": /);
        });

        it("names the file when the previous state is empty, cut short or not an export", async () => {
            const cases: [string, RegExp][] = [
                ["", /the stack export is empty/],
                ['{"version": 3, "deployment": {"resources": [', /the stack export is not valid JSON \(cut short\?\)/],
                ["{}", /not a version 3 stack export \(pulumi stack export, or npm run offline\): its version is undefined, not 3/],
            ];
            const runs = await Promise.all(
                cases.map(([content], i) => {
                    const file = path.join(t.dir, `state-${i}.json`);
                    fs.writeFileSync(file, content);
                    return npmScript("offline", ["--stack", "dev", "--state", file], cleanEnv({ PULUMI_CONFIG_PASSPHRASE: "" })).then((r) => [file, r] as const);
                }),
            );
            runs.forEach(([file, r], i) => {
                assert.strictEqual(r.status, 2, r.stderr);
                assert.ok(r.stderr.startsWith(`${file}: `), r.stderr);
                assert.match(r.stderr, cases[i][1]);
            });
        });
    });

    describe("offline: the command line", () => {
        it("exits non-zero on invalid stack config, prints the problem, writes nothing", () => {
            const t = tempDir("offline-cli");
            try {
                const out = path.join(t.dir, "export.json");
                const r = offlineCli(["--stack", "dev", "--config", "spinnaker-mtls:clientAuth=maybe", "--out", out]);
                assert.strictEqual(r.status, 2, r.stderr);
                assert.match(r.stderr, /spinnaker-mtls:clientAuth is "maybe"; allowed: want, need/);
                assert.ok(!fs.existsSync(out));
            } finally {
                t.remove();
            }
        });

        it("writes an export, then reports nothing changed given it back; --show-secrets puts plaintext in the envelopes", () => {
            const t = tempDir("offline-cli");
            try {
                const first = path.join(t.dir, "not-yet-there", "first.json");
                const r1 = offlineCli(["--stack", "prod", "--out", first, "--show-secrets"]);
                assert.strictEqual(r1.status, 0, r1.stderr);
                assert.match(fs.readFileSync(first, "utf8"), /"plaintext": "\\"-----BEGIN EC PRIVATE KEY-----/);
                const r2 = offlineCli(["--stack", "prod", "--state", first, "--out", path.join(t.dir, "second.json")]);
                assert.strictEqual(r2.status, 0, r2.stderr);
                assert.match(r2.stderr, /^Resources: (\d+) to same \(\1 in stack prod\)$/m);
            } finally {
                t.remove();
            }
        });

        it("refuses an unknown argument with the usage", () => {
            const r = offlineCli(["--stack", "dev", "--bogus"]);
            assert.strictEqual(r.status, 2);
            assert.match(r.stderr, /unknown argument "--bogus"\nusage: npm run offline/);
        });
    });

    describe("verify, certs, promote, render: exit codes", () => {
        it("as a command: prints the table and exits 1 on a mandatory violation; exits 2 on bad arguments or config", async () => {
            const exp = (await stackRun("prod")).export;
            const broken = JSON.parse(JSON.stringify(exp)) as StackExport;
            const pa = broken.deployment.resources.find((r) => r.type.endsWith(":PeerAuthentication"))!;
            for (const o of [pa.inputs, pa.outputs]) ((o.spec as Record<string, Record<string, string>>).mtls.mode = "PERMISSIVE");
            const file = path.join(t.dir, "prod-broken.json");
            fs.writeFileSync(file, JSON.stringify(broken));
            const r = npmVerify("--state", file, "--policy-config", policyConfigFor("prod"));
            assert.strictEqual(r.status, 1, r.stdout + r.stderr);
            const lines = r.stdout.split("\n");
            assert.match(lines[1], /^POLICY\s+LEVEL\s+RESOURCE\s+MESSAGE$/);
            assert.ok(lines.some((l) => /^peer-authentication-strict\s+mandatory\s+istio-peer-authentication\s+PeerAuthentication spinnaker\/default: spec\.mtls\.mode: is 'PERMISSIVE'/.test(l)), r.stdout);
            assert.match(r.stdout, /^\d+ mandatory, 0 advisory$/m);

            const usage = npmVerify("--stack");
            assert.strictEqual(usage.status, 2);
            assert.match(usage.stderr, /--stack needs a value/);
            const typo = path.join(t.dir, "typo.json");
            fs.writeFileSync(typo, '{"peer-authentication-strickt": "advisory"}');
            const bad = npmVerify("--state", file, "--policy-config", typo);
            assert.strictEqual(bad.status, 2);
            assert.match(bad.stderr, /no policy named "peer-authentication-strickt" in pack spinnaker-mtls/);
        });

        it("verify --state takes the policy config of the stack named in the export, decrypts with the passphrase, exits 0", async () => {
            const exportFile = path.join(t.dir, "dev.json");
            const r = await npmScript("verify", ["--state", exportFile], cleanEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: passFile }));
            assert.strictEqual(r.status, 0, r.stdout + r.stderr);
            assert.match(r.stdout, /^stack dev: \d+ resources, \d+ Kubernetes objects schema-checked, policy pack spinnaker-mtls@[^,]+, config policies\/config\/dev\.json$/m);
            assert.doesNotMatch(r.stdout, /could not be decrypted/);
            assert.match(r.stderr, /^starting the policy pack/m);
        });

        it("verify --state with a wrong or missing passphrase says it cannot decrypt (exit 2), and reports no violations", async () => {
            const exportFile = path.join(t.dir, "dev.json");
            const [wrong, missing] = await Promise.all([
                npmScript("verify", ["--state", exportFile], cleanEnv({ PULUMI_CONFIG_PASSPHRASE: "not the one" })),
                npmScript("verify", ["--state", exportFile]),
            ]);
            assert.strictEqual(wrong.status, 2);
            assert.strictEqual(wrong.stderr.trim(), `${exportFile}: cannot decrypt the export's secrets: wrong PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)?`);
            assert.strictEqual(missing.status, 2);
            assert.strictEqual(missing.stderr.trim(), `${exportFile}: cannot decrypt the export's secrets: ${PASSPHRASE_MISSING}`);
            for (const r of [wrong, missing]) assert.strictEqual(r.stdout, "");
        });

        it("verify names a policy config that is not JSON (exit 2)", async () => {
            const broken = path.join(t.dir, "broken-policy.json");
            fs.writeFileSync(broken, '{"peer-authentication-strict": ');
            const r = await npmScript("verify", ["--state", path.join(t.dir, "dev.json"), "--policy-config", broken], cleanEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: passFile }));
            assert.strictEqual(r.status, 2);
            assert.ok(r.stderr.startsWith(`${broken}: the policy config is not valid JSON (cut short?)`), r.stderr);
        });

        it("certs: 0 for fresh certificates, 2 with the file named for an export that is not one (no JavaScript error)", async () => {
            const empty = path.join(t.dir, "empty-object.json");
            fs.writeFileSync(empty, "{}");
            const [ok, bad] = await Promise.all([npmScript("certs", ["--state", path.join(t.dir, "dev.json")]), npmScript("certs", ["--state", empty])]);
            assert.strictEqual(ok.status, 0, ok.stderr);
            assert.match(ok.stdout, /^stack dev, as planned: .*dev\.json is an export of the offline engine \(npm run offline\), not of what is deployed\nSERVICE\s+KEY\s+NOT AFTER/);
            assert.match(ok.stdout, /^spinnaker-ca \(imported\)\s+ECDSA P-256\s/m);
            assert.strictEqual(bad.status, 2);
            assert.strictEqual(bad.stderr.trim(), `${empty}: not a version 3 stack export (pulumi stack export, or npm run offline): its version is undefined, not 3`);
            assert.doesNotMatch(bad.stderr, /TypeError|Cannot read properties/);
        });

        it("verify and promote read the config before the policy pack starts: a config error costs no pack start", async () => {
            const [verify, promote] = await Promise.all([
                npmScript("verify", ["--stack", "dev", "--config", "clientauth=need", "--config", "spinnaker-mtl:namespace=spinnaker-x"]),
                npmScript("promote", ["dev", "prod", "--config", "prod:clientAuth=maybe"]),
            ]);
            assert.strictEqual(verify.status, 2, verify.stderr);
            assert.match(verify.stderr, /^ {2}- spinnaker-mtls:clientauth is not a known key \(its value "need" is not read\); did you mean spinnaker-mtls:clientAuth\?$/m);
            assert.match(
                verify.stderr,
                /^warning: --config: spinnaker-mtl:namespace is read by nothing: its prefix spinnaker-mtl is neither this project's \(spinnaker-mtls\) nor a provider's \(kubernetes, pulumi, random, tls\); did you mean spinnaker-mtls:namespace\?$/m,
            );
            assert.strictEqual(promote.status, 2, promote.stderr);
            assert.match(promote.stdout, /^The policy checks did not run: fix the stack config first\.\n\nREFUSED: dev is not promoted to prod:\n {2}- prod: invalid stack config: spinnaker-mtls:clientAuth is "maybe"; allowed: want, need$/m);
            for (const r of [verify, promote]) assert.doesNotMatch(r.stderr, /starting the policy pack/);
            assert.strictEqual(verify.stdout, "");
        });

        it("verify names the policy config file, the property and its value; a property no policy declares is refused", async () => {
            const file = path.join(t.dir, "unknown-property.json");
            fs.writeFileSync(file, JSON.stringify({ "peer-authentication-coverage": { meshRequired: "no", meshRequird: false } }));
            const r = await npmScript("verify", ["--state", path.join(t.dir, "dev.json"), "--policy-config", file], cleanEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: passFile }));
            assert.strictEqual(r.status, 2, r.stdout + r.stderr);
            const message = r.stderr.slice(r.stderr.indexOf(`${file}: `)).trim();
            assert.match(message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: does not fit the policy pack's schemas:\n`));
            assert.match(message, /^ {2}peer-authentication-coverage\.meshRequird is not a property of peer-authentication-coverage; its properties: .*\bmeshRequired\b/m);
            assert.match(message, /^ {2}peer-authentication-coverage\.meshRequired is "no"; it must be boolean$/m);
            assert.strictEqual(r.stdout, "");
        });

        it("names a file this user may not read, and says so in words (never a bare EACCES)", async function () {
            // Root reads any file by its mode; a write-only sysfs attribute refuses even root.
            let unreadable: string | undefined;
            if (process.getuid?.() !== 0) {
                unreadable = path.join(t.dir, "unreadable.json");
                fs.writeFileSync(unreadable, "{}", { mode: 0o000 });
            } else {
                const bus = fs.existsSync("/sys/bus") ? fs.readdirSync("/sys/bus").find((b) => fs.existsSync(`/sys/bus/${b}/drivers_probe`)) : undefined;
                unreadable = bus && `/sys/bus/${bus}/drivers_probe`;
            }
            // Never skipped: without a file this user cannot read, the test cannot judge the message, and says so.
            assert.ok(unreadable, "no file this user cannot read: as root, a write-only sysfs attribute (/sys/bus/*/drivers_probe) is needed");
            const [certs, secret] = await Promise.all([
                npmScript("certs", ["--state", unreadable!]),
                npmScript("verify", ["--stack", "dev", "--secret-file", `caKeyPem=${unreadable}`]),
            ]);
            const words = "permission denied: this user may not read it (check its mode and its folders')";
            assert.strictEqual(certs.status, 2);
            assert.strictEqual(certs.stderr.trim(), `${unreadable}: cannot read the stack export: ${words}`);
            assert.strictEqual(secret.status, 2);
            assert.strictEqual(secret.stderr.trim(), `${unreadable}: cannot read the secret for caKeyPem (--secret-file): ${words}`);
        });

        it("promote: usage errors and unknown stacks exit 2", async () => {
            const [usage, unknown] = await Promise.all([npmScript("promote", ["dev"]), npmScript("promote", ["dev", "staging"])]);
            assert.strictEqual(usage.status, 2);
            assert.match(usage.stderr, /usage: npm run promote -- <from-stack> <to-stack>/);
            assert.strictEqual(unknown.status, 2);
            assert.strictEqual(unknown.stdout, "Promoting dev -> staging\n", "the heading comes first");
            assert.match(unknown.stderr, /no stack staging: Pulumi\.staging\.yaml does not exist/);
        });
    });
});
