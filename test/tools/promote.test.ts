// npm run promote: the gate between dev and prod.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { PROJECT_ROOT } from "../../engine/run";
import { parsePromoteArgs, promote, readPromotionInput } from "../../tools/promote";
import { policyPack } from "../support/policyPack";
import { PINNED_CONFIG } from "../support/stacks";

const P = "spinnaker-mtls";
/** dev -> prod, dev as the tests assume it (mid-rollout, whatever its file says today). */
const promoteWith = async (config: { dev?: Record<string, string>; prod?: Record<string, string> } = {}) =>
    promote({ from: "dev", to: "prod", config: { dev: { ...PINNED_CONFIG.dev, ...config.dev }, prod: config.prod ?? {} } }, await policyPack());

describe("npm run promote", () => {
    it("takes two stacks and per-stack config, and names what is wrong", () => {
        assert.deepStrictEqual(parsePromoteArgs(["dev", "prod", "--config", `prod:${P}:clientAuth=want`]), { from: "dev", to: "prod", config: { dev: {}, prod: { [`${P}:clientAuth`]: "want" } } });
        assert.throws(() => parsePromoteArgs(["dev"]), /name the stack to promote from and the stack to promote to, e.g. dev prod/);
        assert.throws(() => parsePromoteArgs(["dev", "dev"]), /promoting dev to itself means nothing/);
        assert.throws(() => parsePromoteArgs(["dev", "prod", "--config", `staging:${P}:clientAuth=need`]), /--config takes <stack>:<key>=\.\.\. with stack dev or prod, got "staging:spinnaker-mtls:clientAuth"/);
        process.env.CA_KEY_FOR_PROMOTE_TEST = "-----BEGIN EC PRIVATE KEY-----\nnot a real key\n-----END EC PRIVATE KEY-----\n";
        try {
            assert.deepStrictEqual(parsePromoteArgs(["dev", "prod", "--secret-env", "prod:caKeyPem=CA_KEY_FOR_PROMOTE_TEST"]), {
                from: "dev",
                to: "prod",
                config: { dev: {}, prod: { caKeyPem: "-----BEGIN EC PRIVATE KEY-----\nnot a real key\n-----END EC PRIVATE KEY-----" } },
                secretConfigKeys: { dev: [], prod: ["caKeyPem"] },
            });
        } finally {
            delete process.env.CA_KEY_FOR_PROMOTE_TEST;
        }
        assert.throws(() => parsePromoteArgs(["dev", "prod", "--secret-env", "prod:caKeyPem=CA_KEY_FOR_PROMOTE_TEST"]), /^Error: environment variable CA_KEY_FOR_PROMOTE_TEST \(the secret for prod:caKeyPem, --secret-env\) is not set$/);
    });

    it("allows dev -> prod as the stacks stand, showing how prod's config differs, and says how to deploy", async () => {
        const outcome = await promoteWith();
        assert.strictEqual(outcome.exitCode, 0, outcome.report);
        assert.match(outcome.report, /^ {2}spinnaker-mtls:clientAuth\s+want\s+need$/m);
        assert.match(outcome.report, /^ {2}spinnaker-mtls:istio\s+false\s+true$/m);
        assert.match(outcome.report, /^prod is at least as strict as dev on every knob the policies care about\.$/m);
        assert.match(outcome.report, /^npm run verify -- --stack dev: passed \(0 mandatory, \d+ advisory\)$/m);
        assert.match(outcome.report, /^ {2}pulumi up --stack prod --refresh --policy-pack policies --policy-pack-config policies\/config\/prod\.json$/m);
        // The README's advice, where the command is given: why --refresh.
        assert.match(outcome.report, /^--refresh compares with the cluster, not the recorded state: .*\n.*without it the conflict goes unseen and their value stays \(docs\/spinnaker\.md\)\.$/m);
    });

    it("refuses prod with clientAuth want once the rollout is done (prod's policy config requires need)", async () => {
        const outcome = await promoteWith({ prod: { [`${P}:clientAuth`]: "want" } });
        assert.strictEqual(outcome.exitCode, 1);
        assert.ok(
            outcome.refusals.includes(
                "prod is weaker than its policy config (policies/config/prod.json) allows: spinnaker-client-auth-need: SpinnakerService spinnaker/spinnaker: spec.spinnakerConfig.profiles.clouddriver.server.ssl.client-auth: clouddriver has client-auth 'want': a caller without a certificate still gets in. Fix: finish the rollout: set clientAuth: need in the stack config",
            ),
            outcome.report,
        );
        assert.match(outcome.report, /^REFUSED: dev is not promoted to prod:$/m);
    });

    it("refuses when dev has not passed npm run verify", async () => {
        const outcome = await promoteWith({ dev: { [`${P}:certValidityHours`]: "8760" } });
        assert.strictEqual(outcome.exitCode, 1);
        assert.match(outcome.report, /^npm run verify -- --stack dev: FAILED \(\d+ mandatory/m);
        assert.ok(outcome.refusals.every((r) => r.startsWith("dev has not passed npm run verify: certificate-validity: LocallySignedCert ")), outcome.report);
    });

    it("refuses prod weaker than dev on a knob the policies care about", async () => {
        const outcome = await promoteWith({ dev: { [`${P}:ecdsaCurve`]: "P384" }, prod: { [`${P}:ecdsaCurve`]: "P256" } });
        assert.strictEqual(outcome.exitCode, 1);
        assert.deepStrictEqual(outcome.refusals, ["prod is weaker than dev on key strength (keyAlgorithm, ecdsaCurve, rsaBits): dev ECDSA P384, prod ECDSA P256"]);
    });

    it("refuses prod in a CA rotation phase dev has not taken, and allows it once dev has", async () => {
        // prod issues through cert-manager, which no rotation supports yet: the program's own PKI here, as for the peers.
        const prod = (phase: string) => ({ [`${P}:certificateBackend`]: "pulumi", [`${P}:caRotation`]: phase });
        const ahead = await promoteWith({ dev: { [`${P}:caRotation`]: "trust-both" }, prod: prod("issue-next") });
        assert.strictEqual(ahead.exitCode, 1, ahead.report);
        assert.ok(
            ahead.refusals.includes('prod would be at caRotation "issue-next" with caGeneration 1, a step dev has not taken: dev is at caRotation "trust-both" with caGeneration 1; take dev through each phase first (docs/ca-rotation.md)'),
            ahead.report,
        );
        const behind = await promoteWith({ dev: { [`${P}:caRotation`]: "issue-next" }, prod: prod("issue-next") });
        assert.ok(!behind.refusals.some((r) => r.includes("caRotation")), behind.report);
        // dev finished (a new generation): any phase of prod's rotation is behind it.
        const finished = await promoteWith({ dev: { [`${P}:caGeneration`]: "2" }, prod: prod("trust-next") });
        assert.ok(!finished.refusals.some((r) => r.includes("caRotation")), finished.report);
    });

    it("decides on an invalid stack config from the config alone: no policy pack is needed to refuse it", () => {
        const input = readPromotionInput({ from: "dev", to: "prod", config: { dev: { ...PINNED_CONFIG.dev }, prod: { clientAuth: "sometimes" } } });
        assert.strictEqual(input.invalid?.exitCode, 2);
        assert.deepStrictEqual(input.invalid.refusals, ['prod: invalid stack config: spinnaker-mtls:clientAuth is "sometimes"; allowed: want, need']);
        assert.match(input.invalid.report, /^The policy checks did not run: fix the stack config first\.$/m);
        // Positive control: valid configs leave the decision to the checks that need the pack.
        assert.strictEqual(readPromotionInput({ from: "dev", to: "prod", config: { dev: { ...PINNED_CONFIG.dev }, prod: {} } }).invalid, undefined);
    });

    it("refuses an invalid stack config, naming the key", async () => {
        const outcome = await promoteWith({ prod: { [`${P}:clientAuth`]: "sometimes" } });
        assert.strictEqual(outcome.exitCode, 2, "a config error, not a refusal on the merits");
        assert.deepStrictEqual(outcome.refusals, ['prod: invalid stack config: spinnaker-mtls:clientAuth is "sometimes"; allowed: want, need']);
    });

    it("lists every config problem at once: the type Pulumi.yaml declares and the values the program checks, keys given without the prefix", async () => {
        const outcome = await promoteWith({ prod: { renewBeforeHours: "soon", clientAuth: "sometimes" } });
        assert.strictEqual(outcome.exitCode, 2);
        assert.deepStrictEqual(outcome.refusals, [
            'prod: invalid stack config: --config: spinnaker-mtls:renewBeforeHours is "soon", but Pulumi.yaml declares it integer',
            'prod: invalid stack config: spinnaker-mtls:clientAuth is "sometimes"; allowed: want, need',
        ]);
    });

    it("shows secrets as [secret], and suggests npm run render, not pulumi up, for a stack in render mode", async () => {
        const outcome = await promote({ from: "dev", to: "local", config: { dev: { ...PINNED_CONFIG.dev }, local: { organization: "Render Co" } }, secretConfigKeys: { dev: [], local: ["organization"] } }, await policyPack());
        assert.strictEqual(outcome.exitCode, 0, outcome.report);
        assert.match(outcome.report, /^ {2}spinnaker-mtls:organization\s+Spinnaker\s+\[secret\]$/m);
        assert.doesNotMatch(outcome.report, /Render Co/);
        assert.match(outcome.report, /^ {2}npm run render -- --stack local$/m);
        assert.doesNotMatch(outcome.report, /pulumi up/);
    });

    it("as a command: exit 2 on bad arguments", () => {
        const r = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", "tools/promote.ts", "dev"], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120_000 });
        assert.strictEqual(r.status, 2);
        assert.match(r.stderr, /usage: npm run promote -- <from-stack> <to-stack>/);
    });
});
