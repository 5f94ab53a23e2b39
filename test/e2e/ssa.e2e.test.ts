// Server-side apply against a SpinnakerService the Operator's user made first
// (issue 12), under the real Pulumi CLI 3.248.0 and the real Kubernetes
// provider against a real kube-apiserver, dev stack in patch mode.
//
// The user's SpinnakerService carries their own profile keys and their own
// spec.kustomize patch, applied under their field manager. The test proves:
// the program's fields arrive under its manager (the patch's
// pulumi.com/patchFieldManager), the user's fields keep their values and
// their manager; when the user takes over a field the program sets, `pulumi
// preview/up` report the conflict, naming the user's manager and the field,
// and overwrite nothing; with patchForce, `pulumi up` takes over that field
// alone.
//
// The SpinnakerService CRD here is the test cluster's stand-in with an open
// schema (test/e2e/support/cluster.ts), so every list in it is atomic, as the
// Operator's CRD makes patchesStrategicMerge.
//
// Run: bash test/e2e/run.sh test/e2e/ssa.e2e.test.ts
import * as assert from "assert";
import * as YAML from "yaml";
import { exportedResources, standInNotice, StackRun, startStackRun, USER_MANAGER, USER_SPINNAKER_VERSION } from "./support/stackRun";

const STACK = "dev";

interface ManagedField { manager: string; operation: string; fieldsV1?: Record<string, unknown> }
interface SpinnakerService { metadata: { managedFields?: ManagedField[] }; spec: Record<string, unknown> }

// The user's own keys: a provider switched on in Clouddriver's profile, an
// Orca setting, and a kustomize patch of Clouddriver's Deployment (the
// program writes no kustomize patch without istio, docs/spinnaker.md).
const USER_KUSTOMIZE_PATCH = "spec:\n  template:\n    spec:\n      nodeSelector:\n        spinnaker-pool: clouddriver\n";
const userSpec = (): Record<string, unknown> => ({
    spinnakerConfig: {
        config: { version: USER_SPINNAKER_VERSION },
        profiles: {
            clouddriver: { aws: { enabled: true } },
            orca: { tasks: { days: { of: { execution: { to: { keep: 14 } } } } } },
        },
    },
    kustomize: { clouddriver: { deployment: { patchesStrategicMerge: [USER_KUSTOMIZE_PATCH] } } },
});
/** The field of the program's the user takes over in the conflict step. */
const CONFLICT_PATH = ["spec", "spinnakerConfig", "profiles", "clouddriver", "server", "ssl", "client-auth"];
const USER_CLIENT_AUTH = "need";

/** Leaf paths of a JSON tree; a list is one leaf (atomic under server-side apply with an open schema). */
function leafPaths(v: unknown, prefix: string[] = []): string[][] {
    if (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
        return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => leafPaths(x, [...prefix, k]));
    }
    return [prefix];
}

const valueAt = (v: unknown, p: string[]): unknown => p.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), v);

/** The managers whose fieldsV1 hold the field at `p` (as a leaf, "f:<key>" all the way down). */
function ownersOf(obj: SpinnakerService, p: string[]): string[] {
    return (obj.metadata.managedFields ?? []).filter((mf) => {
        const node = p.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[`f:${k}`] : undefined), mf.fieldsV1);
        return node !== undefined;
    }).map((mf) => `${mf.manager}/${mf.operation}`);
}

describe(`e2e: server-side apply onto the user's SpinnakerService (${STACK}, patch mode)`, function () {
    this.timeout(1_800_000);
    let run: StackRun | undefined;
    /** The program's leaf fields in the SpinnakerService (from its patch's inputs), and its field manager. */
    let programLeaves: string[][] = [];
    let programManager = "";

    const getSvc = async (): Promise<SpinnakerService> => {
        const r = await run!.cluster.request("GET", run!.spinnakerServicePath);
        assert.strictEqual(r.status, 200, `GET ${run!.spinnakerServicePath}: ${r.status} ${r.body}`);
        return JSON.parse(r.body) as SpinnakerService;
    };
    /** The user re-applies their whole configuration (as `kubectl apply --server-side` does), with `extra` merged in. */
    const userApply = async (extraProfile: Record<string, unknown>, force: boolean) => {
        const spec = userSpec();
        const profiles = (spec.spinnakerConfig as { profiles: Record<string, Record<string, unknown>> }).profiles;
        profiles.clouddriver = { ...profiles.clouddriver, ...extraProfile };
        const body = { apiVersion: run!.spinnakerServicePath.split("/").slice(2, 4).join("/"), kind: "SpinnakerService", metadata: { name: run!.spinnakerServiceName, namespace: run!.namespace }, spec };
        const r = await run!.cluster.request("PATCH", `${run!.spinnakerServicePath}?fieldManager=${USER_MANAGER}&force=${force}`, JSON.stringify(body), "application/apply-patch+yaml");
        assert.ok(r.status < 300, `the user's apply: ${r.status} ${r.body}`);
    };
    /** Every field the user applied keeps the user's value and the user's manager. */
    const assertUserFieldsIntact = (svc: SpinnakerService) => {
        for (const p of leafPaths(userSpec(), ["spec"])) {
            assert.deepStrictEqual(valueAt(svc, p), valueAt({ spec: userSpec() }, p), `the user's ${p.join(".")} changed`);
            assert.deepStrictEqual(ownersOf(svc, p), [`${USER_MANAGER}/Apply`], `owners of the user's ${p.join(".")}`);
        }
    };

    before(async function () {
        console.log(`      ${standInNotice()}`);
        run = await startStackRun(STACK, [], { userSpinnakerServiceSpec: userSpec() });
    });

    after(async function () {
        await run?.stop();
    });

    it("pulumi up patches the program's fields in under its own field manager and leaves the user's fields theirs", async function () {
        await run!.ws.ok(["up", "--yes", "--skip-preview", ...run!.policyArgs], run!.project, 1_200_000);
        const patch = (await exportedResources(run!)).find((r) => r.type.endsWith("SpinnakerServicePatch"));
        assert.ok(patch, "no SpinnakerService patch in the state");
        const inputs = patch.inputs as { metadata: { annotations: Record<string, string> }; spec: Record<string, unknown> };
        programManager = inputs.metadata.annotations["pulumi.com/patchFieldManager"];
        assert.strictEqual(programManager, "spinnaker-mtls");
        assert.strictEqual(inputs.metadata.annotations["pulumi.com/patchForce"], undefined, "patchForce is on by default");
        programLeaves = leafPaths(inputs.spec, ["spec"]);
        assert.ok(programLeaves.some((p) => p.join(".") === CONFLICT_PATH.join(".")), `the program does not set ${CONFLICT_PATH.join(".")}`);

        const svc = await getSvc();
        for (const p of programLeaves) {
            assert.deepStrictEqual(valueAt(svc, p), valueAt({ spec: inputs.spec }, p), `${p.join(".")} is not the program's value`);
            assert.deepStrictEqual(ownersOf(svc, p), [`${programManager}/Apply`], `owners of the program's ${p.join(".")}`);
        }
        assertUserFieldsIntact(svc);
        // The two sets meet only in the maps they share (profiles.clouddriver), never in a leaf.
        const user = new Set(leafPaths(userSpec(), ["spec"]).map((p) => p.join(".")));
        assert.deepStrictEqual(programLeaves.map((p) => p.join(".")).filter((p) => user.has(p)), []);
    });

    it("when the user takes over a field the program sets, preview and up report the conflict and overwrite nothing", async function () {
        assert.ok(programManager, "the up step failed");
        // As `kubectl apply --server-side --force-conflicts` would: the user's manager now owns client-auth.
        await userApply({ server: { ssl: { "client-auth": USER_CLIENT_AUTH } } }, true);
        const before = await getSvc();
        assert.strictEqual(valueAt(before, CONFLICT_PATH), USER_CLIENT_AUTH);
        assert.deepStrictEqual(ownersOf(before, CONFLICT_PATH), [`${USER_MANAGER}/Apply`]);

        // --refresh: the engine diffs against the recorded state unless it reads the cluster first.
        for (const cmd of [["preview", "--refresh"], ["up", "--yes", "--refresh", "--skip-preview"]]) {
            const r = await run!.ws.run([...cmd, ...run!.policyArgs], run!.project, 1_200_000);
            assert.notStrictEqual(r.code, 0, `pulumi ${cmd.join(" ")} accepted a conflicting field:\n${r.stdout}`);
            const out = `${r.stdout}\n${r.stderr}`;
            assert.match(out, /Server-Side Apply field conflict detected/, out);
            assert.match(out, new RegExp(`field manager "${programManager}" had an apply conflict`), out);
            // One conflict: the field the user took over, not the rest of the program's fields.
            assert.match(out, /Apply failed with 1 conflict:/, out);
            assert.match(out, new RegExp(`conflict with "${USER_MANAGER}"[^\\n]*\\.spec\\.spinnakerConfig\\.profiles\\.clouddriver\\.server\\.ssl\\.client-auth`), out);
        }
        const after = await getSvc();
        assert.strictEqual(valueAt(after, CONFLICT_PATH), USER_CLIENT_AUTH, "the conflicting field was overwritten");
        assert.deepStrictEqual(ownersOf(after, CONFLICT_PATH), [`${USER_MANAGER}/Apply`]);
        assertUserFieldsIntact(after);
    });

    it("with patchForce, pulumi up takes over the conflicting field only", async function () {
        assert.ok(programManager, "the up step failed");
        await run!.ws.ok(["config", "set", "--type", "bool", "spinnaker-mtls:patchForce", "true"], run!.project);
        await run!.ws.ok(["up", "--yes", "--refresh", "--skip-preview", ...run!.policyArgs], run!.project, 1_200_000);
        const svc = await getSvc();
        // The program's value again, under the program's manager alone.
        assert.strictEqual(valueAt(svc, CONFLICT_PATH), run!.config["spinnaker-mtls:clientAuth"]);
        assert.deepStrictEqual(ownersOf(svc, CONFLICT_PATH), [`${programManager}/Apply`]);
        // Every other field of the program's stays its; every field the user applied stays the user's.
        for (const p of programLeaves) assert.deepStrictEqual(ownersOf(svc, p), [`${programManager}/Apply`], `owners of the program's ${p.join(".")}`);
        assertUserFieldsIntact(svc);
        // The user's manager still holds everything it applied besides the field taken over.
        const userEntry = (svc.metadata.managedFields ?? []).find((mf) => mf.manager === USER_MANAGER);
        assert.ok(userEntry, "the user's manager lost every field");
        assert.ok(!JSON.stringify(userEntry.fieldsV1).includes('"f:client-auth"'), "the user's manager still owns client-auth");
        await run!.ws.ok(["preview", "--expect-no-changes", "--refresh", ...run!.policyArgs], run!.project);
    });

    it("with the mesh's port patch, a Service patch of the user's declared in spinnakerServicePatches survives up beside the program's", async function () {
        assert.ok(programManager, "the up step failed");
        const userServicePatch = { metadata: { annotations: { "team.example.com/owner": "platform" } } };
        // The user's own patch of Gate's Service, applied by the user first, as before the program owned the list.
        const body = {
            apiVersion: run!.spinnakerServicePath.split("/").slice(2, 4).join("/"),
            kind: "SpinnakerService",
            metadata: { name: run!.spinnakerServiceName, namespace: run!.namespace },
            spec: { ...userSpec(), kustomize: { ...(userSpec().kustomize as object), gate: { service: { patchesStrategicMerge: [JSON.stringify(userServicePatch)] } } } },
        };
        const applied = await run!.cluster.request("PATCH", `${run!.spinnakerServicePath}?fieldManager=${USER_MANAGER}&force=true`, JSON.stringify(body), "application/apply-patch+yaml");
        assert.ok(applied.status < 300, `the user's apply: ${applied.status} ${applied.body}`);
        // The mesh with the port patch (the program now owns each Service's patch list), and the user's patch declared in stack config.
        for (const [k, v] of [["istio", "true"], ["istioServicePortPatch", "true"], ["spinnakerServicePatches", JSON.stringify({ gate: [userServicePatch] })]]) {
            await run!.ws.ok(["config", "set", `spinnaker-mtls:${k}`, v], run!.project);
        }
        await run!.ws.ok(["up", "--yes", "--refresh", "--skip-preview", ...run!.policyArgs], run!.project, 1_200_000);
        const svc = await getSvc();
        const list = (valueAt(svc, ["spec", "kustomize", "gate", "service", "patchesStrategicMerge"]) as string[] | undefined) ?? [];
        const parsed = list.map((p) => JSON.stringify(YAML.parse(p)));
        assert.strictEqual(parsed.length, 2, `gate's Service patches: ${JSON.stringify(list)}`);
        assert.strictEqual(parsed[0], JSON.stringify(userServicePatch), "the user's patch is first, intact");
        assert.match(parsed[1], /"appProtocol":"tcp"/, "the program's port protocol is last");
        assert.deepStrictEqual(ownersOf(svc, ["spec", "kustomize", "gate", "service", "patchesStrategicMerge"]), [`${programManager}/Apply`]);
        await run!.ws.ok(["preview", "--expect-no-changes", ...run!.policyArgs], run!.project);
    });
});
