// `npm run e2e` (test/e2e/run.sh with no argument, as .ci/run calls it) runs
// the files its default list names, not whatever lies in test/e2e: a new
// e2e file left off that list would never run in CI, which is a skipped test
// counted as none at all.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../engine/run";

/** The default list of run.sh, `specs=(...)` on the line that applies when no file is given. */
function defaultSpecs(script: string): string[] {
    const line = /^\[ \$\{#specs\[@\]\} -gt 0 \] \|\| specs=\(([^)]*)\)$/m.exec(script);
    assert.ok(line, "run.sh has no default specs=(...) line of the expected form");
    return line[1].trim().split(/\s+/);
}

describe("CI's e2e run", () => {
    const script = fs.readFileSync(path.join(PROJECT_ROOT, "test", "e2e", "run.sh"), "utf8");

    it("reads run.sh's default list (positive control: the parser finds the files it names, and only files)", () => {
        const specs = defaultSpecs(script);
        assert.ok(specs.length >= 10, specs.join(" "));
        for (const s of specs) assert.ok(fs.existsSync(path.join(PROJECT_ROOT, s)), `run.sh names ${s}, which does not exist`);
        assert.throws(() => defaultSpecs("specs=(a b)\n"), /no default specs/);
    });

    it("names every e2e file in test/e2e, each once", () => {
        const specs = defaultSpecs(script);
        const files = fs.readdirSync(path.join(PROJECT_ROOT, "test", "e2e")).filter((f) => f.endsWith(".e2e.test.ts")).map((f) => `test/e2e/${f}`);
        assert.deepStrictEqual(files.filter((f) => !specs.includes(f)), [], "e2e files CI would never run");
        assert.strictEqual(new Set(specs).size, specs.length, "a file named twice");
    });
});
