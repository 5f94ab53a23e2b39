// How the engine reads a stack's config as the Pulumi CLI would hand it to
// the program: empty stack files, broken ones, keys given without the
// project prefix, secrets given on the side, every problem at once.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { RawConfig, StackConfigError, parseStackConfig } from "../../components/config";
import { RSA_BITS_DEFAULT } from "../../components/config/pkiConfig";
import { loadProject, readStackConfig } from "../../engine/project";
import { PROJECT_ROOT } from "../../engine/run";
import { tempDir } from "../support/stacks";

const project = loadProject(PROJECT_ROOT);

/** This project with one more stack file, in a temporary folder. */
function withStackFile(content: string): { dir: string; remove: () => void } {
    const t = tempDir("stack-file");
    fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(t.dir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(t.dir, "Pulumi.scratch.yaml"), content);
    return t;
}

describe("stack config as the engine reads it", () => {
    it("gives an empty stack file (or one with only comments, or `config:` and nothing under it) every default of Pulumi.yaml, as the Pulumi CLI does", () => {
        const defaults = Object.fromEntries(
            Object.entries(project.config)
                .filter(([, e]) => e.default !== undefined)
                .map(([k, e]) => [`${project.name}:${k}`, typeof e.default === "string" ? e.default : JSON.stringify(e.default)]),
        );
        for (const content of ["", "# nothing yet\n", "config:\n"]) {
            const t = withStackFile(content);
            try {
                const r = readStackConfig(loadProject(t.dir), "scratch");
                assert.deepStrictEqual(r.problems, []);
                assert.deepStrictEqual(r.values, defaults);
                // What the README warns about: the default namespace is prod's.
                assert.strictEqual(parseStackConfig(r.values as RawConfig).namespace, "spinnaker");
            } finally {
                t.remove();
            }
        }
    });

    it("refuses, as the Pulumi CLI does, a stack that leaves unset a key Pulumi.yaml declares without a default", () => {
        const t = withStackFile("config: {}\n");
        try {
            const yaml = fs.readFileSync(path.join(t.dir, "Pulumi.yaml"), "utf8");
            // halyardDir as if its default were dropped: declared, but required.
            fs.writeFileSync(path.join(t.dir, "Pulumi.yaml"), yaml.replace('\n  halyardDir:\n    type: string\n    default: ""\n', "\n  halyardDir:\n    type: string\n"));
            assert.deepStrictEqual(readStackConfig(loadProject(t.dir), "scratch").problems, [
                `Pulumi.scratch.yaml: ${project.name}:halyardDir is not set, and Pulumi.yaml declares it without a default: the Pulumi CLI refuses to run the stack ("Stack 'scratch' is missing configuration value"); set it, or give it a default`,
            ]);
        } finally {
            t.remove();
        }
    });

    it("names the stack file, and where, when it is not YAML or not a mapping", () => {
        for (const [content, expected] of [
            ["config:\n  spinnaker-mtls:clientAuth: [need\n", /Pulumi\.scratch\.yaml: not valid YAML: .*line \d+, column \d+/s],
            ["- a\n- b\n", /Pulumi\.scratch\.yaml: a stack file is a mapping \(config: \.\.\.\), not a list/],
            ["config:\n  - clientAuth\n", /Pulumi\.scratch\.yaml: config must be a mapping of key to value/],
        ] as const) {
            const t = withStackFile(content);
            try {
                assert.throws(() => readStackConfig(loadProject(t.dir), "scratch"), expected);
            } finally {
                t.remove();
            }
        }
        assert.throws(() => readStackConfig(project, "no-such-stack"), /^Error: no stack no-such-stack: .*Pulumi\.no-such-stack\.yaml does not exist \(create it, even empty, to use the defaults of Pulumi\.yaml\)$/);
    });

    it("applies a key given without the project prefix, as `pulumi config set` does, and type-checks what the command line gives", () => {
        const r = readStackConfig(project, "dev", { clientAuth: "need", caValidityHours: "ten years" });
        assert.strictEqual(r.values["spinnaker-mtls:clientAuth"], "need");
        assert.ok(!("clientAuth" in r.values), "never a bare key the program does not read");
        assert.deepStrictEqual(r.problems, ['--config: spinnaker-mtls:caValidityHours is "ten years", but Pulumi.yaml declares it integer']);
    });

    it("marks --secret-file values secret, and warns (without the value) when a declared secret comes with --config", () => {
        const pem = "-----BEGIN EC PRIVATE KEY-----\nnot shown\n-----END EC PRIVATE KEY-----";
        const fromFile = readStackConfig(project, "dev", { caKeyPem: pem, redisExternalUrl: "rediss://x" }, ["caKeyPem", "redisExternalUrl"]);
        assert.ok(fromFile.secretKeys.includes("spinnaker-mtls:caKeyPem") && fromFile.secretKeys.includes("spinnaker-mtls:redisExternalUrl"));
        assert.deepStrictEqual(fromFile.warnings, []);
        const onCommandLine = readStackConfig(project, "dev", { "spinnaker-mtls:caKeyPem": pem });
        assert.deepStrictEqual(onCommandLine.warnings, [
            "warning: spinnaker-mtls:caKeyPem is a secret, but --config put it on the command line (npm echoes the line; shells keep history): use --secret-file spinnaker-mtls:caKeyPem=<file> or --secret-env spinnaker-mtls:caKeyPem=<VAR>",
        ]);
        assert.ok(!JSON.stringify(onCommandLine.problems).includes("not shown"));
    });

    it("warns about a key whose prefix is neither the project's nor a provider's, which nothing reads (a typo keeps the default in force)", () => {
        const t = withStackFile("config:\n  spinnaker-mtl:namespace: spinnaker-scratch\n  kubernetes:context: kind-dev\n  pulumi:tags: {team: platform}\n  aws:region: eu-west-1\n  spinnaker-mtls:clientAuth: want\n");
        try {
            const r = readStackConfig(loadProject(t.dir), "scratch", { "tls:flag": "x", "spinaker-mtls:organization": "Acme" });
            assert.deepStrictEqual(r.problems, []);
            assert.deepStrictEqual(r.warnings, [
                "warning: Pulumi.scratch.yaml: spinnaker-mtl:namespace is read by nothing: its prefix spinnaker-mtl is neither this project's (spinnaker-mtls) nor a provider's (kubernetes, pulumi, random, tls); did you mean spinnaker-mtls:namespace?",
                "warning: Pulumi.scratch.yaml: aws:region is read by nothing: its prefix aws is neither this project's (spinnaker-mtls) nor a provider's (kubernetes, pulumi, random, tls); the program ignores it",
                "warning: --config: spinaker-mtls:organization is read by nothing: its prefix spinaker-mtls is neither this project's (spinnaker-mtls) nor a provider's (kubernetes, pulumi, random, tls); did you mean spinnaker-mtls:organization?",
            ]);
            // What the warning is about: the namespace the program reads is still the default, prod's.
            assert.strictEqual(r.values["spinnaker-mtls:namespace"], "spinnaker");
        } finally {
            t.remove();
        }
    });

    it("refuses rsaBits set with ECDSA keys when no Go service takes an RSA key; keeps its default in step with Pulumi.yaml", () => {
        assert.strictEqual(project.config.rsaBits.default, RSA_BITS_DEFAULT);
        const raw = (over: Record<string, string>) => readStackConfig(project, "dev", { ...over, clientAuth: "want" }).values as RawConfig;
        const problems = (over: Record<string, string>) => {
            try {
                parseStackConfig(raw(over));
                return [];
            } catch (e) {
                return [...(e as StackConfigError).problems];
            }
        };
        assert.deepStrictEqual(problems({ rsaBits: "4096" }), [
            'spinnaker-mtls:rsaBits is "4096"; it sizes RSA keys, and with spinnaker-mtls:keyAlgorithm ECDSA and no Go service (dinghy, terraformer) enabled no key is RSA: remove it, or set keyAlgorithm RSA',
        ]);
        assert.deepStrictEqual(problems({ rsaBits: "4096", keyAlgorithm: "RSA" }), []);
        // prod's Go services read only RSA keys: there rsaBits sizes them under ECDSA.
        assert.deepStrictEqual(problems({ rsaBits: "4096", services: '["gate","deck","dinghy"]', goServicesRedis: "tls-only", spinnakerFlavor: "armory" }), []);
    });
});
