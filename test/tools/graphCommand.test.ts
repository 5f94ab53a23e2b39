// npm run graph as a user runs it: help, exit codes, what goes to stdout and
// stderr, and its output for dev and prod against the golden files in
// test/tools/graph/. With UPDATE_GOLDEN=1 the golden files are written from
// the command instead (then review `git diff test/tools/graph`).
import * as assert from "assert";
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../engine/run";
import type { TrustGraph } from "../../tools/graph/schema";
import { run } from "../support/stacks";
import { configOf, documentedEdgeFields, expectedCalls } from "./graph/expected";

const NOW = "2026-01-01T00:00:00Z";
const GOLDEN = path.join(PROJECT_ROOT, "test", "tools", "graph");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const REGENERATE = "UPDATE_GOLDEN=1 npx mocha test/tools/graphCommand.test.ts test/tools/graphBrowser.test.ts";

/** `npm run graph -- args`, as its package.json line runs it. */
function graph(args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
    return spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", "tools/graph.ts", ...args], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 170_000, env, maxBuffer: 64 * 1024 * 1024 });
}

const shown = (r: SpawnSyncReturns<string>) => `exit ${r.status}\nstderr: ${r.stderr.slice(-2000)}`;

/** Compares the command's output with a golden file, or writes it with UPDATE_GOLDEN=1. */
function golden(name: string, text: string): void {
    const file = path.join(GOLDEN, name);
    if (UPDATE) {
        fs.writeFileSync(file, text);
        return;
    }
    assert.ok(fs.existsSync(file), `missing ${path.relative(PROJECT_ROOT, file)}: generate it with ${REGENERATE}`);
    const held = fs.readFileSync(file, "utf8");
    if (held === text) return;
    const lines = [held.split("\n"), text.split("\n")];
    const at = lines[0].findIndex((l, i) => l !== lines[1][i]);
    assert.fail(
        `the command's output differs from ${path.relative(PROJECT_ROOT, file)} at line ${at + 1}:\n  held: ${lines[0][at]?.slice(0, 200)}\n  now:  ${lines[1][at]?.slice(0, 200)}\n` +
            `If the change is intended, regenerate the golden files with ${REGENERATE}, and review git diff test/tools/graph`,
    );
}

describe("npm run graph (the command)", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "graph-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("--help prints usage, flags and exit codes on stdout, nothing on stderr, exit 0", () => {
        const r = graph(["--help"]);
        assert.strictEqual(r.status, 0, shown(r));
        assert.match(r.stdout, /^usage: npm run graph -- /);
        for (const flag of ["--stack", "--state", "--against", "--format", "--out", "--now", "--no-findings"]) assert.ok(r.stdout.includes(flag), flag);
        assert.match(r.stdout, /Exit codes:\n {2}0 {2}ok\n {2}2 {2}usage/);
        assert.strictEqual(r.stderr, "");
    });

    for (const [args, message] of [
        [["--stack", "dev", "--bogus"], /unknown argument "--bogus"/],
        [["--stack", "dev", "--format", "png"], /--format takes json, svg, mermaid, html, got "png"/],
        [["--stack", "dev", "--now", "tomorrow"], /--now takes an ISO 8601 time/],
        [["--stack", "dev", "--state", "x.json"], /give exactly one of --stack and --state/],
        [["--state", "no-such-export.json"], /no-such-export\.json: cannot read the stack export: no such file/],
        [["--stack", "no-such-stack", "--no-findings"], /Pulumi\.no-such-stack\.yaml/],
    ] as [string[], RegExp][]) {
        it(`exit 2, one message and nothing on stdout: ${args.join(" ")}`, () => {
            const r = graph(args);
            assert.strictEqual(r.status, 2, shown(r));
            assert.strictEqual(r.stdout, "");
            assert.match(r.stderr, message);
            assert.ok(!/\n\s+at /.test(r.stderr), `a stack trace: ${r.stderr}`);
        });
    }

    /** Live processes (zombies aside: they have exited) in session `sid`. */
    const sessionProcesses = (sid: number): string[] =>
        spawnSync("ps", ["-eo", "sid=,stat=,args="], { encoding: "utf8" })
            .stdout.split("\n")
            .map((l) => l.trim().split(/\s+/))
            .filter(([s, stat]) => Number(s) === sid && stat !== undefined && !stat.startsWith("Z"))
            .map((f) => f.slice(2).join(" "));
    const settledSession = (sid: number): string[] => {
        // A killed process takes a moment to go.
        for (let i = 0; i < 50 && sessionProcesses(sid).length > 0; i++) spawnSync("sleep", ["0.1"]);
        return sessionProcesses(sid);
    };

    it("a refused argument stops the policy pack the command started early: nothing is left in its session", () => {
        // Positive control: the check finds a process left behind in a session.
        const leaky = spawnSync("setsid", ["bash", "-c", "sleep 30 >/dev/null 2>&1 & echo started"], { encoding: "utf8" });
        const left = settledSession(leaky.pid!);
        try {
            assert.ok(left.some((a) => a.startsWith("sleep 30")), `the control's sleep is found: ${JSON.stringify(left)}`);
        } finally {
            spawnSync("pkill", ["-s", String(leaky.pid)]);
        }
        // --stack without --no-findings starts the pack as the command loads; --format png is then refused.
        const r = spawnSync("setsid", [process.execPath, require.resolve("ts-node/dist/bin"), "--transpile-only", "tools/graph.ts", "--stack", "dev", "--format", "png"], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 170_000 });
        assert.strictEqual(r.status, 2, shown(r));
        assert.match(r.stderr, /--format takes json/);
        assert.deepStrictEqual(settledSession(r.pid!), []);
    });

    it("refuses an export that is not one, naming the file (exit 2)", () => {
        const file = path.join(dir, "not-an-export.json");
        fs.writeFileSync(file, JSON.stringify({ hello: "world" }));
        const r = graph(["--state", file, "--no-findings"]);
        assert.strictEqual(r.status, 2, shown(r));
        assert.match(r.stderr, /not-an-export\.json: not a version 3 stack export/);
    });

    it("draws an export without its passphrase (it reads no secret), writes --out whole and leaves stdout empty", async () => {
        const exp = (await run({ stack: "dev", now: new Date(NOW) })).export;
        const file = path.join(dir, "dev-export.json");
        fs.writeFileSync(file, JSON.stringify(exp));
        assert.ok(JSON.stringify(exp).includes('"ciphertext"'), "the export's secrets are encrypted (positive control)");
        const env = { ...process.env };
        delete env.PULUMI_CONFIG_PASSPHRASE;
        delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
        const out = path.join(dir, "out", "dev.svg");
        const r = graph(["--state", file, "--no-findings", "--now", NOW, "--format", "svg", "--out", out], env);
        assert.strictEqual(r.status, 0, shown(r));
        assert.strictEqual(r.stdout, "");
        assert.match(fs.readFileSync(out, "utf8"), /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg [^]*<\/svg>\n$/);
        assert.match(r.stderr, /wrote .*dev\.svg/);
        const json = graph(["--state", file, "--no-findings", "--now", NOW], env);
        const g = JSON.parse(json.stdout) as { stack: { basis: string }; certificates: { fingerprint: string | null }[] };
        assert.strictEqual(g.stack.basis, "state");
        assert.ok(g.certificates.every((c) => /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(c.fingerprint ?? "")), "a state's certificates show their fingerprints");
        // With the findings, the pack needs the secrets: refused before it starts, saying how to go on.
        const refused = graph(["--state", file, "--now", NOW], env);
        assert.strictEqual(refused.status, 2, shown(refused));
        assert.match(refused.stderr, /dev-export\.json: the policy pack needs the export's secrets.*--no-findings/);
    });

    for (const stack of ["otterize", "local"]) {
        it(`${stack}: the command draws every enabled service and exactly the calls its config implies, each with every documented field`, () => {
            const r = graph(["--stack", stack, "--no-findings", "--now", NOW]);
            assert.strictEqual(r.status, 0, shown(r));
            const g = JSON.parse(r.stdout) as TrustGraph;
            for (const svc of configOf(stack)("services") as string[]) assert.ok(g.nodes.some((n) => n.id === svc), svc);
            assert.deepStrictEqual(g.edges.map((e) => `${e.from}->${e.to}`).sort(), expectedCalls(stack).map(([a, b]) => `${a}->${b}`).sort());
            const fields = documentedEdgeFields();
            for (const e of g.edges) for (const f of fields) assert.ok(f in e, `${e.id} has no ${f}`);
            assert.strictEqual(g.findings, null);
        });
    }

    const cases: { name: string; args: string[]; always: boolean }[] = [
        ...["dev", "prod"].flatMap((stack) =>
            (["json", "svg", "mermaid", "html"] as const).map((format) => ({
                name: `${stack}.${format === "mermaid" ? "mmd" : format}`,
                args: ["--stack", stack, "--now", NOW, "--format", format],
                // The renderers' own test checks every format from the held JSON; the command draws JSON for
                // both stacks and one picture here, and every file when they are regenerated.
                always: format === "json" || (stack === "prod" && format === "html"),
            })),
        ),
        { name: "prod-against-dev.mmd", args: ["--stack", "prod", "--against", "dev", "--now", NOW, "--no-findings", "--format", "mermaid"], always: true },
    ];
    for (const c of cases.filter((x) => x.always || UPDATE)) {
        it(`npm run graph -- ${c.args.join(" ")}: stdout is ${c.name} (golden), stderr has the progress, and no secret`, () => {
            const r = graph(c.args);
            assert.strictEqual(r.status, 0, shown(r));
            assert.ok(!/PRIVATE KEY/.test(r.stdout + r.stderr));
            assert.match(r.stderr, /running index\.ts under the offline engine/);
            if (c.name.endsWith(".json")) {
                const g = JSON.parse(r.stdout) as { schemaVersion: number; findings: unknown[] | null; findingsNote: string };
                assert.strictEqual(g.schemaVersion, 1);
                assert.ok(Array.isArray(g.findings), `the pack ran: ${g.findingsNote}`);
            }
            golden(c.name, r.stdout);
        });
    }
});
