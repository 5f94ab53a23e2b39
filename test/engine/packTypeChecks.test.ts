// The record of type-checked pack sources (engine/packTypeChecks.ts): a start
// of sources that passed a type-checked start skips the check, and any change
// to them checks again. Judged with a copy of the real pack carrying a type
// error, so that whether the check ran is visible in the outcome.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PolicyPackHost } from "../../engine/policyHost";
import { packDigest, recordDir, typeCheckedBefore } from "../../engine/packTypeChecks";
import { PROJECT_ROOT } from "../../engine/run";

describe("type-checked policy packs, recorded", function () {
    this.timeout(180_000);
    let home: string;
    let savedHome: string | undefined;
    let pack: string;

    beforeEach(() => {
        savedHome = process.env.HOME;
        home = fs.mkdtempSync(path.join(os.tmpdir(), "pack-home-"));
        process.env.HOME = home;
        pack = fs.mkdtempSync(path.join(PROJECT_ROOT, "test", ".broken-pack-"));
        fs.cpSync(path.join(PROJECT_ROOT, "policies"), pack, { recursive: true });
    });
    afterEach(() => {
        process.env.HOME = savedHome;
        fs.rmSync(home, { recursive: true, force: true });
        fs.rmSync(pack, { recursive: true, force: true });
    });

    it("keeps its records under the home folder's cache, one per digest, and the digest follows every file", () => {
        assert.strictEqual(recordDir(), path.join(home, ".cache", "spinnaker-mtls", "policy-pack-typechecked"));
        const before = packDigest(pack);
        assert.strictEqual(packDigest(pack), before, "the same sources give the same digest");
        fs.appendFileSync(path.join(pack, "lib", "rule.ts"), "\n// an edit\n");
        assert.notStrictEqual(packDigest(pack), before);
        const t = typeCheckedBefore(pack);
        assert.strictEqual(t.known, false);
        t.record();
        assert.strictEqual(typeCheckedBefore(pack).known, true);
        process.env.SPINNAKER_MTLS_PACK_TYPECHECK = "always";
        try {
            assert.strictEqual(typeCheckedBefore(pack).known, false, "SPINNAKER_MTLS_PACK_TYPECHECK=always checks every start");
        } finally {
            delete process.env.SPINNAKER_MTLS_PACK_TYPECHECK;
        }
    });

    it("type-checks sources it has no record of (a type error refuses the start), and skips the check for recorded ones", async () => {
        fs.writeFileSync(path.join(pack, "typeError.ts"), 'export const port: number = "6379";\n');
        fs.appendFileSync(path.join(pack, "index.ts"), '\nimport "./typeError";\n');
        // run-policy-pack logs the error and serves what it loaded: the host refuses it, at start or at the first call.
        await assert.rejects(
            (async () => {
                const h = await PolicyPackHost.start(pack, 120_000);
                try {
                    await new Promise((r) => setTimeout(r, 500));
                    await h.info();
                } finally {
                    h.close();
                }
            })(),
            /TS2322/,
        );
        assert.strictEqual(typeCheckedBefore(pack).known, false, "a pack that did not serve is not recorded");
        // Recorded as if it had passed: the start now transpiles only, and the pack serves.
        typeCheckedBefore(pack).record();
        const host = await PolicyPackHost.start(pack, 120_000);
        try {
            assert.strictEqual((await host.info()).name, "spinnaker-mtls");
        } finally {
            host.close();
        }
    });
});
