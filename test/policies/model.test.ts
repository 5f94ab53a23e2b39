// Tests generated from the threat model (test/policies/model.ts, tabled in
// docs/policy-model.md): every weakening value of every row, applied to the
// prod export and to dev's where the resource is there, must be refused by
// the row's rule at mandatory level under prod's policy config, in a message
// that names the resource, the field and the value.
//
// One policy-pack evaluation judges many weakenings: each is applied to a
// renamed copy of its target, appended to the stack, and its finding is told
// apart by the copy's URN. Weakenings a rule judges in the picture of the
// whole stack (`whole`) get an export of their own.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CheckResult } from "../../engine/policyCheck";
import { ExportedResource, StackExport } from "../../engine/run";
import { POLICY_PACK_DIR, policyConfigFor, verify } from "../../engine/verify";
import { POLICIES } from "../../policies/policies";
import { policyPack } from "../support/policyPack";
import { stackRun } from "../support/stacks";
import { GAPS, MODEL, ModelRow, Obj, Weakening, findTarget } from "./model";

interface Mutation {
    readonly stack: string;
    readonly row: ModelRow;
    readonly weakening: Weakening;
    /** The URN the finding must carry (a copy's), or undefined for a whole-stack weakening. */
    readonly urn?: string;
    /** What the message must name as the resource. */
    readonly names: string;
    readonly batch: string;
}

const STACKS = ["prod", "dev"];
const display = (v: unknown): string => (typeof v === "symbol" ? "(removed)" : JSON.stringify(v).slice(0, 60));

const applyTo = (r: ExportedResource, row: ModelRow, value: unknown) => {
    for (const props of [r.inputs, r.outputs]) if (props) row.apply(props as Obj, value);
};

/** Appends to `exp` a renamed copy of the row's target carrying the weakening; returns the copy's URN and what messages call it. */
function addCopy(exp: StackExport, row: ModelRow, value: unknown, id: number): { urn: string; names: string } | undefined {
    const original = findTarget(exp, row.target);
    if (!original) return undefined;
    const copy = JSON.parse(JSON.stringify(original)) as ExportedResource;
    const suffix = `-m${id}`;
    (copy as { urn: string }).urn = `${original.urn}${suffix}`;
    let names = copy.urn.slice(copy.urn.lastIndexOf("::") + 2);
    applyTo(copy, row, value);
    for (const props of [copy.inputs, copy.outputs]) {
        const metadata = (props as Obj | undefined)?.metadata as Obj | undefined;
        if (metadata?.name) {
            metadata.name = `${String(metadata.name)}${suffix}`;
            names = `${String(metadata.namespace ? `${String(metadata.namespace)}/` : "")}${String(metadata.name)}`;
        }
    }
    if (row.target.type === "Stack") names = "stack output";
    exp.deployment.resources.push(copy);
    return { urn: copy.urn, names };
}

describe("threat model: verify refuses every weakening the model lists (test/policies/model.ts)", () => {
    const pristine = new Map<string, string>();
    const mutations: Mutation[] = [];
    const results = new Map<string, Promise<CheckResult>>();
    let dir: string;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "model-"));
        for (const stack of STACKS) pristine.set(stack, JSON.stringify((await stackRun(stack)).export));
        const exports = new Map<string, StackExport>();
        let id = 0;
        for (const stack of STACKS) {
            const batched = JSON.parse(pristine.get(stack)!) as StackExport;
            for (const row of MODEL.filter((r) => !r.stacks || r.stacks.includes(stack))) {
                for (const weakening of row.values) {
                    id++;
                    if (row.whole) {
                        const exp = JSON.parse(pristine.get(stack)!) as StackExport;
                        const target = findTarget(exp, row.target);
                        if (!target) continue;
                        applyTo(target, row, weakening.value);
                        exports.set(`${stack}-${id}`, exp);
                        mutations.push({ stack, row, weakening, names: row.whole.names, batch: `${stack}-${id}` });
                    } else {
                        const copy = addCopy(batched, row, weakening.value, id);
                        if (copy) mutations.push({ stack, row, weakening, urn: copy.urn, names: copy.names, batch: stack });
                    }
                }
            }
            exports.set(stack, batched);
        }
        // Evaluated one after the other (the pack host serves one check at a time), each when first needed.
        let queue: Promise<unknown> = Promise.resolve();
        // The unbroken exports, each under its own stack's config: the rules the model names pass what the program emits.
        for (const stack of STACKS) exports.set(`${stack}-pristine`, JSON.parse(pristine.get(stack)!) as StackExport);
        for (const [name, exp] of exports) {
            const file = path.join(dir, `${name}.json`);
            fs.writeFileSync(file, JSON.stringify(exp));
            const config = policyConfigFor(name.endsWith("-pristine") ? name.slice(0, -"-pristine".length) : "prod");
            const run = queue.then(async () => (await verify({ state: file, policyConfig: config, tags: {} }, await policyPack())).result);
            queue = run.catch(() => undefined);
            results.set(name, run);
        }
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const stack of STACKS) {
        it(`passes the unbroken ${stack} export under its own config`, async () => {
            const result = await results.get(`${stack}-pristine`)!;
            assert.deepStrictEqual(result.findings.filter((f) => f.level === "mandatory").map((f) => `${f.policy}: ${f.message}`), []);
        });
    }

    it("names only rules the pack has: a row without a rule fails", () => {
        const names = new Set(POLICIES.map((p) => p.name));
        const missing = MODEL.filter((r) => !names.has(r.rule)).map((r) => `${r.kind} ${r.field}: ${r.rule}`);
        assert.deepStrictEqual(missing, []);
    });

    it("is tabled in docs/policy-model.md, gaps included", () => {
        const doc = fs.readFileSync(path.join(POLICY_PACK_DIR, "..", "docs", "policy-model.md"), "utf8");
        for (const row of MODEL) assert.ok(doc.includes(`\`${row.field}\``) && doc.includes(`\`${row.rule}\``), `docs/policy-model.md lacks ${row.kind} ${row.field} (${row.rule})`);
        for (const gap of GAPS) assert.ok(doc.includes(`\`${gap.field}\``), `docs/policy-model.md lacks the gap ${gap.kind} ${gap.field}`);
    });

    for (const row of MODEL) {
        for (const weakening of row.values) {
            it(`refuses ${row.kind} ${row.field} = ${display(weakening.value)} (${row.rule})`, async () => {
                const applied = mutations.filter((x) => x.row === row && x.weakening === weakening);
                assert.ok(applied.length > 0, "applies to no export");
                for (const m of applied) {
                    const result = await results.get(m.batch)!;
                    const hit = result.findings.find(
                        (f) =>
                            f.policy === row.rule &&
                            f.level === "mandatory" &&
                            (m.urn === undefined || f.urn === m.urn) &&
                            f.message.includes(m.names) &&
                            f.message.includes(row.whole?.says ?? row.field) &&
                            f.message.includes(weakening.shows),
                    );
                    const near = result.findings.filter((f) => (m.urn ? f.urn === m.urn : f.message.includes(m.names))).map((f) => `${f.policy} ${f.level} ${f.message}`);
                    assert.ok(hit, `${m.stack}: no mandatory ${row.rule} finding naming ${m.names}, ${row.whole?.says ?? row.field} and ${weakening.shows}; findings on it:\n${near.join("\n") || "(none)"}`);
                    assert.match(hit.message, /\. Fix: \S/, `${m.stack}: the message gives no remedy`);
                }
            });
        }
    }
});
