// The pack as the Pulumi CLI loads it (`pulumi preview --policy-pack
// policies`): its own process, started in policies/ by @pulumi/pulumi's
// run-policy-pack with ts-node type-checking, answering the analyzer protocol.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parsePolicyConfigFile, reconcilePolicyConfig, unknownPolicies } from "../../engine/policyConfig";
import { POLICY_PACK_DIR, policyConfigFor } from "../../engine/verify";
import { GO_SERVICES, JAVA_SERVICES } from "../../policies/lib/spinnaker";
import { PACK_NAME, POLICIES } from "../../policies/policies";
import { SERVICE_CATALOG, ServiceName } from "../../lib/catalog/serviceCatalog";
import { policyPack } from "../support/policyPack";

const rootPackage = JSON.parse(fs.readFileSync(path.join(POLICY_PACK_DIR, "..", "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const packPackage = JSON.parse(fs.readFileSync(path.join(POLICY_PACK_DIR, "package.json"), "utf8")) as { version: string; main: string; dependencies: Record<string, string> };

describe("policy pack", () => {
    it("loads the way the CLI runs it and serves exactly the rule list the tests use, in order", async () => {
        const info = await (await policyPack()).info();
        assert.strictEqual(info.name, PACK_NAME);
        assert.strictEqual(info.version, packPackage.version);
        assert.deepStrictEqual(
            info.policies.map((p) => [p.name, p.description, p.enforcementLevel]),
            // The pack's default, mandatory, but where a rule sets its own level (advisory by design).
            POLICIES.map((p) => [p.name, p.description, p.enforcementLevel ?? "mandatory"]),
        );
    });

    it("has one rule per file, every file in the list", () => {
        const files = ["istio", "spinnaker", "certificates", "redis", "secrets", "otterize"].flatMap((d) => fs.readdirSync(path.join(POLICY_PACK_DIR, d)).map((f) => `${d}/${f}`));
        assert.strictEqual(files.length, POLICIES.length);
        const entry = fs.readFileSync(path.join(POLICY_PACK_DIR, "policies.ts"), "utf8");
        for (const f of files) assert.ok(entry.includes(`"./${f.replace(/\.ts$/, "")}"`), `${f} is not in policies.ts`);
    });

    it("declares the dependencies it loads, at the versions the project pins", () => {
        assert.strictEqual(packPackage.main, "index.ts");
        for (const [name, version] of Object.entries(packPackage.dependencies)) assert.strictEqual(version, rootPackage.dependencies[name] ?? rootPackage.devDependencies[name], name);
    });

    it("knows Spinnaker's services as the program does", () => {
        const runtime = (r: string) => (Object.keys(SERVICE_CATALOG) as ServiceName[]).filter((s) => SERVICE_CATALOG[s].runtime === r).sort();
        for (const s of runtime("java")) assert.ok(JAVA_SERVICES.includes(s), `${s} is a Java service the policies do not know`);
        assert.deepStrictEqual(runtime("go"), [...GO_SERVICES].sort());
    });

    for (const stack of ["dev", "prod"]) {
        it(`policies/config/${stack}.json names only real policies and satisfies every policy's schema`, async () => {
            const info = await (await policyPack()).info();
            const given = parsePolicyConfigFile(fs.readFileSync(policyConfigFor(stack), "utf8"));
            assert.deepStrictEqual(unknownPolicies(info, given), []);
            assert.doesNotThrow(() => reconcilePolicyConfig(info, given));
        });
    }

    it("prod holds every policy mandatory but the one advisory by design; dev relaxes only client-auth need (the rollout) and the mesh requirement", async () => {
        const info = await (await policyPack()).info();
        const levels = (stack: string) => reconcilePolicyConfig(info, parsePolicyConfigFile(fs.readFileSync(policyConfigFor(stack), "utf8")));
        const prod = levels("prod");
        const dev = levels("dev");
        // ca-name-constraints judges an organisation's CA, which the stack may not refuse (issue 20): it advises, everywhere.
        const advisoryByDesign = ["ca-name-constraints", "advisory"];
        assert.deepStrictEqual(Object.entries(prod).filter(([, c]) => c.enforcementLevel !== "mandatory").map(([n, c]) => [n, c.enforcementLevel]), [advisoryByDesign]);
        assert.deepStrictEqual(Object.entries(dev).filter(([, c]) => c.enforcementLevel !== "mandatory").map(([n, c]) => [n, c.enforcementLevel]).sort(), [advisoryByDesign, ["spinnaker-client-auth-need", "advisory"]]);
        assert.strictEqual(prod["peer-authentication-coverage"].properties?.meshRequired, true);
        assert.strictEqual(dev["peer-authentication-coverage"].properties?.meshRequired, false);
    });
});
