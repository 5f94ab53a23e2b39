// The differential test (issue 12): the dev and prod stacks, under the same
// config, run by the offline engine (engine/run.ts, in this process) and by
// the real Pulumi CLI 3.248.0 with the real Kubernetes provider against a
// real kube-apiserver (`pulumi up`, then `pulumi stack export
// --show-secrets`). They must agree on the set of resources (type, name,
// parent, provider), on every input, and on the public outputs, except values
// random by nature and the differences test/e2e/support/differential.ts lists
// with their reasons. A disagreement fails with the resource's URN and the
// field's path.
//
// The tls/random providers and the Node.js language host on the CLI side are
// this project's STAND-INS (test/e2e/build/standins/README.md): what
// this proves about them is agreement with the offline engine, not with
// upstream. Real on the CLI side: the engine's URNs, parents, provider
// references and state, the Kubernetes provider's inputs and outputs.
//
// Run: bash test/e2e/run.sh test/e2e/differential.e2e.test.ts
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { NO_KUBELET_ENV } from "../../components/kubernetes/skipAwait";
import { PINNED_CONFIG, run as offlineRun } from "../support/stacks";
import { CertManagerServing, NO_ACME_OVERRIDES, serveCertManager } from "./support/certManager";
import { compare, describe as describeDifference, ExportedState, fromExport, fromOffline, isDefaultProvider, Resource, SECRET } from "./support/differential";
import { standInNotice, StackRun, startStackRun } from "./support/stackRun";

interface StackCase {
    stack: string;
    /** Namespaces the stack expects installed before it (see prod.e2e.test.ts). */
    userNamespaces: string[];
    /** Config the e2e copy changes beyond halyardDir: key to value, or null to remove. */
    overrides: Record<string, string | null>;
    certManager: boolean;
}

const CASES: StackCase[] = [
    { stack: "dev", userNamespaces: [], overrides: {}, certManager: false },
    {
        stack: "prod",
        userNamespaces: ["cert-manager", "istio-system"],
        // As prod.e2e.test.ts: no ACME server here, so the ingress certificate comes from the program's CA.
        overrides: { ...NO_ACME_OVERRIDES },
        certManager: true,
    },
];

for (const c of CASES) {
    describe(`e2e differential: the ${c.stack} stack, offline engine against the real CLI`, function () {
        this.timeout(1_800_000);
        let run: StackRun | undefined;
        let certManager: CertManagerServing | undefined;
        let offline: Resource[] = [];
        let real: Resource[] = [];

        before(async function () {
            console.log(`      ${standInNotice()}`);
            run = await startStackRun(c.stack, c.userNamespaces);
            if (c.certManager) {
                // prod's Certificates wait for Ready (pulumi.com/waitFor): cert-manager's own controller answers.
                certManager = await serveCertManager(run.cluster, path.join(run.ws.dir, "cert-manager"));
            }
            // The same config on both sides: what startStackRun sets in the e2e
            // copy, the stack's overrides, and what the offline runs pin.
            const config: Record<string, string> = {
                ...PINNED_CONFIG[c.stack],
                "spinnaker-mtls:halyardDir": path.join(run.ws.dir, "halyard"),
            };
            for (const [k, v] of Object.entries(PINNED_CONFIG[c.stack] ?? {})) await run.ws.ok(["config", "set", k, v], run.project);
            for (const [k, v] of Object.entries(c.overrides)) {
                if (v === null) {
                    await run.ws.ok(["config", "rm", k], run.project);
                    // Unset and "" are the same to the program (every optional key defaults to "").
                    config[k] = "";
                } else {
                    await run.ws.ok(["config", "set", k, v], run.project);
                    config[k] = v;
                }
            }
            // The Kubernetes SDK's Provider takes kubeconfig from KUBECONFIG when
            // the program gives none: the CLI's program sees the workspace's, so
            // the offline run does too (only for the run: it reads no cluster).
            const started = Date.now();
            // The same goes for the no-kubelet switch the CLI's environment carries.
            const saved = { KUBECONFIG: process.env.KUBECONFIG, [NO_KUBELET_ENV]: process.env[NO_KUBELET_ENV] };
            process.env.KUBECONFIG = run.ws.env.KUBECONFIG;
            process.env[NO_KUBELET_ENV] = run.ws.env[NO_KUBELET_ENV];
            try {
                offline = fromOffline((await offlineRun({ stack: c.stack, config })).resources);
            } finally {
                for (const [k, v] of Object.entries(saved)) {
                    if (v === undefined) delete process.env[k];
                    else process.env[k] = v;
                }
            }
            console.log(`      offline engine: ${offline.length} resources in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });

        after(async function () {
            await certManager?.stop();
            await run?.stop();
        });

        it("pulumi up succeeds and the state exports with secrets", async function () {
            const started = Date.now();
            await run!.ws.ok(["up", "--yes", "--skip-preview"], run!.project, 1_200_000);
            const exported = await run!.ws.ok(["stack", "export", "--show-secrets"], run!.project);
            real = fromExport((JSON.parse(exported.stdout) as { deployment: { resources?: ExportedState[] } }).deployment.resources ?? []);
            console.log(`      real CLI: ${real.length} resources (up and export in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
            if (process.env.E2E_KEEP) {
                // For a look at both sides; the folder is kept and holds secrets anyway (the state).
                fs.writeFileSync(path.join(run!.ws.dir, "offline.json"), JSON.stringify(offline, null, 2));
                fs.writeFileSync(path.join(run!.ws.dir, "real.json"), JSON.stringify(real, null, 2));
            }
            assert.ok(real.length > 0, "the real state holds no resources");
        });

        it("both engines record the same resources: type, name, parent, provider", function () {
            assert.ok(real.length > 0, "no real state (pulumi up failed)");
            const result = compare(offline, real);
            assert.deepStrictEqual({ onlyOffline: result.onlyOffline, onlyReal: result.onlyReal }, { onlyOffline: [], onlyReal: [] }, "resources recorded by one engine only");
            const identity = result.differences.filter((d) => !d.path.startsWith("inputs") && !d.path.startsWith("outputs"));
            assert.deepStrictEqual(identity.map(describeDifference), []);
            // The default providers are the real engine's alone (see differential.ts); every one is used, by a
            // resource or, for the builtin "pulumi" package, by the program's read of its last deployment's
            // outputs (pulumi:pulumi:readStackOutputs, an invoke: no resource names that provider).
            const defaults = real.filter(isDefaultProvider).map((r) => `default ${r.type.replace("pulumi:providers:", "")}`);
            const used = new Set([...real.map((r) => r.provider).filter((p) => p?.startsWith("default ")), "default pulumi"]);
            assert.deepStrictEqual([...new Set(defaults)].sort(), [...used].sort());
        });

        it("both engines record the same inputs, but for values random by nature", function () {
            assert.ok(real.length > 0, "no real state (pulumi up failed)");
            const result = compare(offline, real);
            assert.strictEqual(result.compared, offline.length);
            const d = result.differences.filter((x) => x.path.startsWith("inputs"));
            assert.deepStrictEqual(d.map(describeDifference), []);
        });

        it("both engines record the same public outputs (the live object holds what the offline engine records)", function () {
            assert.ok(real.length > 0, "no real state (pulumi up failed)");
            const d = compare(offline, real).differences.filter((x) => x.path.startsWith("outputs"));
            assert.deepStrictEqual(d.map(describeDifference), []);
        });

        it("the comparison itself sees a changed field, a changed secret value and a changed parent", function () {
            assert.ok(real.length > 0, "no real state (pulumi up failed)");
            // Mutations of the offline side that the comparison must catch, each by URN and path.
            const secretObject = offline.find((r) => r.type === "kubernetes:core/v1:Secret" && JSON.stringify(r.inputs).includes(SECRET))!;
            const configMap = offline.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!;
            const child = offline.find((r) => r.parent && r.custom && r.type.startsWith("kubernetes:"))!;
            assert.ok(secretObject && configMap && child, "the stack has a Secret, a ConfigMap and a parented object");
            const mutated = offline.map((r) => structuredClone(r));
            const at = (urn: string) => mutated.find((r) => r.urn === urn)!;
            (at(configMap.urn).inputs.metadata as Record<string, unknown>).name = "renamed";
            // The first value under a secret in the Secret's inputs, replaced by other text.
            const replaceFirstSecretLeaf = (v: unknown, p: string, underSecret: boolean): string | undefined => {
                if (!v || typeof v !== "object") return undefined;
                for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
                    const here = `${p}.${k}`;
                    if (typeof x === "string" && (underSecret || k === SECRET)) {
                        (v as Record<string, unknown>)[k] = Buffer.from("not what the program wrote").toString("base64");
                        return here;
                    }
                    const found = replaceFirstSecretLeaf(x, here, underSecret || k === SECRET);
                    if (found) return found;
                }
                return undefined;
            };
            const secretPath = replaceFirstSecretLeaf(at(secretObject.urn).inputs, "inputs", false);
            assert.ok(secretPath, "no secret value in the Secret's inputs");
            at(child.urn).parent = configMap.urn;
            const found = compare(mutated, real).differences.map((d) => `${d.urn} ${d.path}`);
            for (const expected of [`${configMap.urn} inputs.metadata.name`, `${secretObject.urn} ${secretPath}`, `${child.urn} parent`]) {
                assert.ok(found.includes(expected), `the comparison missed ${expected}`);
            }
        });
    });
}
