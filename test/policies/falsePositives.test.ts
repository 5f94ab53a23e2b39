// No false positives: changes to the program's prod export that do not weaken
// mTLS (the examples of issue 16, see docs/policy-model.md) pass `verify
// --state` under prod's policy config with no finding at all.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ExportedResource, StackExport } from "../../engine/run";
import { policyConfigFor, verify } from "../../engine/verify";
import { Fixture, kube, policyPack } from "../support/policyPack";
import { stackRun } from "../support/stacks";
import { GATEWAY_PRINCIPAL, NS } from "./fixtures";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const asResource = (f: Fixture): ExportedResource => ({ urn: `urn:pulumi:prod::spinnaker-mtls::${f.type}::${f.name!}`, custom: true, type: f.type, inputs: f.inputs, outputs: f.inputs });

const EXAMPLES: { name: string; add?: Fixture[]; edit?: (exp: StackExport) => void }[] = [
    {
        name: "a user's own DestinationRules for other hosts: MUTUAL with their own certificate, ISTIO_MUTUAL, and SIMPLE to an external API",
        add: [
            kube("networking.istio.io/v1", "DestinationRule", { name: "billing", namespace: "payments" }, { spec: { host: "billing.payments.svc.cluster.local", trafficPolicy: { tls: { mode: "MUTUAL", credentialName: "billing-client" } } } }),
            kube("networking.istio.io/v1", "DestinationRule", { name: "ledger", namespace: "payments" }, { spec: { host: "*.payments.svc.cluster.local", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } } }),
            kube("networking.istio.io/v1", "DestinationRule", { name: "github", namespace: NS }, { spec: { host: "api.github.com", trafficPolicy: { tls: { mode: "SIMPLE", sni: "api.github.com" } } } }),
        ],
    },
    {
        name: "extra AuthorizationPolicies that only narrow access: an ALLOW naming one principal for Gate, and a DENY",
        add: [
            kube("security.istio.io/v1", "AuthorizationPolicy", { name: "gate-only-ingress", namespace: NS }, {
                spec: { action: "ALLOW", selector: { matchLabels: { cluster: "spin-gate" } }, rules: [{ from: [{ source: { principals: [GATEWAY_PRINCIPAL] } }], to: [{ operation: { methods: ["GET"] } }] }] },
            }),
            kube("security.istio.io/v1", "AuthorizationPolicy", { name: "deny-admin", namespace: NS }, { spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin/*"] } }] }] } }),
        ],
    },
    {
        name: "a longer renewBefore, still inside the certificate's duration",
        edit: (exp) => {
            for (const r of exp.deployment.resources.filter((x) => x.type.endsWith(":Certificate") && (x.inputs.metadata as Obj).name === "spin-orca")) {
                for (const o of [r.inputs, r.outputs]) (o.spec as Obj).renewBefore = "1080h";
            }
        },
    },
    {
        name: "a STRICT PeerAuthentication scoped to one workload beside the namespace-wide one",
        add: [kube("security.istio.io/v1", "PeerAuthentication", { name: "orca-strict", namespace: NS }, { spec: { selector: { matchLabels: { cluster: "spin-orca" } }, mtls: { mode: "STRICT" }, portLevelMtls: { 8083: { mode: "STRICT" } } } })],
    },
    {
        name: "another team's ClusterIssuer that approver-policy limits to its own namespace, and a self-signed ClusterIssuer to bootstrap CAs",
        add: [
            kube("cert-manager.io/v1", "ClusterIssuer", { name: "payments-ca" }, { spec: { ca: { secretName: "payments-ca" } } }),
            kube("policy.cert-manager.io/v1alpha1", "CertificateRequestPolicy", { name: "payments-ca" }, {
                spec: { allowed: { dnsNames: { values: ["*.payments.svc"] } }, selector: { issuerRef: { name: "payments-ca", kind: "ClusterIssuer", group: "cert-manager.io" }, namespace: { matchNames: ["payments"] } } },
            }),
            kube("cert-manager.io/v1", "ClusterIssuer", { name: "bootstrap" }, { spec: { selfSigned: {} } }),
        ],
    },
    {
        name: "another team's Certificate for its own names from its own CA, outside the stack CA's name constraints",
        add: [
            kube("cert-manager.io/v1", "ClusterIssuer", { name: "payments-ca" }, { spec: { ca: { secretName: "payments-ca" } } }),
            kube("policy.cert-manager.io/v1alpha1", "CertificateRequestPolicy", { name: "payments-ca" }, {
                spec: { allowed: { dnsNames: { values: ["*.payments.svc"] } }, selector: { issuerRef: { name: "payments-ca", kind: "ClusterIssuer", group: "cert-manager.io" }, namespace: { matchNames: ["payments"] } } },
            }),
            kube("cert-manager.io/v1", "Certificate", { name: "billing", namespace: "payments" }, {
                spec: { secretName: "billing-tls", issuerRef: { name: "payments-ca", kind: "ClusterIssuer", group: "cert-manager.io" }, dnsNames: ["billing.payments.svc"], duration: "2160h", renewBefore: "360h", privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" }, usages: ["digital signature", "server auth", "client auth"] },
            }),
        ],
    },
];

describe("no false positives: changes that keep mTLS intact pass verify on the prod export", () => {
    let dir: string;
    let pristine: string;
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "false-positives-"));
        pristine = JSON.stringify((await stackRun("prod")).export);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const example of EXAMPLES) {
        it(`passes ${example.name}`, async () => {
            const exp = JSON.parse(pristine) as StackExport;
            // Every resource but providers is checked: the added ones included.
            const checked = exp.deployment.resources.filter((r) => !r.type.startsWith("pulumi:providers:")).length + (example.add?.length ?? 0);
            exp.deployment.resources.push(...(example.add ?? []).map(asResource));
            example.edit?.(exp);
            const file = path.join(dir, "state.json");
            fs.writeFileSync(file, JSON.stringify(exp));
            const outcome = await verify({ state: file, policyConfig: policyConfigFor("prod"), tags: {} }, await policyPack());
            assert.strictEqual(outcome.result.resources, checked);
            assert.deepStrictEqual(outcome.result.findings.map((f) => `${f.policy}: ${f.message}`), []);
            assert.strictEqual(outcome.exitCode, 0);
        });
    }
});
