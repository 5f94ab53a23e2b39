// The engine's policy-config semantics, without a pack: defaults from each
// policy's schema, the pack's initial config, then the file (`all` first).
import * as assert from "assert";
import { parsePolicyConfigFile, reconcilePolicyConfig, unknownPolicies } from "../../engine/policyConfig";
import { AnalyzerInfo } from "../../engine/policyHost";

const info: AnalyzerInfo = {
    name: "pack",
    version: "1.0.0",
    policies: [
        { name: "a", description: "", enforcementLevel: "mandatory", configSchema: { properties: { max: { type: "integer", minimum: 1, default: 90 }, names: { type: "array", items: { type: "string" }, default: [] } }, required: [] } },
        { name: "b", description: "", enforcementLevel: "advisory" },
        { name: "c", description: "", enforcementLevel: "mandatory", configSchema: { properties: { flag: { type: "boolean" } }, required: ["flag"] } },
    ],
    initialConfig: { c: { properties: { flag: true } } },
};

describe("policy config (engine semantics)", () => {
    it("starts from each policy's level, its schema's defaults and the pack's initial config", () => {
        assert.deepStrictEqual(reconcilePolicyConfig(info, {}), {
            a: { enforcementLevel: "mandatory", properties: { max: 90, names: [] } },
            b: { enforcementLevel: "advisory", properties: undefined },
            c: { enforcementLevel: "mandatory", properties: { flag: true } },
        });
    });

    it("applies 'all' before per-policy settings, and merges properties over the defaults", () => {
        const given = parsePolicyConfigFile(JSON.stringify({ all: "disabled", a: { enforcementLevel: "advisory", max: 30 }, b: "mandatory" }));
        assert.deepStrictEqual(reconcilePolicyConfig(info, given), {
            all: { enforcementLevel: "disabled", properties: undefined },
            a: { enforcementLevel: "advisory", properties: { max: 30, names: [] } },
            b: { enforcementLevel: "mandatory", properties: undefined },
            c: { enforcementLevel: "disabled", properties: { flag: true } },
        });
    });

    it("refuses an invalid level, naming the policy and what is allowed", () => {
        assert.throws(() => parsePolicyConfigFile('{"a": "strict"}'), /^Error: parsing enforcement level for "a": "strict" is not a valid enforcement level \(allowed: advisory, mandatory, remediate, disabled\)$/);
        assert.throws(() => parsePolicyConfigFile('{"a": 3}'), /parsing "a": 3 is not a valid value; must be a string or object/);
    });

    it("validates the result against each policy's schema, listing every problem with the file, the property and its value", () => {
        assert.throws(() => reconcilePolicyConfig(info, parsePolicyConfigFile('{"a": {"max": 0, "names": "x"}}'), "policies/config/scratch.json"), (e: Error) => {
            assert.strictEqual(e.message, 'policies/config/scratch.json: does not fit the policy pack\'s schemas:\n  a.max is 0; it must be >= 1\n  a.names is "x"; it must be array');
            return true;
        });
        assert.throws(() => reconcilePolicyConfig({ ...info, initialConfig: {} }, {}, "p.json"), /^Error: p\.json: does not fit the policy pack's schemas:\n {2}c: must have required property 'flag'$/);
    });

    it("refuses properties a policy does not declare (no policy reads them: a misspelt limit leaves the default in force), and properties under all", () => {
        const given = parsePolicyConfigFile(JSON.stringify({ all: { enforcementLevel: "advisory", max: 3 }, a: { maxx: 30 }, b: { enforcementLevel: "mandatory", limit: 1 } }));
        assert.throws(() => reconcilePolicyConfig(info, given, "policies/config/scratch.json"), (e: Error) => {
            assert.strictEqual(
                e.message,
                "policies/config/scratch.json: does not fit the policy pack's schemas:\n" +
                    "  all: takes an enforcement level only, not properties (max); set them under the policy they belong to\n" +
                    "  a.maxx is not a property of a; its properties: max, names\n" +
                    "  b.limit is not a property of b; it takes an enforcement level only",
            );
            return true;
        });
        // Positive control: the declared properties pass.
        assert.doesNotThrow(() => reconcilePolicyConfig(info, parsePolicyConfigFile('{"a": {"max": 30}, "c": {"flag": false}}'), "p.json"));
    });

    it("treats an empty file as no config, and reports names the pack does not have", () => {
        assert.deepStrictEqual(parsePolicyConfigFile("  \n"), {});
        assert.deepStrictEqual(unknownPolicies(info, parsePolicyConfigFile('{"all": "advisory", "a": "advisory", "typo": "disabled"}')), ["typo"]);
    });
});
