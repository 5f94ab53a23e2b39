// Render mode under the real Pulumi CLI 3.248.0 (issue 12): the `local`
// stack (renderYamlToDirectory) in a temporary copy of the project, with the
// exact commands `npm run render` runs (tools/render.ts renderPlan), and no
// cluster: the workspace's KUBECONFIG names a file that does not exist. Then
// every file written is parsed, every object passes the project's schema
// validation (engine/schemas.ts) and, where the API server serves its kind,
// a server-side dry run (?dryRun=All) against the local kube-apiserver with
// the CRDs from the module cache; and the objects rendered are exactly the
// Kubernetes objects the offline engine records for the same stack.
//
// The Node.js language host and the tls/random providers are this project's
// STAND-INS (test/e2e/build/standins/README.md); the Kubernetes
// provider that writes the files is the real one.
//
// Run: bash test/e2e/run.sh test/e2e/render.e2e.test.ts
import * as assert from "assert";
import * as fs from "fs";
import { NO_KUBELET_ENV } from "../../components/kubernetes/skipAwait";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { unwrap } from "../../engine/monitor";
import { validateObject } from "../../engine/schemas";
import { renderPlan } from "../../tools/render";
import { run as offlineRun } from "../support/stacks";
import { Cluster, startCluster } from "./support/cluster";
import { createWorkspace, missingToolchain, Workspace } from "./support/pulumiCli";
import { describe as describeDifference, ExportedState, fromExport, fromOffline, randomSeeds, valueDifferences } from "./support/differential";
import { PROJECT_FILES, REPO, standInNotice } from "./support/stackRun";

const STACK = "local";
/** Render mode needs only the CLI, the host and the providers; the API server is for the dry runs. */
const NEEDS = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "pulumi-resource-tls", "pulumi-resource-random", "kube-apiserver", "kine"];
/** The field manager of the dry runs (nothing is stored). */
const DRY_RUN_MANAGER = "e2e-render-dry-run";

interface KubeObject { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } & Record<string, unknown> }
interface Rendered { file: string; obj: KubeObject }
interface ApiResource { name: string; kind: string; namespaced: boolean }

const idOf = (o: KubeObject) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** Every file under a folder, relative to it, sorted. */
const filesUnder = (dir: string): string[] =>
    fs.existsSync(dir)
        ? fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort()
        : [];

describe(`e2e: npm run render (the ${STACK} stack) under the real CLI`, function () {
    this.timeout(1_800_000);
    let ws: Workspace | undefined;
    let cluster: Cluster | undefined;
    let project = "";
    let renderDir = "";
    const rendered: Rendered[] = [];

    before(async function () {
        console.log(`      ${standInNotice()}`);
        const why = missingToolchain(NEEDS);
        // Missing parts fail the suite, never skip it.
        if (why) throw new Error(`the e2e toolchain is incomplete: ${why}`);
        // No cluster for the render, but KUBECONFIG set, as in many users' shells:
        // @pulumi/kubernetes's Provider would take it from the environment, and the
        // provider refuses a kubeconfig beside renderYamlToDirectory; the program
        // passes kubeconfig "" in render mode (components/kubernetes/provider.ts).
        ws = createWorkspace(path.join(path.sep, "nonexistent", "kubeconfig"));
        project = path.join(ws.dir, "project");
        fs.mkdirSync(project);
        for (const f of [...PROJECT_FILES, `Pulumi.${STACK}.yaml`]) fs.cpSync(path.join(REPO, f), path.join(project, f), { recursive: true });
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(project, "node_modules"));
    });

    after(async function () {
        await cluster?.stop();
        // The rendered Secrets hold keys and passwords in plain text: the folder goes, unless E2E_KEEP asks.
        if (process.env.E2E_KEEP) console.log(`      kept: ${ws?.dir}`);
        else ws?.remove();
    });

    it("npm run render's commands succeed with the real CLI and no cluster, and write manifests", async function () {
        const plan = renderPlan(STACK, ws!.env);
        // The CLI runs with the environment npm run render gives it.
        for (const k of Object.keys(ws!.env)) if (!(k in plan.env)) delete ws!.env[k];
        Object.assign(ws!.env, plan.env);
        // A user's render has no e2e switch: with nothing to wait for, the program must render as it is.
        delete ws!.env[NO_KUBELET_ENV];
        // The plan's renderDir is the repository's; the CLI runs in the copy, where the same relative folder is written.
        renderDir = path.join(project, path.relative(REPO, plan.renderDir));
        const started = Date.now();
        for (const [cmd, ...args] of plan.commands) {
            assert.strictEqual(cmd, "pulumi");
            await ws!.ok(args.filter((a) => a !== "--non-interactive"), project, 1_200_000);
        }
        const files = filesUnder(renderDir);
        console.log(`      rendered ${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        assert.ok(files.length > 0, `nothing under ${renderDir}`);
        for (const file of files) {
            assert.match(file, /\.ya?ml$/, `${file} is not YAML`);
            const docs = parseAllDocuments(fs.readFileSync(path.join(renderDir, file), "utf8"));
            for (const doc of docs) {
                assert.deepStrictEqual(doc.errors.map((e) => e.message), [], `${file} does not parse`);
                const obj = doc.toJS() as KubeObject | null;
                if (obj === null) continue;
                assert.ok(obj.apiVersion && obj.kind && obj.metadata?.name, `${file}: an object without apiVersion, kind or metadata.name`);
                rendered.push({ file, obj });
            }
        }
        assert.ok(rendered.length > 0, "no objects rendered");
    });

    it("every rendered object passes the project's schema validation", async function () {
        assert.ok(rendered.length > 0, "nothing rendered (the render step failed)");
        const problems: string[] = [];
        let checked = 0;
        for (const { file, obj } of rendered) {
            const r = await validateObject(obj as unknown as Record<string, unknown>);
            if (r.checked) checked++;
            problems.push(...r.problems.map((p) => `${file} (${idOf(obj)}): ${p}`));
        }
        assert.deepStrictEqual(problems, []);
        console.log(`      ${checked} objects validated against their schema, ${rendered.length - checked} of kinds with no schema in the project`);
        assert.ok(checked > 0);
    });

    it("the API server accepts every object whose kind it serves, in a server-side dry run", async function () {
        assert.ok(rendered.length > 0, "nothing rendered (the render step failed)");
        cluster = await startCluster({ toolchainDir: process.env.E2E_TOOLCHAIN_DIR! });
        // What the cluster serves, by apiVersion (discovery), with each kind's plural and scope.
        const served = new Map<string, ApiResource[] | undefined>();
        const resourcesOf = async (apiVersion: string) => {
            if (!served.has(apiVersion)) {
                const r = await cluster!.request("GET", apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
                served.set(apiVersion, r.status === 200 ? (JSON.parse(r.body) as { resources: ApiResource[] }).resources.filter((x) => !x.name.includes("/")) : undefined);
            }
            return served.get(apiVersion);
        };
        // The namespaces exist before the stack, as in a user's cluster (a dry run creates nothing, so a
        // namespaced object's dry run needs its namespace for real).
        const namespaces = new Set(rendered.map((r) => r.obj.metadata.namespace).filter((n): n is string => !!n));
        for (const ns of namespaces) {
            const r = await cluster.request("PATCH", `/api/v1/namespaces/${ns}?fieldManager=e2e-user`, JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }), "application/apply-patch+yaml");
            assert.ok(r.status < 300, `creating namespace ${ns}: ${r.status} ${r.body}`);
        }
        const refused: string[] = [];
        const notServed: string[] = [];
        let accepted = 0;
        for (const { file, obj } of rendered) {
            const kind = (await resourcesOf(obj.apiVersion))?.find((x) => x.kind === obj.kind);
            if (!kind) {
                notServed.push(`${obj.apiVersion} ${obj.kind}`);
                continue;
            }
            const base = obj.apiVersion.includes("/") ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
            const p = kind.namespaced ? `${base}/namespaces/${obj.metadata.namespace ?? "default"}/${kind.name}/${obj.metadata.name}` : `${base}/${kind.name}/${obj.metadata.name}`;
            const r = await cluster.request("PATCH", `${p}?dryRun=All&fieldManager=${DRY_RUN_MANAGER}&fieldValidation=Strict`, JSON.stringify(obj), "application/apply-patch+yaml");
            if (r.status < 300) accepted++;
            // The server's message names fields, never values: safe to show for a Secret too.
            else refused.push(`${file} (${idOf(obj)}): ${r.status} ${(JSON.parse(r.body) as { message?: string }).message ?? ""}`);
        }
        console.log(`      ${accepted} objects accepted in a dry run${notServed.length ? `; kinds the cluster does not serve: ${[...new Set(notServed)].join(", ")}` : ""}`);
        assert.deepStrictEqual(refused, []);
        // The cluster has the CRDs of every group the program writes (cert-manager, Istio, the SpinnakerService).
        assert.deepStrictEqual([...new Set(notServed)], [], "kinds without a CRD in the test cluster");
        assert.ok(accepted > 0);
    });

    it("the rendered objects are the Kubernetes objects the offline engine records for the stack, with the same content", async function () {
        assert.ok(rendered.length > 0, "nothing rendered (the render step failed)");
        const result = await offlineRun({ stack: STACK });
        const offlineResources = fromOffline(result.resources);
        const offline = new Map(
            result.resources
                .filter((r) => r.custom && r.type.startsWith("kubernetes:"))
                .map((r) => unwrap(r.inputs) as KubeObject)
                .map((o) => [idOf(o), o] as const),
        );
        const renderedIds = rendered.map((r) => idOf(r.obj)).sort();
        assert.deepStrictEqual(renderedIds.filter((id) => !offline.has(id)), [], "rendered, but not recorded by the offline engine");
        assert.deepStrictEqual([...offline.keys()].filter((id) => !renderedIds.includes(id)).sort(), [], "recorded by the offline engine, but not rendered");
        assert.strictEqual(renderedIds.length, offline.size, "an object rendered twice");
        // Content: equal but for values random by nature (test/e2e/support/differential.ts);
        // each side's passwords are its own run's (the CLI's from its state).
        const exported = await ws!.ok(["stack", "export", "--show-secrets"], project);
        const realSeeds = randomSeeds(fromExport((JSON.parse(exported.stdout) as { deployment: { resources?: ExportedState[] } }).deployment.resources ?? []));
        const offlineSeeds = randomSeeds(offlineResources);
        assert.ok(realSeeds.length > 0 && realSeeds.length === offlineSeeds.length, `passwords: ${offlineSeeds.length} offline, ${realSeeds.length} real`);
        const differences: string[] = [];
        for (const { file, obj } of rendered) {
            for (const d of valueDifferences(`${file} (${idOf(obj)})`, offline.get(idOf(obj)), offlineSeeds, obj, realSeeds)) {
                // A Secret's values are never shown, not even scrubbed: the path says where.
                differences.push(obj.kind === "Secret" ? `${d.urn} ${d.path}` : describeDifference(d));
            }
        }
        assert.deepStrictEqual(differences, []);
        // And the comparison sees a change: a label of a rendered Service, altered in a copy.
        const service = rendered.find((r) => r.obj.kind === "Service")!;
        const altered = structuredClone(service.obj) as KubeObject & { metadata: { labels?: Record<string, string> } };
        altered.metadata.labels = { ...altered.metadata.labels, "app.kubernetes.io/part-of": "something-else" };
        const seen = valueDifferences(idOf(service.obj), offline.get(idOf(service.obj)), offlineSeeds, altered, realSeeds).map((d) => d.path);
        assert.deepStrictEqual(seen, ["metadata.labels.app.kubernetes.io/part-of"]);
    });
});
