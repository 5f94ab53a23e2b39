// SpinnakerMtls as the packages other programs install (`npm run
// test:commands`): `npm pack` builds the TypeScript package a Node.js program
// imports by name through package.json's exports, and the component-package
// folder (plugin/) gives Pulumi a schema inferred from the TypeScript source,
// for programs in other languages. The YAML program under the real CLI is
// test/e2e/component.e2e.test.ts.
import * as assert from "assert";
import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental/provider";
import { CONFIG_KEYS } from "../../../components/config";
import { SpinnakerMtls } from "../../../plugin";
import { PROJECT_ROOT } from "../../../engine/run";
import { unwrap } from "../../../engine/monitor";
import { run, tempDir } from "../../support/stacks";

const ROOT_PACKAGE = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { name: string; version: string; exports: Record<string, unknown> };

/** The stack outputs index.ts exports, read from its source: the component's outputs must be the same set. */
const stackOutputNames = (): string[] => [...fs.readFileSync(path.join(PROJECT_ROOT, "index.ts"), "utf8").matchAll(/^ {8}(\w+): spinnakerMtls\.(\w+),$/gm)].map((m) => m[1]).sort();

describe("SpinnakerMtls as a package", function () {
    this.timeout(300_000);

    it("npm pack: a Node.js program imports it by name and gets the component", async () => {
        const { dir, remove } = tempDir("spinnaker-mtls-pack");
        try {
            const packed = childProcess.spawnSync("npm", ["pack", "--pack-destination", dir, "--json", "--ignore-scripts=false"], { cwd: PROJECT_ROOT, encoding: "utf8" });
            assert.strictEqual(packed.status, 0, packed.stderr);
            const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
            const files = info.files.map((f) => f.path);
            assert.ok(files.includes("dist/components/spinnakerMtls/index.js") && files.includes("dist/components/spinnakerMtls/index.d.ts"), files.join("\n"));
            assert.ok(files.includes("plugin/PulumiPlugin.yaml"));
            assert.ok(!files.some((f) => f.startsWith("test/") || f.startsWith("Pulumi.") || f.startsWith("policies/")), "the package holds the component, not the program's stacks or tests");

            // A consumer project: its own Pulumi.yaml and program, the package unpacked into its node_modules,
            // the SDKs it depends on linked from this checkout (no registry needed).
            const consumer = path.join(dir, "consumer");
            const installed = path.join(consumer, "node_modules", ROOT_PACKAGE.name);
            fs.mkdirSync(installed, { recursive: true });
            const untar = childProcess.spawnSync("tar", ["-xzf", path.join(dir, info.filename), "-C", installed, "--strip-components=1"], { encoding: "utf8" });
            assert.strictEqual(untar.status, 0, untar.stderr);
            for (const dep of ["@pulumi", "yaml", "ajv"]) fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules", dep), path.join(consumer, "node_modules", dep));
            fs.writeFileSync(path.join(consumer, "Pulumi.yaml"), "name: consumer\nruntime: nodejs\n");
            fs.writeFileSync(path.join(consumer, "Pulumi.test.yaml"), "config: {}\n");
            fs.writeFileSync(
                path.join(consumer, "index.ts"),
                [
                    'import { SpinnakerMtls } from "spinnaker-mtls";',
                    'const spinnaker = new SpinnakerMtls("spinnaker", { namespace: "spinnaker-team-a", services: ["gate", "deck", "orca"], clientAuth: "need", gateUrl: "https://spinnaker-api.team-a.example", deckUrl: "https://spinnaker.team-a.example" });',
                    "export const certificates = spinnaker.serviceCertificates;",
                    "",
                ].join("\n"),
            );
            // The name resolves through the package's exports to the built JavaScript, not to this checkout's sources.
            const resolved = childProcess.spawnSync(process.execPath, ["-p", 'require.resolve("spinnaker-mtls")'], { cwd: consumer, encoding: "utf8" });
            assert.strictEqual(resolved.stdout.trim(), path.join(fs.realpathSync(installed), "dist/components/spinnakerMtls/index.js"));

            const r = await run({ stack: "test", projectDir: consumer });
            const certificates = unwrap(r.stackOutputs.certificates) as Record<string, { secretName: string; dnsNames: string[] }>;
            assert.deepStrictEqual(Object.keys(certificates).sort(), ["deck", "gate", "orca"]);
            assert.ok(certificates.orca.dnsNames.includes("spin-orca.spinnaker-team-a.svc"), JSON.stringify(certificates.orca));
            assert.ok(r.resources.some((x) => x.type === SpinnakerMtls.TYPE && x.urn.endsWith("::spinnaker")));
        } finally {
            remove();
        }
    });

    it("plugin/: Pulumi infers a schema of SpinnakerMtls with every config key as an input and every stack output as an output", async () => {
        const plugin = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "plugin", "package.json"), "utf8")) as { name: string; version: string };
        assert.deepStrictEqual([plugin.name, plugin.version], [ROOT_PACKAGE.name, ROOT_PACKAGE.version], "the component package and the npm package are one package");
        const provider = new ComponentProvider({ dirname: path.join(PROJECT_ROOT, "plugin"), name: plugin.name, components: [SpinnakerMtls] });
        const schema = JSON.parse(await provider.getSchema()) as {
            name: string;
            resources: Record<string, { isComponent: boolean; inputProperties: Record<string, { plain?: boolean; secret?: boolean; $ref?: string }>; properties: Record<string, unknown> }>;
            types: Record<string, { enum?: { value: string }[]; properties?: Record<string, unknown> }>;
        };
        assert.strictEqual(schema.name, "spinnaker-mtls");
        const component = schema.resources[SpinnakerMtls.TYPE];
        assert.ok(component?.isComponent, `no component ${SpinnakerMtls.TYPE} in ${Object.keys(schema.resources).join(", ")}`);
        assert.deepStrictEqual(Object.keys(component.inputProperties).sort(), [...CONFIG_KEYS, "lastDeployedCaTrust", "lastDeploymentObserved"].sort());
        // Only the secrets and the last deployment's trust and observation may be Outputs (a StackReference's,
        // in another language); everything else decides which resources exist.
        assert.deepStrictEqual(Object.entries(component.inputProperties).filter(([, p]) => !p.plain).map(([k]) => k).sort(), ["caKeyPem", "caNextKeyPem", "lastDeployedCaTrust", "lastDeploymentObserved", "redisExternalUrl"]);
        assert.strictEqual(component.inputProperties.lastDeployedCaTrust.$ref, "#/types/spinnaker-mtls:index:CaTrust");
        assert.deepStrictEqual(Object.keys(schema.types["spinnaker-mtls:index:CaTrust"].properties ?? {}).sort(), ["signer", "trusted"]);
        assert.strictEqual(component.inputProperties.lastDeploymentObserved.$ref, "#/types/spinnaker-mtls:index:RotationObservation");
        assert.deepStrictEqual(Object.keys(component.properties).sort(), stackOutputNames());
        assert.deepStrictEqual(schema.types["spinnaker-mtls:index:ClientAuth"].enum?.map((e) => e.value), ["want", "need"]);
    });
});
