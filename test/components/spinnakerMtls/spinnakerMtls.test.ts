// SpinnakerMtls as a component: its args are checked as the stack config is,
// naming the arg; a program that passes the dev stack's settings as typed args
// gets the dev stack's resources; and an existing stack of this project (its
// resources at the stack root, as before the component) keeps every one.
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, withKeyNames } from "../../../components/config";
import { SpinnakerMtls, SpinnakerMtlsArgs, SpinnakerMtlsArgsError, argName, argsToRawConfig, observeLastDeployment } from "../../../components/spinnakerMtls";
import { loadProject, readStackConfig } from "../../../engine/project";
import { PROJECT_ROOT, RunResult } from "../../../engine/run";
import { OfflineMonitor, unwrap } from "../../../engine/monitor";
import { newCa } from "../../support/pki";
import { COMPONENT_TYPE, asBeforeTheComponent } from "../../support/preComponentState";
import { PINNED_CONFIG, run, stackRun } from "../../support/stacks";

const CONSUMER = path.join(__dirname, "consumer");
const NOW = new Date("2026-12-01T00:00:00Z");
/** The program's URNs before the component (see the file's _about). */
const PRE_COMPONENT_URNS = JSON.parse(fs.readFileSync(path.join(__dirname, "preComponentUrns.json"), "utf8")) as Record<string, string[]>;

/** The browser URLs a program with its own load balancer names. */
const URLS = { gateUrl: "https://spinnaker-api.example.com", deckUrl: "https://spinnaker.example.com" };

/** The problems SpinnakerMtls reports for these args (it throws before it registers anything). */
function problemsOf(args: Record<string, unknown>): readonly string[] {
    try {
        new SpinnakerMtls("spinnaker", args as SpinnakerMtlsArgs);
    } catch (e) {
        assert.ok(e instanceof SpinnakerMtlsArgsError, `expected a SpinnakerMtlsArgsError, got ${e}`);
        assert.ok(pulumi.RunError.isInstance(e), "a RunError: the CLI prints it without a stack trace");
        assert.ok((e as Error).message.startsWith('Invalid SpinnakerMtls args for "spinnaker":\n'), (e as Error).message);
        return (e as SpinnakerMtlsArgsError).problems;
    }
    assert.fail("SpinnakerMtls accepted the args");
}

/** A consumer program's run: its own config holds the args (JSON) and the CA key (a secret). */
const consumerRun = (args: SpinnakerMtlsArgs, caKeyPem?: string) =>
    run({
        stack: "test",
        projectDir: CONSUMER,
        config: { "consumer:args": JSON.stringify(args), ...(caKeyPem ? { "consumer:caKeyPem": caKeyPem } : {}) },
        secretConfigKeys: caKeyPem ? ["consumer:caKeyPem"] : [],
    });

describe("SpinnakerMtls args", () => {
    it("names the arg, the value and what is allowed", () => {
        assert.deepStrictEqual(problemsOf({ namespace: "Spinnaker_NS" }), [
            'args.namespace is "Spinnaker_NS"; allowed: a Kubernetes namespace name (lower-case letters, digits and \'-\', at most 63 characters)',
        ]);
        assert.deepStrictEqual(problemsOf({ clientAuth: "optional" }), ['args.clientAuth is "optional"; allowed: want, need']);
        assert.deepStrictEqual(problemsOf({ rsaBits: 1024 }), ['args.rsaBits is "1024"; RSA keys below 2048 bits are refused; allowed: 2048, 3072, 4096']);
    });

    it("reports every problem at once, the cross-key ones naming both args", () => {
        assert.deepStrictEqual(problemsOf({ services: ["gate", "orcaa"], certValidityHours: 100, renewBeforeHours: 200 }), [
            'args.services names unknown service "orcaa"; allowed: clouddriver, deck, dinghy, echo, fiat, front50, gate, igor, kayenta, orca, rosco, terraformer',
            "args.renewBeforeHours is 200, not shorter than args.certValidityHours 100; the renewal window must be shorter than the certificate's validity, or every run re-issues it",
        ]);
    });

    it("refuses an arg it does not know", () => {
        const [problem, ...rest] = problemsOf({ clientAuht: "need" });
        assert.deepStrictEqual(rest, []);
        assert.match(problem, /^args\.clientAuht is not a SpinnakerMtls argument; /);
    });

    it("refuses an Output where the value decides which resources exist", () => {
        assert.deepStrictEqual(problemsOf({ namespace: pulumi.output("spinnaker") }), [
            "args.namespace is a Pulumi Output; it decides which resources exist, so it must be a plain value when SpinnakerMtls is created (only the secrets caKeyPem, caNextKeyPem and redisExternalUrl may be Outputs)",
        ]);
    });

    it("never shows a secret arg's value", () => {
        const problems = problemsOf({ redisMode: "external", redisExternalUrl: "redis://:hunter2@redis.example.com:6379" });
        assert.deepStrictEqual(problems, ['args.redisExternalUrl (secret value hidden) uses the scheme "redis"; allowed: rediss:// only, plaintext redis:// is refused']);
        assert.ok(!problems.join("\n").includes("hunter2"));
    });

    it("given the dev stack's settings as typed args, reads them as the dev stack and registers the same resources", async () => {
        // Pulumi.dev.yaml (with the tests' pinned want), typed as a program would write it.
        const args: SpinnakerMtlsArgs = {
            namespace: "spinnaker-dev",
            clientAuth: "want",
            certValidityHours: 720,
            renewBeforeHours: 168,
            services: ["clouddriver", "deck", "echo", "fiat", "front50", "gate", "igor", "kayenta", "orca", "rosco"],
            halyardDir: "out/halyard/dev",
        };
        const project = loadProject(PROJECT_ROOT);
        const stackConfig = readStackConfig(project, "dev", PINNED_CONFIG.dev);
        assert.deepStrictEqual(withKeyNames(argName, () => parseStackConfig(argsToRawConfig(args).raw, NOW)), parseStackConfig(stackConfig.values, NOW));

        const named = (r: RunResult) => r.resources.filter((x) => x.type !== "pulumi:pulumi:Stack").map((x) => `${x.type}::${x.urn.split("::").pop()}`).sort();
        assert.deepStrictEqual(named(await consumerRun(args)), named(await stackRun("dev")));
    });

    it("checks a CA key that is a secret Output when it resolves, naming the arg and hiding the key", async () => {
        const ca = newCa("Imported CA");
        const otherKey = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
        await assert.rejects(consumerRun({ ...URLS, caCertPem: ca.certPem, certValidityHours: 24, renewBeforeHours: 12 }, otherKey), (e: Error) => {
            assert.match(e.message, /args\.caKeyPem \(secret value hidden\) does not match the public key of args\.caCertPem/);
            assert.ok(!e.message.includes("PRIVATE KEY"), "the key is not echoed");
            return true;
        });
        const ok = await consumerRun({ ...URLS, caCertPem: ca.certPem, certValidityHours: 24, renewBeforeHours: 12 }, ca.keyPem);
        assert.strictEqual(unwrap(ok.stackOutputs.caCertificatePem), ca.certPem);
    });
});

describe("SpinnakerMtls: an existing stack moves into the component", () => {
    for (const stack of ["dev", "prod", "local", "otterize"] as const) {
        it(`${stack}: the pre-component URNs, and a run over them replaces, updates and deletes nothing`, async () => {
            const now = await stackRun(stack);
            const before = asBeforeTheComponent(now.export);
            // The simulation holds only if it gives exactly the URNs the program had before the component,
            // but for two changes made on purpose since (issue 23): behind the ingress (prod, local) Deck
            // gets no certificate any more, so its certificate's resources are gone; without it (dev,
            // otterize) Gate's client-certificate port gets a Service, which is new. And (issue 20) the
            // ClusterIssuers and the CA Secret in cert-manager's namespace became namespaced Issuers, each
            // beside its copy of the CA (issuerMigration.test.ts holds that move on its own).
            const issuerMoved = /CertManagerIssuers\$kubernetes:(cert-manager\.io\/v1:ClusterIssuer::|core\/v1:Secret::cert-manager-issuers-ca-secret$)/;
            const issuerNew = /CertManagerIssuers\$kubernetes:(cert-manager\.io\/v1:Issuer::|core\/v1:Secret::cert-manager-issuers-ca-secret-)/;
            // And (issue 20) the generated CA got an issuing CA under its root, which signs the leaves; the
            // Go services' leaves, which go-yaml-tools presents without a chain, come from the root in the
            // program, so beside cert-manager (prod) and the Otterize operator (otterize) terraformer's
            // certificate moved from them to it.
            const issuingCa = /CertificateAuthority\$tls:index\/[a-zA-Z]+:[a-zA-Z]+::spinnaker-ca-issuing-(key|csr|cert)$/;
            // And (issue 21) beside cert-manager (prod) the services read their CAs from the program's trust bundle.
            const trustBundle = /::spinnaker-mtls:pki:CaTrustBundle(\$[^:]+:[^:]+:[^:]+)?::ca-trust(-[a-z]+)?$/;
            const dropped = (urn: string) =>
                (["prod", "local"].includes(stack) && /:(pki:ServiceCertificate|certmanager:CertManagerCertificate)(\$[^:]+:[^:]+:[^:]+)?::spin-deck(-[a-z]+)?$/.test(urn)) ||
                issuerMoved.test(urn) ||
                (["prod", "otterize"].includes(stack) && /:(certmanager:CertManagerCertificate|otterize:OtterizeCredentials)(\$[^:]+:[^:]+:[^:]+)?::spin-terraformer(-[a-z]+)?$/.test(urn));
            const added = (urn: string) =>
                urn.includes("::spinnaker-mtls:spinnaker:GateApiService") ||
                issuerNew.test(urn) ||
                issuingCa.test(urn) ||
                (stack === "prod" && trustBundle.test(urn)) ||
                (["prod", "otterize"].includes(stack) && /:pki:ServiceCertificate(\$[^:]+:[^:]+:[^:]+)?::spin-terraformer(-[a-z]+)?$/.test(urn));
            assert.deepStrictEqual(before.deployment.resources.map((r) => r.urn).filter((u) => !added(u)).sort(), PRE_COMPONENT_URNS[stack].filter((u) => !dropped(u)));
            assert.ok(["dev", "otterize"].includes(stack) || PRE_COMPONENT_URNS[stack].some(dropped), "the dropped resources are Deck's certificate's and the ClusterIssuers");
            const next = await run({ stack, previous: before });
            const ops = next.plan.reduce<Record<string, string[]>>((acc, s) => ({ ...acc, [s.op]: [...(acc[s.op] ?? []), s.type] }), {});
            assert.deepStrictEqual(ops.create, [COMPONENT_TYPE], "only the component itself is new");
            assert.deepStrictEqual(Object.keys(ops).sort(), ["create", "same"]);
        });
    }
});

describe("SpinnakerMtls: a CA rotation step waits for the cluster", function () {
    this.timeout(60_000);
    const GENERATED_1 = "generated 1 ECDSA-P256 O=Spinnaker";
    const last = { trusted: [GENERATED_1], signer: GENERATED_1 };
    const behind = { consumer: "orca", converged: false, notes: ["pod spin-orca-6d4f9c7b8-x2x9q started with an earlier spin-orca-tls"], trusted: [], pods: 1 };
    const caught = { consumer: "gate", converged: true, notes: [], trusted: [], pods: 1 };
    const step = (observed: unknown) => consumerRun({ ...URLS, caRotation: "trust-both", lastDeployedCaTrust: last, lastDeploymentObserved: observed } as SpinnakerMtlsArgs);

    it("refuses the step while a consumer has not converged on the last deployment, naming it and why", async () => {
        await assert.rejects(step({ server: "https://cluster.example:6443", consumers: [caught, behind] }), (e: Error) => {
            assert.match(e.message, /args\.caRotation is "trust-both", a step from the last deployment, but the cluster \(https:\/\/cluster\.example:6443\) has not converged on the last one: orca: pod spin-orca-6d4f9c7b8-x2x9q started with an earlier spin-orca-tls\. /);
            assert.ok(!e.message.includes("gate:"), "a converged consumer is not listed");
            return true;
        });
    });

    it("refuses the step when the cluster could not be read, and takes it once every consumer has converged", async () => {
        await assert.rejects(step({ error: "kubeconfig /nowhere: no such file" }), /whether the cluster has converged on the last one could not be read: kubeconfig \/nowhere: no such file; to go on knowingly, for one pulumi up, set SPINNAKER_MTLS_FORCE_CA_ROTATION=trust-both/);
        const ok = await step({ server: "https://cluster.example:6443", consumers: [caught] });
        assert.match(String(unwrap(ok.stackOutputs.caCertificatePem)), /^-----BEGIN CERTIFICATE-----/);
    });

    it("observes nothing when caRotation does not move, and reads the kubeconfig when it does", async () => {
        assert.strictEqual(await observeLastDeployment({ ...URLS }, last, { kubeconfig: "/nowhere" }), undefined, "the same trust: no step, no cluster read");
        assert.strictEqual(await observeLastDeployment({ ...URLS, caRotation: "trust-both" }, undefined, { kubeconfig: "/nowhere" }), undefined, "no last deployment: nothing to wait for");
        assert.deepStrictEqual(await observeLastDeployment({ ...URLS, caRotation: "trust-both" }, last, { kubeconfig: "/nowhere" }), { error: "kubeconfig /nowhere: no such file" });
    });
});

describe("SpinnakerMtls: the last deployment as Outputs, as a program in another language passes it", function () {
    this.timeout(60_000);
    const GENERATED_1 = "generated 1 ECDSA-P256 O=Spinnaker";
    const last = { trusted: [GENERATED_1], signer: GENERATED_1 };
    const caught = { consumer: "gate", converged: true, notes: [], trusted: [], pods: 1 };

    /** The consumer's run with the args named in `outputs` passed as Outputs; what reached the engine, and what the program threw. */
    async function observed(args: Record<string, unknown>, outputs: string[], opts: { readsCluster?: boolean } = {}) {
        const types: string[] = [];
        const thrown: unknown[] = [];
        const register = OfflineMonitor.prototype.registerResource;
        OfflineMonitor.prototype.registerResource = function (this: OfflineMonitor, req: { getType(): string }, callback) {
            types.push(req.getType());
            return register.call(this, req, callback);
        };
        const onRejection = (reason: unknown) => thrown.push(reason);
        process.on("unhandledRejection", onRejection);
        try {
            const result: { r?: RunResult; error?: Error } = await run({
                stack: "test",
                projectDir: CONSUMER,
                config: { "consumer:args": JSON.stringify(args), "consumer:outputs": JSON.stringify(outputs), ...(opts.readsCluster ? { "consumer:readsCluster": "true" } : {}) },
            }).then(
                (r) => ({ r }),
                (e: Error) => ({ error: e }),
            );
            return { ...result, types, thrown };
        } finally {
            OfflineMonitor.prototype.registerResource = register;
            process.off("unhandledRejection", onRejection);
        }
    }
    const kubernetes = (types: string[]) => types.filter((t) => t.startsWith("kubernetes:") || t === "pulumi:providers:kubernetes");
    /** A kubeconfig that is not there, for the runs in which the component may read a cluster. */
    async function withKubeconfig<T>(file: string, body: () => Promise<T>): Promise<T> {
        const before = process.env.KUBECONFIG;
        process.env.KUBECONFIG = file;
        try {
            return await body();
        } finally {
            if (before === undefined) delete process.env.KUBECONFIG;
            else process.env.KUBECONFIG = before;
        }
    }

    it("a plain value is judged before anything is registered, as it always was", () => {
        const [problem, ...rest] = problemsOf({ ...URLS, caRotation: "trust-next", lastDeployedCaTrust: last });
        assert.deepStrictEqual(rest, []);
        assert.match(problem, /^args\.caRotation is "trust-next", and the last deployment's stores trust the generated CA of generation 1 \(ECDSA-P256, O=Spinnaker\) with certificates signed by the generated CA of generation 1 \(ECDSA-P256, O=Spinnaker\): /);
        assert.match(problem, /the generated CA of generation 2 \(ECDSA-P256, O=Spinnaker\) would sign this one's, but the last deployment's stores do not trust it\./);
    });

    it("an Output that makes a skipped phase fails the run with the plain value's message, naming caRotation, and no Kubernetes object is registered", async () => {
        const args = { ...URLS, caRotation: "trust-next", lastDeployedCaTrust: last };
        const plain = problemsOf(args);
        const { error, types, thrown } = await observed(args, ["lastDeployedCaTrust"]);
        assert.ok(error, "the run fails");
        assert.ok(error.message.includes(`\n  - ${plain[0]}`), error.message);
        // By name: a run loads the program's modules afresh, so its error class is not this file's.
        const gate = thrown.find((e) => (e as Error | undefined)?.name === "SpinnakerMtlsArgsError") as SpinnakerMtlsArgsError | undefined;
        assert.ok(gate, `a SpinnakerMtlsArgsError, got ${thrown.map(String).join("; ")}`);
        assert.ok(pulumi.RunError.isInstance(gate), "a RunError: the CLI prints it without a stack trace");
        assert.deepStrictEqual(gate.problems, plain);
        assert.ok(types.includes(SpinnakerMtls.TYPE), `the component itself is registered (the engine saw: ${types.join(", ")})`);
        assert.deepStrictEqual(kubernetes(types), [], "neither the Kubernetes provider nor any object through it");
    });

    it("an Output alone has the component read the cluster; with the program's observation, an Output that admits the step deploys as the plain value does", async () => {
        // A cluster the component could read, were it to: a kubeconfig that is not there.
        const step = { ...URLS, caRotation: "trust-both", lastDeployedCaTrust: last };
        const clusterless = (args: Record<string, unknown>, outputs: string[]) => withKubeconfig("/nowhere", () => observed(args, outputs, { readsCluster: true }));
        // An Output alone (a program in another language has no observeLastDeployment()): the component reads the cluster.
        const unread = await clusterless(step, ["lastDeployedCaTrust"]);
        assert.ok(unread.error, "the run fails");
        assert.match(
            unread.error.message,
            /\n {2}- args\.caRotation is "trust-both", a step from the last deployment, and whether the cluster has converged on the last one could not be read: kubeconfig \/nowhere: no such file; to go on knowingly, for one pulumi up, set SPINNAKER_MTLS_FORCE_CA_ROTATION=trust-both$/,
        );
        assert.deepStrictEqual(kubernetes(unread.types), []);

        // Plain, as before: judged by the record alone, no cluster read.
        const plain = await clusterless(step, []);
        // As Outputs, with the program's own observation: that is what is judged, no cluster read.
        const deferred = await clusterless({ ...step, lastDeploymentObserved: { server: "https://cluster.example:6443", consumers: [caught] } }, ["lastDeployedCaTrust", "lastDeploymentObserved"]);
        assert.ok(plain.r && deferred.r, `${plain.error ?? deferred.error}`);
        const urns = (r: RunResult) => r.resources.map((x) => x.urn).sort();
        assert.deepStrictEqual(urns(deferred.r), urns(plain.r));
        assert.ok(kubernetes(deferred.types).length > 20, "the Kubernetes objects are registered once the gate has passed");
        const provider = (r: RunResult) => r.resources.find((x) => x.type === "pulumi:providers:kubernetes")!;
        assert.deepStrictEqual(provider(deferred.r).inputs, provider(plain.r).inputs, "the provider's settings do not change");
        assert.deepStrictEqual([unwrap(plain.r.stackOutputs.lastDeployedCaTrust), unwrap(deferred.r.stackOutputs.lastDeployedCaTrust)], [last, last]);
    });
});
