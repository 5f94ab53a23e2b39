// npm run verify: the offline policy check of a stack or of an export.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkState } from "../../engine/policyCheck";
import { reconcilePolicyConfig } from "../../engine/policyConfig";
import { PolicyPackHost } from "../../engine/policyHost";
import { PROJECT_ROOT, StackExport } from "../../engine/run";
import { parseVerifyArgs, policyConfigFor, readVerifyInput, verify } from "../../engine/verify";
import { policyPack } from "../support/policyPack";
import { PINNED_CONFIG, stackRun } from "../support/stacks";


describe("npm run verify", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("takes exactly one of --stack and --state, and names what is wrong", () => {
        assert.throws(() => parseVerifyArgs([]), /give exactly one of --stack and --state/);
        assert.throws(() => parseVerifyArgs(["--stack", "dev", "--state", "x.json"]), /give exactly one of --stack and --state/);
        assert.throws(() => parseVerifyArgs(["--stack"]), /--stack needs a value/);
        assert.throws(() => parseVerifyArgs(["--tag", "novalue"]), /--tag takes <key>=<value>, got "novalue"/);
        assert.deepStrictEqual(parseVerifyArgs(["--state", "s.json", "--policy-config", "c.json", "--tag", "env=prod"]), { state: "s.json", policyConfig: "c.json", tags: { env: "prod" } });
        assert.deepStrictEqual(parseVerifyArgs(["--stack", "dev", "--config", "spinnaker-mtls:clientAuth=need"]), { stack: "dev", config: { "spinnaker-mtls:clientAuth": "need" }, tags: {} });
        assert.throws(() => parseVerifyArgs(["--state", "s.json", "--config", "a:b=c"]), /--config goes with --stack/);
    });

    it("reads and refuses a stack's config, and its policy config, with no policy pack started", async () => {
        await assert.rejects(readVerifyInput({ stack: "dev", config: { ...PINNED_CONFIG.dev, clientAuth: "maybe" }, tags: {} }), /^Error: Invalid stack configuration \(Pulumi\.dev\.yaml and the command line\):\n {2}- spinnaker-mtls:clientAuth is "maybe"; allowed: want, need$/);
        const missing = path.join(dir, "no-such-policy-config.json");
        await assert.rejects(readVerifyInput({ stack: "dev", policyConfig: missing, tags: {} }), new RegExp(`^Error: ${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: cannot read the policy config: no such file$`));
    });

    it("passes dev with its rollout reported as advisory: client-auth want, nothing mandatory", async () => {
        const outcome = await verify({ stack: "dev", config: { ...PINNED_CONFIG.dev }, tags: {} }, await policyPack());
        assert.strictEqual(outcome.exitCode, 0, outcome.report);
        assert.ok(outcome.result.findings.length > 0);
        for (const f of outcome.result.findings) assert.deepStrictEqual([f.policy, f.level], ["spinnaker-client-auth-need", "advisory"]);
        assert.ok(outcome.result.schemaChecked > 20);
    });

    it("passes prod with no finding at all, every Kubernetes object schema-checked", async () => {
        const outcome = await verify({ stack: "prod", tags: {} }, await policyPack());
        assert.strictEqual(outcome.exitCode, 0, outcome.report);
        assert.deepStrictEqual(outcome.result.findings, []);
        const kubeObjects = (await stackRun("prod")).export.deployment.resources.filter((r) => r.type.startsWith("kubernetes:") && typeof r.inputs.kind === "string");
        assert.strictEqual(outcome.result.schemaChecked, kubeObjects.length);
    });

    it("reads a real `pulumi stack export`: provider resources, provider references, pending deletes, secrets it cannot decrypt", async () => {
        const stackUrn = "urn:pulumi:prod::spinnaker-mtls::pulumi:pulumi:Stack::spinnaker-mtls-prod";
        const provider = "urn:pulumi:prod::spinnaker-mtls::pulumi:providers:kubernetes::default_4_34_2";
        const permissive = (name: string) => ({ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name, namespace: "spinnaker" }, spec: { mtls: { mode: "PERMISSIVE" } } });
        const exp = {
            version: 3,
            deployment: {
                manifest: { time: "2026-11-23T00:00:00Z", magic: "x", version: "v3.248.0" },
                secrets_providers: { type: "passphrase", state: { salt: "v1:abc" } },
                resources: [
                    { urn: stackUrn, custom: false, type: "pulumi:pulumi:Stack", outputs: {} },
                    { urn: provider, custom: true, id: "0d4c", type: "pulumi:providers:kubernetes", inputs: { version: "4.34.2" }, outputs: { version: "4.34.2" } },
                    {
                        urn: "urn:pulumi:prod::spinnaker-mtls::kubernetes:core/v1:Secret::creds",
                        custom: true,
                        type: "kubernetes:core/v1:Secret",
                        provider: `${provider}::0d4c`,
                        inputs: { apiVersion: "v1", kind: "Secret", metadata: { name: "creds", namespace: "spinnaker" }, stringData: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:AAAA:BBBB" } },
                        outputs: {},
                        parent: stackUrn,
                    },
                    { urn: "urn:pulumi:prod::spinnaker-mtls::kubernetes:security.istio.io/v1:PeerAuthentication::old", custom: true, type: "kubernetes:security.istio.io/v1:PeerAuthentication", delete: true, inputs: permissive("old"), outputs: permissive("old") },
                    { urn: "urn:pulumi:prod::spinnaker-mtls::kubernetes:security.istio.io/v1:PeerAuthentication::live", custom: true, type: "kubernetes:security.istio.io/v1:PeerAuthentication", provider: `${provider}::0d4c`, inputs: permissive("live"), outputs: permissive("live") },
                ],
            },
        } as unknown as StackExport;
        const file = path.join(dir, "real.json");
        fs.writeFileSync(file, JSON.stringify(exp));
        const outcome = await verify({ state: file, policyConfig: policyConfigFor("prod"), tags: {} }, await policyPack());
        assert.strictEqual(outcome.result.resources, 3, `providers and pending deletes are not analyzed\n${outcome.report}`);
        assert.deepStrictEqual(outcome.result.findings.filter((f) => f.policy === "peer-authentication-strict").map((f) => f.urn), ["urn:pulumi:prod::spinnaker-mtls::kubernetes:security.istio.io/v1:PeerAuthentication::live"]);
        assert.strictEqual(outcome.result.unreadableSecrets, 1);
        assert.match(outcome.report, /note: 1 secret value\(s\) could not be decrypted/);
        assert.match(outcome.report, /^stack prod: 3 resources/);
    });

    it("surfaces a pack that does not type-check, as the CLI would refuse to load it", async () => {
        const pack = fs.mkdtempSync(path.join(PROJECT_ROOT, "test", ".broken-pack-"));
        try {
            fs.writeFileSync(path.join(pack, "package.json"), JSON.stringify({ name: "broken", version: "0.0.1", main: "index.ts" }));
            fs.writeFileSync(path.join(pack, "index.ts"), 'const port: number = "6379";\nexport default port;\n');
            await assert.rejects(PolicyPackHost.start(pack, 120_000), /exited \(code \d+\) before serving[\s\S]*TS2322/);
        } finally {
            fs.rmSync(pack, { recursive: true, force: true });
        }
    });

    it("reports each policy that did not apply, with the reason the pack gave", async () => {
        const h = await policyPack();
        const exp = JSON.parse(JSON.stringify((await stackRun("dev")).export)) as StackExport;
        await h.configure(reconcilePolicyConfig(await h.info(), {}));
        const result = await checkState(exp, h);
        assert.deepStrictEqual(result.notApplicable["sidecar-injection-not-disabled"], ["no namespace of this stack is mesh-enabled"]);
    });

    it("hands a pack exactly what the engine does: args, stack tags, config defaults, secrets, providers, levels, notApplicable", async () => {
        // A probe pack that reports what it was given.
        const pack = fs.mkdtempSync(path.join(PROJECT_ROOT, "test", ".probe-pack-"));
        let host: PolicyPackHost | undefined;
        try {
            fs.writeFileSync(path.join(pack, "package.json"), JSON.stringify({ name: "probe", version: "1.2.3", main: "index.ts" }));
            fs.writeFileSync(
                path.join(pack, "index.ts"),
                `import { PolicyPack } from "@pulumi/policy";
new PolicyPack("probe", {
    enforcementLevel: "advisory",
    policies: [
        {
            name: "echo-args",
            description: "echo",
            configSchema: { properties: { limit: { type: "number", default: 3 } } },
            validateResource: (args, report) =>
                report(JSON.stringify({ type: args.type, name: args.name, tags: [...args.stackTags.entries()], config: args.getConfig(), props: args.props, provider: args.provider ? [args.provider.type, args.provider.props] : null, parent: args.opts.parent ?? null })),
        },
        { name: "not-for-me", description: "na", validateStack: (args) => args.notApplicable("nothing to see") },
        { name: "count", description: "count", enforcementLevel: "mandatory", validateStack: (args, report) => report(args.resources.map((r) => r.type + (r.parent ? "<" + r.parent.type : "")).join(",")) },
    ],
});
`,
            );
            host = await PolicyPackHost.start(pack, 120_000);
            const info = await host.info();
            assert.deepStrictEqual([info.name, info.version], ["probe", "1.2.3"]);
            await host.configure(reconcilePolicyConfig(info, {}));
            await host.configureStack({ stack: "dev", project: "spinnaker-mtls", organization: "organization", dryRun: true, tags: { team: "platform" } });
            const provider = "urn:pulumi:dev::spinnaker-mtls::pulumi:providers:kubernetes::k8s";
            const stackUrn = "urn:pulumi:dev::spinnaker-mtls::pulumi:pulumi:Stack::spinnaker-mtls-dev";
            const secretData = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify({ password: "x" }) };
            const exp = {
                version: 3,
                deployment: {
                    manifest: {},
                    resources: [
                        { urn: stackUrn, custom: false, type: "pulumi:pulumi:Stack", inputs: {}, outputs: {} },
                        { urn: provider, custom: true, id: "p1", type: "pulumi:providers:kubernetes", inputs: { context: "c" }, outputs: {} },
                        { urn: "urn:pulumi:dev::spinnaker-mtls::kubernetes:core/v1:Secret::s", custom: true, type: "kubernetes:core/v1:Secret", parent: stackUrn, provider: `${provider}::p1`, inputs: { stringData: secretData }, outputs: {} },
                    ],
                },
            } as unknown as StackExport;
            const result = await checkState(exp, host);
            const echoed = result.findings.filter((f) => f.policy === "echo-args").map((f) => [f.level, JSON.parse(f.message)]);
            assert.deepStrictEqual(echoed[1], [
                "advisory",
                {
                    type: "kubernetes:core/v1:Secret",
                    name: "s",
                    tags: [["team", "platform"]],
                    config: { limit: 3 },
                    props: { stringData: { password: "x" } },
                    provider: ["pulumi:providers:kubernetes", { context: "c" }],
                    parent: stackUrn,
                },
            ]);
            assert.strictEqual(echoed.length, 2, "the Stack and the Secret; never the provider");
            assert.deepStrictEqual(result.findings.filter((f) => f.policy === "count").map((f) => [f.level, f.message]), [["mandatory", "pulumi:pulumi:Stack,kubernetes:core/v1:Secret<pulumi:pulumi:Stack"]]);
            assert.deepStrictEqual(result.notApplicable["not-for-me"], ["nothing to see"]);
        } finally {
            host?.close();
            fs.rmSync(pack, { recursive: true, force: true });
        }
    });
});
