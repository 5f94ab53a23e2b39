// SpinnakerMtls as a component, under the real Pulumi CLI and API server:
//
// - an existing dev stack, as the program left it before the component (its
//   resources at the stack root), moves into the component: the first `up`
//   creates the component itself and nothing else, replacing, updating and
//   deleting nothing, and a second preview has no changes;
// - a Pulumi YAML program (the real YAML language host) uses SpinnakerMtls
//   through the component-package route: plugin/
//   declared in Pulumi.yaml's `packages` (what `pulumi package add` links in;
//   the YAML host built here predates that link), the schema inferred from
//   the TypeScript component, `pulumi up` judged by the policy pack, and the
//   certificates in the cluster.
//
// The Node.js side (the component provider under cmd/run-plugin, and the dev
// program) runs on this project's STAND-IN language host (the test prints it).
//
// Run: bash test/e2e/run.sh test/e2e/component.e2e.test.ts
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { COMPONENT_TYPE, asBeforeTheComponent } from "../support/preComponentState";
import { createWorkspace, missingToolchain, Workspace } from "./support/pulumiCli";
import { Cluster, startCluster } from "./support/cluster";
import { exportedResources, policyFindings, PROJECT_FILES, REPO, standInNotice, StackRun, startStackRun } from "./support/stackRun";

const PRE_COMPONENT_URNS = JSON.parse(fs.readFileSync(path.join(REPO, "test/components/spinnakerMtls/preComponentUrns.json"), "utf8")) as Record<string, string[]>;

interface PreviewJson { steps?: { op: string; urn: string; type?: string }[]; changeSummary?: Record<string, number> }

describe("e2e: an existing stack moves into the SpinnakerMtls component (dev)", function () {
    this.timeout(1_800_000);
    let run: StackRun | undefined;

    before(async function () {
        console.log(`      ${standInNotice()}`);
        run = await startStackRun("dev");
        await run.ws.ok(["config", "set", "spinnaker-mtls:clientAuth", "want"], run.project);
        await run.ws.ok(["up", "--yes", "--skip-preview"], run.project, 1_200_000);
    });

    after(async () => run?.stop());

    it("the state, as the pre-component program left it, is carried over: only the component is created", async function () {
        const exported = await run!.ws.ok(["stack", "export"], run!.project);
        const before = asBeforeTheComponent(JSON.parse(exported.stdout) as { deployment: { resources: { urn: string }[] } });
        // The simulation holds only if it gives exactly the URNs the old program had, but for what was
        // added since on purpose (Gate's client-certificate port's Service, and the generated CA's issuing CA;
        // see the unit test).
        const added = (urn: string) => urn.includes("::spinnaker-mtls:spinnaker:GateApiService") || /CertificateAuthority\$tls:index\/[a-zA-Z]+:[a-zA-Z]+::spinnaker-ca-issuing-(key|csr|cert)$/.test(urn);
        // The engine's default providers (tls and random as default_<version>, and the builtin pulumi
        // provider, plain "default", that the CA rotation's read of the last outputs registers) are the
        // real engine's alone: the offline engine that recorded the old URNs makes none
        // (docs/offline-engine.md), and they do not move.
        const defaultProvider = (urn: string) => /::pulumi:providers:[a-z]+::default(_|$)/.test(urn);
        assert.deepStrictEqual(before.deployment.resources.map((r) => r.urn).filter((u) => !added(u) && !defaultProvider(u)).sort(), PRE_COMPONENT_URNS.dev);
        const file = path.join(run!.ws.dir, "pre-component.json");
        fs.writeFileSync(file, JSON.stringify(before));
        await run!.ws.ok(["stack", "import", "--file", file], run!.project);

        const preview = await run!.ws.ok(["preview", "--json"], run!.project);
        const plan = JSON.parse(preview.stdout) as PreviewJson;
        const byOp = (op: string) => (plan.steps ?? []).filter((s) => s.op === op).map((s) => s.urn);
        assert.deepStrictEqual(byOp("create").map((u) => u.split("::").slice(-2).join("::")), [`${COMPONENT_TYPE}::spinnaker`]);
        for (const op of ["replace", "create-replacement", "delete-replaced", "delete", "update"]) assert.deepStrictEqual(byOp(op), [], `${op} steps`);

        const up = await run!.ws.ok(["up", "--yes", "--skip-preview", ...run!.policyArgs], run!.project, 1_200_000);
        assert.deepStrictEqual(policyFindings(up.stdout).filter((f) => f.level === "mandatory"), []);
        const after = await exportedResources(run!);
        assert.ok(after.some((r) => r.type === COMPONENT_TYPE), "the component is in the state");
        assert.ok(!after.some((r) => PRE_COMPONENT_URNS.dev.includes(r.urn) && r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:pulumi")), "no resource kept its root-level URN");
        await run!.ws.ok(["preview", "--expect-no-changes", ...run!.policyArgs], run!.project);
    });
});

describe("e2e: a Pulumi YAML program uses SpinnakerMtls as a component package", function () {
    this.timeout(1_800_000);
    let cluster: Cluster | undefined;
    let ws: Workspace | undefined;
    let project = "";
    const namespace = "spinnaker-yaml";
    // The default services: Spinnaker always deploys clouddriver, deck, echo, front50, gate, orca and
    // rosco, so the pack judges their mTLS whether a stack names them or not.
    const services = ["clouddriver", "deck", "echo", "fiat", "front50", "gate", "igor", "orca", "rosco"];

    before(async function () {
        const why = missingToolchain(["pulumi", "pulumi-language-yaml", "pulumi-language-nodejs", "pulumi-resource-kubernetes", "pulumi-resource-tls", "pulumi-resource-random", "kube-apiserver", "kine"]);
        if (why) throw new Error(`the e2e toolchain is incomplete: ${why}`);
        console.log(`      ${standInNotice()}`);
        cluster = await startCluster({ toolchainDir: process.env.E2E_TOOLCHAIN_DIR! });
        ws = createWorkspace(cluster.kubeconfig);
        // The package as a user has it: this project's files (plugin/ imports the component from them), with its dependencies.
        const pkg = path.join(ws.dir, "spinnaker-mtls");
        fs.mkdirSync(pkg);
        for (const f of [...PROJECT_FILES, "plugin"]) fs.cpSync(path.join(REPO, f), path.join(pkg, f), { recursive: true });
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(pkg, "node_modules"));
        fs.symlinkSync(path.join(REPO, "node_modules"), path.join(pkg, "plugin", "node_modules"));

        project = path.join(ws.dir, "yaml-program");
        fs.mkdirSync(project);
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), stringify({
            name: "platform-team",
            runtime: "yaml",
            description: "Another team's program: SpinnakerMtls among its own resources",
            resources: {
                spinnaker: {
                    type: COMPONENT_TYPE,
                    properties: {
                        namespace,
                        clientAuth: "need",
                        spinnakerServiceMode: "create",
                        spinnakerVersion: "1.35.0",
                        gateUrl: "https://spinnaker-api.platform.example",
                        deckUrl: "https://spinnaker.platform.example",
                        // The production pack wants every Spinnaker namespace under STRICT mTLS.
                        istio: true,
                        istioServicePortPatch: true,
                    },
                },
            },
            outputs: {
                caCertificatePem: "${spinnaker.caCertificatePem}",
                serviceCertificates: "${spinnaker.serviceCertificates}",
            },
        }));
        const ns = await cluster.request("POST", "/api/v1/namespaces", JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }));
        assert.ok(ns.status < 300, `creating ${namespace}: ${ns.status} ${ns.body}`);
        await ws.ok(["stack", "init", "yaml", "--secrets-provider", "passphrase"], project);
        // `pulumi package add` ends by asking the YAML language host to link the package into
        // Pulumi.yaml; the YAML host built here (v1.25.0, see test/e2e/build/toolchain/build.sh)
        // predates that call ("method Link not implemented"). So the program declares the package
        // itself, as Link would (docs/component.md).
        const declared = fs.readFileSync(path.join(project, "Pulumi.yaml"), "utf8");
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), `${declared}packages:\n  spinnaker-mtls: ${path.join(pkg, "plugin")}\n`);
    });

    after(async function () {
        await cluster?.stop();
        if (process.env.E2E_KEEP) console.log(`      kept: ${ws?.dir}`);
        else ws?.remove();
    });

    it("pulumi up runs the component through its package and passes the policy pack", async function () {
        const up = await ws!.ok(["up", "--yes", "--skip-preview", "--policy-pack", path.join(REPO, "policies"), "--policy-pack-config", path.join(REPO, "policies/config/prod.json")], project, 1_200_000);
        assert.deepStrictEqual(policyFindings(up.stdout), []);
    });

    it("the component's children are in the state and the cluster, and its outputs reach the YAML program", async function () {
        const exported = JSON.parse((await ws!.ok(["stack", "export"], project)).stdout) as { deployment: { resources: { urn: string; type: string; parent?: string }[] } };
        const component = exported.deployment.resources.find((r) => r.type === COMPONENT_TYPE);
        assert.ok(component, "no SpinnakerMtls in the state");
        assert.ok(exported.deployment.resources.filter((r) => r.parent === component.urn).length > services.length, "the component has its children");
        for (const s of services) {
            const secret = await cluster!.request("GET", `/api/v1/namespaces/${namespace}/secrets/spin-${s}-tls`);
            assert.strictEqual(secret.status, 200, `spin-${s}-tls: ${secret.status}`);
        }
        const outputs = JSON.parse((await ws!.ok(["stack", "output", "--json"], project)).stdout) as { caCertificatePem: string; serviceCertificates: Record<string, { dnsNames: string[] }> };
        assert.match(outputs.caCertificatePem, /^-----BEGIN CERTIFICATE-----/);
        assert.deepStrictEqual(Object.keys(outputs.serviceCertificates).sort(), services);
        assert.ok(outputs.serviceCertificates.gate.dnsNames.includes(`spin-gate.${namespace}.svc`));
        await ws!.ok(["preview", "--expect-no-changes"], project);
    });

    it("a bad arg is refused before anything is registered, naming the arg, without a stack trace", async function () {
        const file = path.join(project, "Pulumi.yaml");
        const original = fs.readFileSync(file, "utf8");
        fs.writeFileSync(file, original.replace("clientAuth: need", "clientAuth: optional"));
        try {
            const r = await ws!.run(["preview"], project);
            assert.notStrictEqual(r.code, 0);
            const out = `${r.stdout}\n${r.stderr}`;
            assert.match(out, /clientAuth/, out);
            assert.doesNotMatch(out, /^\s+at .+\(.+:\d+:\d+\)$/m, "a stack trace");
        } finally {
            fs.writeFileSync(file, original);
        }
    });
});
