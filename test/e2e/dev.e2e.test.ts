// The dev stack under the real Pulumi engine against a real kube-apiserver
// (issue 12): preview and up with the policy pack, the objects' content, then
// a clean `preview --expect-no-changes`.
//
// The program runs from a temporary copy of the project (its node_modules
// linked), so that `stack init` (which writes the passphrase salt into the
// stack file) and halyardDir writes never touch the repository. The backend
// is a file backend in a temporary folder.
//
// Needs from the toolchain: the Node.js language host and the tls and random
// providers. When tools/toolchain/build.sh recorded them as refused by the Go
// module proxy, this file skips and says which.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { Cluster, startCluster } from "./support/cluster";
import { createWorkspace, missingToolchain, Workspace } from "./support/pulumiCli";

const REPO = path.resolve(__dirname, "../..");
const STACK = "dev";
// What the project holds that the program and its policy pack need.
const PROJECT_FILES = ["Pulumi.yaml", `Pulumi.${STACK}.yaml`, "index.ts", "package.json", "tsconfig.json", "components", "policies"];
/**
 * The program's knob that puts pulumi.com/skipAwait on objects that wait on
 * pods (the Redis StatefulSet and its Services): this cluster has no kubelet.
 * Set only in this test's copy of the stack, never in a user's stack.
 */
const SKIP_AWAIT_CONFIG = process.env.E2E_SKIP_AWAIT_CONFIG ?? "spinnaker-mtls:e2eSkipAwait";

describe(`e2e: the ${STACK} stack under the real engine`, function () {
    this.timeout(1_800_000);
    let cluster: Cluster | undefined;
    let ws: Workspace | undefined;
    let project = "";
    let namespace = "";
    const policyArgs = ["--policy-pack", "policies", "--policy-pack-config", `policies/config/${STACK}.json`];

    before(async function () {
        const why = missingToolchain(["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "pulumi-resource-tls", "pulumi-resource-random", "kube-apiserver", "kine"]);
        // The toolchain is built by tools/toolchain/build.sh (npm run e2e does it): missing parts fail the suite, never skip it.
        if (why) throw new Error(`the e2e toolchain is incomplete: ${why}`);
        cluster = await startCluster({ toolchainDir: process.env.E2E_TOOLCHAIN_DIR! });
        ws = createWorkspace(cluster.kubeconfig);
        project = path.join(ws.dir, "project");
        fs.mkdirSync(project);
        for (const f of PROJECT_FILES) fs.cpSync(path.join(REPO, f), path.join(project, f), { recursive: true });
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(project, "node_modules"));
        const stackConfig = parse(fs.readFileSync(path.join(project, `Pulumi.${STACK}.yaml`), "utf8")) as { config: Record<string, unknown> };
        namespace = String(stackConfig.config["spinnaker-mtls:namespace"] ?? "spinnaker");

        await ws.ok(["stack", "init", STACK, "--secrets-provider", "passphrase"], project);
        await ws.ok(["config", "set", "spinnaker-mtls:halyardDir", path.join(ws.dir, "halyard")], project);
        await ws.ok(["config", "set", "--type", "bool", SKIP_AWAIT_CONFIG, "true"], project);
        // patch mode (the dev stack's default) patches the user's SpinnakerService,
        // which the Operator's user creates first; here, as that user would.
        const svc = {
            apiVersion: "spinnaker.io/v1alpha2",
            kind: "SpinnakerService",
            metadata: { name: String(stackConfig.config["spinnaker-mtls:spinnakerServiceName"] ?? "spinnaker"), namespace },
            spec: { spinnakerConfig: { config: { version: "1.35.0" } } },
        };
        for (const [p, body] of [
            ["/api/v1/namespaces/" + namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }],
            [`/apis/spinnaker.io/v1alpha2/namespaces/${namespace}/spinnakerservices/${svc.metadata.name}`, svc],
        ] as const) {
            const r = await cluster.request("PATCH", `${p}?fieldManager=e2e-operator-user`, JSON.stringify(body), "application/apply-patch+yaml");
            assert.ok(r.status < 300, `creating ${p}: ${r.status} ${r.body}`);
        }
    });

    after(async function () {
        await cluster?.stop();
        // E2E_KEEP=1 keeps the CLI's logs and the state for a look afterwards.
        if (process.env.E2E_KEEP) console.log(`      kept: ${ws?.dir}`);
        else ws?.remove();
    });

    it("pulumi preview passes the policy pack", async function () {
        const r = await ws!.ok(["preview", ...policyArgs], project);
        assert.doesNotMatch(r.stdout, /mandatory policy violation/i);
    });

    it("pulumi up creates the stack's objects", async function () {
        await ws!.ok(["up", "--yes", "--skip-preview", ...policyArgs], project, 1_200_000);
        const secrets = JSON.parse((await cluster!.request("GET", `/api/v1/namespaces/${namespace}/secrets`)).body) as { items: { metadata: { name: string } }[] };
        assert.ok(secrets.items.length > 0, `no Secrets in ${namespace}`);
        const svc = JSON.parse((await cluster!.request("GET", `/apis/spinnaker.io/v1alpha2/namespaces/${namespace}/spinnakerservices/spinnaker`)).body) as {
            spec: { spinnakerConfig: { config: { version: string }; profiles?: Record<string, unknown> } };
        };
        // The user's field stays; the program's profiles arrive beside it.
        assert.strictEqual(svc.spec.spinnakerConfig.config.version, "1.35.0");
        assert.ok(svc.spec.spinnakerConfig.profiles && Object.keys(svc.spec.spinnakerConfig.profiles).length > 0, "no profiles patched in");
    });

    it("a second preview finds no changes", async function () {
        await ws!.ok(["preview", "--expect-no-changes", ...policyArgs], project);
    });
});
