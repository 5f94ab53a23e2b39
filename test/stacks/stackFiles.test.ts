// The stack files users promote between: each valid, each holding only what
// differs from Pulumi.yaml's defaults, no secret in plain text, and prod at
// least as strict as dev on every knob the policies care about.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { RawConfig, parseStackConfig } from "../../components/config";
import { SECRET_KEYS } from "../../components/config/keys";
import { parsePolicyConfigFile, reconcilePolicyConfig } from "../../engine/policyConfig";
import { loadProject, loadStackConfig } from "../../engine/project";
import { PROJECT_ROOT } from "../../engine/run";
import { policyConfigFor } from "../../engine/verify";
import { policyWeakenings, stackWeakenings } from "../../tools/strictness";
import { policyPack } from "../support/policyPack";

const project = loadProject(PROJECT_ROOT);
const STACKS = fs.readdirSync(PROJECT_ROOT).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []).sort();
const stackFile = (stack: string) => (YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config;
const parsed = (stack: string) => parseStackConfig(loadStackConfig(project, stack).values as RawConfig);
const policy = async (stack: string) => reconcilePolicyConfig(await (await policyPack()).info(), parsePolicyConfigFile(fs.readFileSync(policyConfigFor(stack), "utf8")));

describe("stack files", () => {
    it("are dev, local, otterize (the Otterize example) and prod, each with its policy config", () => {
        assert.deepStrictEqual(STACKS, ["dev", "local", "otterize", "prod"]);
        for (const s of STACKS) assert.ok(fs.existsSync(policyConfigFor(s)), `policies/config/${s}.json`);
    });

    for (const stack of STACKS) {
        it(`Pulumi.${stack}.yaml sets only what differs from Pulumi.yaml's defaults, and no secret in plain text`, () => {
            for (const [key, value] of Object.entries(stackFile(stack))) {
                const entry = project.config[key.replace(`${project.name}:`, "")];
                assert.ok(entry, `${key} is not declared in Pulumi.yaml`);
                // Except the rollout's switch: `pulumi config set clientAuth need`, the README's last rollout step, writes the default.
                const rolloutStep = key === `${project.name}:clientAuth`;
                if (entry.default !== undefined && !rolloutStep) assert.notDeepStrictEqual(String(value), typeof entry.default === "string" ? entry.default : JSON.stringify(entry.default), `${key} repeats its default`);
                if (SECRET_KEYS.has(key.replace(`${project.name}:`, ""))) assert.ok(typeof value === "object" && value !== null && "secure" in value, `${key} is a secret: pulumi config set --secret`);
            }
        });
    }

    it("only local renders; dev, otterize and prod deploy to a cluster", () => {
        assert.deepStrictEqual(STACKS.filter((s) => parsed(s).kubernetes.renderYamlToDirectory !== undefined), ["local"]);
    });

    it("prod is at least as strict as dev on every knob the policies care about (stack config and policy config)", async () => {
        assert.deepStrictEqual(stackWeakenings(parsed("dev"), parsed("prod")), []);
        assert.deepStrictEqual(policyWeakenings(await policy("dev"), await policy("prod")), []);
    });

    it("and strictly so where it matters: dev is weaker than prod on client auth, key, mesh and the rollout policy", async () => {
        assert.deepStrictEqual(
            stackWeakenings(parsed("prod"), parsed("dev")).map((w) => `${w.knob}: ${w.from} -> ${w.to}`),
            // clientAuth only while dev is mid-rollout (want): a user who has finished it (need) still passes.
            [...(parsed("dev").clientAuth === "want" ? ["clientAuth: need -> want"] : []), "key strength (keyAlgorithm, ecdsaCurve, rsaBits): ECDSA P384 -> ECDSA P256", "istio: true -> false", "istioAuthorizationPolicy (with istio): true -> false"],
        );
        assert.deepStrictEqual(
            policyWeakenings(await policy("prod"), await policy("dev")).map((w) => `${w.knob}: ${w.from} -> ${w.to}`),
            ["peer-authentication-coverage.meshRequired: true -> false", "spinnaker-client-auth-need enforcement level: mandatory -> advisory"],
        );
    });
});
