// Which graph arguments start the policy pack as the command loads
// (tools/graph/earlyPolicyPack.ts). The process side (a refused argument
// leaves no pack behind) is in test/tools/graphCommand.test.ts.
import * as assert from "assert";
import { earlyPolicyPack, wantsPolicyPack } from "../../../tools/graph/earlyPolicyPack";

describe("graph: the policy pack's early start", () => {
    for (const argv of [["--stack", "prod"], ["--stack=prod"], ["--state", "x.json", "--format", "html"], ["--stack", "dev", "--against", "prod"]]) {
        it(`starts for ${argv.join(" ")}`, () => assert.strictEqual(wantsPolicyPack(argv), true));
    }
    for (const argv of [["--stack", "prod", "--no-findings"], ["--state", "x.json", "--no-findings"], ["--help"], ["--stack", "prod", "-h"], [], ["--format", "json"]]) {
        it(`does not start for ${argv.join(" ") || "no arguments"}`, () => assert.strictEqual(wantsPolicyPack(argv), false));
    }
    it("does not start when the module is imported by anything but the graph command (this test, for one)", () => {
        assert.strictEqual(earlyPolicyPack, undefined);
    });
});
