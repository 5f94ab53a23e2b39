// The pull-request workflow's trust-graph steps, which cannot run here: their
// command lines parse as npm run graph parses them, they come after what they
// need, and the comment script, run against a stand-in for GitHub's API with
// a real diff, writes one comment per stack, weakened calls first, and
// updates it on the next push instead of adding another.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT_ROOT } from "../../engine/run";
import { parseGraphArgs } from "../../tools/graph";
import { diffGraphs } from "../../tools/graph/diff";
import { TrustGraph } from "../../tools/graph/schema";

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, string>; env?: Record<string, string> };
const workflow = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, ".github", "workflows", "spinnaker-mtls.yml"), "utf8")) as {
    permissions: Record<string, string>;
    jobs: Record<string, { steps: Step[]; strategy?: { matrix?: { include?: Record<string, string>[] } } }>;
};
const preview = workflow.jobs.preview;
const stacks = (preview.strategy?.matrix?.include ?? []).map((m) => m.stack);
const graphStep = preview.steps.find((s) => s.run?.includes("npm run -s graph"))!;
const commentStep = preview.steps.find((s) => s.uses?.startsWith("actions/github-script@"))!;

/** The graph command lines of the step, for one stack, with and without a deployed export to compare with. */
function graphCommands(stack: string, deployed: boolean): string[][] {
    return graphStep
        .run!.split("\n")
        .filter((l) => l.trim().startsWith("npm run -s graph -- "))
        .map((l) =>
            l
                .trim()
                .slice("npm run -s graph -- ".length)
                .replace(/\$\{\{\s*matrix\.stack\s*\}\}/g, stack)
                .replace('"${against[@]}"', deployed ? `--against deployed-${stack}.json` : "")
                .split(/\s+/)
                .filter(Boolean),
        );
}

describe("the pull-request workflow's trust graph", () => {
    it("draws every previewed stack, after npm ci and the Pulumi step that installs the CLI it exports with", () => {
        assert.deepStrictEqual(stacks, ["dev", "prod"]);
        const at = (s: Step) => preview.steps.indexOf(s);
        assert.ok(at(graphStep) > preview.steps.findIndex((s) => s.run?.trim() === "npm ci"));
        assert.ok(at(graphStep) > preview.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@")));
        assert.ok(at(commentStep) > at(graphStep));
        assert.match(graphStep.run!, /pulumi stack export --stack "\$\{\{ matrix\.stack \}\}" --file "deployed-\$\{\{ matrix\.stack \}\}\.json"/);
        assert.strictEqual(workflow.permissions["pull-requests"], "write");
    });

    for (const deployed of [true, false]) {
        it(`its command lines are ones npm run graph takes${deployed ? ", with the deployed export" : ", with nothing deployed"}: Mermaid and JSON of the same stack, no policy pack`, () => {
            for (const stack of stacks) {
                const parsed = graphCommands(stack, deployed).map((argv) => parseGraphArgs(argv));
                assert.deepStrictEqual(parsed.map((a) => [a.stack, a.format, a.findings, a.against, a.out]), [
                    [stack, "mermaid", false, deployed ? `deployed-${stack}.json` : undefined, "trust-graph.mmd"],
                    [stack, "json", false, deployed ? `deployed-${stack}.json` : undefined, "trust-graph.json"],
                ]);
            }
        });
    }

    it("comments once per stack, the Mermaid diff and the changed calls weakened first, and updates that comment on the next push", async () => {
        const held = (name: string) => JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "test", "tools", "graph", name), "utf8")) as TrustGraph;
        const dev = held("dev.json");
        const graph = { ...held("prod.json"), diff: diffGraphs(held("prod.json"), { ...dev, stack: { ...dev.stack, source: "deployed-prod.json" } }) };
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "graph-workflow-"));
        const cwd = process.cwd();
        const comments: { id: number; body: string }[] = [{ id: 1, body: "someone else's comment" }];
        const calls: string[] = [];
        const github = {
            paginate: async (_fn: unknown, _args: unknown) => comments.map((c) => ({ ...c })),
            rest: {
                issues: {
                    listComments: () => undefined,
                    createComment: async (a: { body: string }) => (calls.push("create"), comments.push({ id: comments.length + 1, body: a.body })),
                    updateComment: async (a: { comment_id: number; body: string }) => (calls.push(`update ${a.comment_id}`), (comments.find((c) => c.id === a.comment_id)!.body = a.body)),
                },
            },
        };
        const context = { repo: { owner: "o", repo: "r" }, issue: { number: 7 } };
        try {
            fs.writeFileSync(path.join(dir, "trust-graph.json"), JSON.stringify(graph));
            fs.writeFileSync(path.join(dir, "trust-graph.mmd"), "flowchart LR\n  a --> b\n");
            process.chdir(dir);
            const env = { ...process.env, STACK: "prod" };
            const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
            const script = new AsyncFunction("require", "github", "context", "process", commentStep.with!.script);
            await script(require, github, context, { env });
            await script(require, github, context, { env });
        } finally {
            process.chdir(cwd);
            fs.rmSync(dir, { recursive: true, force: true });
        }
        assert.deepStrictEqual(calls, ["create", "update 2"]);
        const body = comments[1].body;
        assert.match(body, /^<!-- spinnaker-mtls trust graph: prod -->\n### Trust graph of prod against what is deployed \(deployed-prod\.json\)\n\n```mermaid\nflowchart LR\n {2}a --> b\n```\n/);
        const listed = [...body.matchAll(/^- \*\*(\w+)\*\* `([^`]+)`/gm)].map((m) => m[1]);
        assert.strictEqual(listed.length, graph.diff.edges.length);
        const order = ["weakened", "removed", "added", "changed", "strengthened"];
        assert.deepStrictEqual(listed, [...listed].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
        assert.ok(listed.includes("added") && listed.includes("strengthened"), listed.join(","));
    });
});
