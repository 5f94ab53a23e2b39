// Smoke test of the e2e toolchain (issue 12): the real Pulumi CLI and engine,
// the Kubernetes provider (built from the one provider commit the Go module
// proxy serves, installed in the 4.34.2 plugin slot; see
// test/e2e/build/toolchain/build.sh), and a real kube-apiserver (kine storage,
// kube-controller-manager for namespace deletion). The program is Pulumi YAML
// on the real YAML language host, so that this suite judges the toolchain
// alone, without this project's code or its stand-ins (the Node.js language
// host and the tls/random providers, which the program's suites use). It
// proves what the real engine and provider do that the offline engine only
// emulates: server-side apply with field managers, a *Patch resource on an
// object another manager owns, secrets through the provider, a clean second
// preview, refresh without drift, and destroy.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Cluster, startCluster } from "./support/cluster";
import { createWorkspace, missingToolchain, Workspace } from "./support/pulumiCli";

const NS = "e2e-smoke";
const USER_MANAGER = "e2e-user-kubectl";

// A user's object the stack patches but does not own (as with the SpinnakerService).
const USER_CONFIGMAP = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "user-settings", namespace: "default" },
    data: { "user-key": "user-value" },
};

const PROGRAM = `name: e2e-smoke
runtime: yaml
config:
  greeting:
    type: string
  password:
    type: string
resources:
  ns:
    type: kubernetes:core/v1:Namespace
    properties:
      metadata:
        name: ${NS}
  settings:
    type: kubernetes:core/v1:ConfigMap
    properties:
      metadata:
        name: settings
        namespace: \${ns.metadata.name}
      data:
        greeting: \${greeting}
  creds:
    type: kubernetes:core/v1:Secret
    properties:
      metadata:
        name: creds
        namespace: \${ns.metadata.name}
      stringData:
        password: \${password}
  userPatch:
    type: kubernetes:core/v1:ConfigMapPatch
    properties:
      metadata:
        name: ${USER_CONFIGMAP.metadata.name}
        namespace: ${USER_CONFIGMAP.metadata.namespace}
        annotations:
          pulumi.com/patchFieldManager: e2e-smoke-program
      data:
        program-key: program-value
outputs:
  settingsUid: \${settings.metadata.uid}
`;

interface ManagedField { manager: string; operation: string; fieldsV1?: { "f:data"?: Record<string, unknown> } }
interface KubeObject { metadata: { uid: string; managedFields?: ManagedField[] }; data?: Record<string, string> }

describe("e2e smoke: real CLI, engine and Kubernetes provider against kube-apiserver", function () {
    this.timeout(1_200_000);
    let cluster: Cluster | undefined;
    let ws: Workspace | undefined;
    let project = "";
    const password = crypto.randomBytes(12).toString("hex");

    const get = async (p: string): Promise<{ status: number; obj: KubeObject }> => {
        const r = await cluster!.request("GET", p);
        return { status: r.status, obj: JSON.parse(r.body) as KubeObject };
    };

    before(async function () {
        const why = missingToolchain(["pulumi", "pulumi-language-yaml", "pulumi-resource-kubernetes", "kube-apiserver", "kine"]);
        // The toolchain is built by test/e2e/build/toolchain/build.sh (npm run e2e does it): missing parts fail the suite, never skip it.
        if (why) throw new Error(`the e2e toolchain is incomplete: ${why}`);
        cluster = await startCluster({ toolchainDir: process.env.E2E_TOOLCHAIN_DIR!, crds: false });
        ws = createWorkspace(cluster.kubeconfig);
        project = path.join(ws.dir, "project");
        fs.mkdirSync(project);
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), PROGRAM);
        // The user's object exists before the stack, applied under the user's own manager.
        const r = await cluster.request("PATCH", `/api/v1/namespaces/default/configmaps/${USER_CONFIGMAP.metadata.name}?fieldManager=${USER_MANAGER}`,
            JSON.stringify(USER_CONFIGMAP), "application/apply-patch+yaml");
        assert.ok(r.status < 300, `creating the user's ConfigMap: ${r.status} ${r.body}`);
        await ws.ok(["stack", "init", "e2e", "--secrets-provider", "passphrase"], project);
        await ws.ok(["config", "set", "greeting", "hello from e2e"], project);
        await ws.ok(["config", "set", "--secret", "password", password], project);
    });

    after(async function () {
        await cluster?.stop();
        // E2E_KEEP=1 keeps the CLI's logs and the state for a look afterwards.
        if (process.env.E2E_KEEP) console.log(`      kept: ${ws?.dir}`);
        else ws?.remove();
    });

    it("previews the creates without touching the cluster", async function () {
        const r = await ws!.ok(["preview", "--diff"], project);
        // The four objects and the stack itself.
        assert.match(r.stdout, /\+ 5 to create/, r.stdout);
        assert.strictEqual((await get(`/api/v1/namespaces/${NS}`)).status, 404, "preview created the namespace");
    });

    it("pulumi up creates the objects with the expected content, under its field manager", async function () {
        await ws!.ok(["up", "--yes", "--skip-preview"], project);
        const cm = await get(`/api/v1/namespaces/${NS}/configmaps/settings`);
        assert.strictEqual(cm.status, 200);
        assert.deepStrictEqual(cm.obj.data, { greeting: "hello from e2e" });
        // Server-side apply: the provider's manager owns the data it set.
        const applied = (cm.obj.metadata.managedFields ?? []).filter((f) => f.operation === "Apply");
        assert.ok(applied.some((f) => f.manager.startsWith("pulumi") && f.fieldsV1?.["f:data"]?.["f:greeting"] !== undefined),
            `no Apply manager owns data.greeting: ${JSON.stringify(cm.obj.metadata.managedFields)}`);

        const secret = await get(`/api/v1/namespaces/${NS}/secrets/creds`);
        assert.strictEqual(Buffer.from(secret.obj.data!.password, "base64").toString(), password);
        const state = await ws!.ok(["stack", "export"], project);
        assert.ok(!state.stdout.includes(password), "the secret's plaintext is in the state");
    });

    it("the patch adds the program's key under its manager and leaves the user's key and manager alone", async function () {
        const cm = await get(`/api/v1/namespaces/default/configmaps/${USER_CONFIGMAP.metadata.name}`);
        assert.deepStrictEqual(cm.obj.data, { "user-key": "user-value", "program-key": "program-value" });
        const owners = (key: string) => (cm.obj.metadata.managedFields ?? [])
            .filter((f) => f.fieldsV1?.["f:data"]?.[`f:${key}`] !== undefined).map((f) => f.manager);
        assert.deepStrictEqual(owners("user-key"), [USER_MANAGER]);
        assert.deepStrictEqual(owners("program-key"), ["e2e-smoke-program"]);
    });

    it("a second preview finds no changes and refresh finds no drift", async function () {
        await ws!.ok(["preview", "--expect-no-changes"], project);
        await ws!.ok(["refresh", "--yes", "--expect-no-changes"], project);
    });

    it("pulumi destroy removes what the stack created and only that", async function () {
        await ws!.ok(["destroy", "--yes"], project);
        // The namespace is gone (kube-controller-manager emptied and finalized it).
        assert.strictEqual((await get(`/api/v1/namespaces/${NS}`)).status, 404);
        // The user's object stays, with the user's key; the program's key left with the patch.
        const cm = await get(`/api/v1/namespaces/default/configmaps/${USER_CONFIGMAP.metadata.name}`);
        assert.strictEqual(cm.status, 200);
        assert.deepStrictEqual(cm.obj.data, { "user-key": "user-value" });
    });
});
