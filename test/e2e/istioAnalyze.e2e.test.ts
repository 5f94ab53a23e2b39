// Istio's own analyzer judges the prod stack (issue 13), offline: prod's
// objects as the offline engine renders them, plus what the Spinnaker
// Operator, the controllers, Istio's injector and cert-manager add beside them
// (test/e2e/support/meshWorld.ts), analyzed by the two commands
// test/e2e/build/istio/build.sh builds from the istio.io/istio module:
//
// - `istioctl analyze --use-kube=false`, as a user runs it on files. It reads
//   Services, Pods, Namespaces, Nodes and Secrets only from a live cluster, so
//   offline it skips every analyzer that needs one of them (the test shows
//   which);
// - analyzefiles: istioctl's analyzers and files-only defaults, with those
//   kinds read from the files too (as Istio's own analyzer tests read them).
//
// Then every Istio weakening of the policy model (test/policies/model.ts, the
// rows the mutation suite applies) is applied to the same objects, in place,
// and analyzed again by both: each must raise the message code its verdict
// names (from the commands' -o json output), or raise nothing new, its verdict
// saying why Istio's analyzers do not judge it. A verdict that stops holding
// (istioctl learns a rule, or forgets one) fails the test.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { PROJECT_ROOT } from "../../engine/run";
import { MODEL, ModelRow, Obj, REMOVED, Weakening } from "../policies/model";
import { stackRun } from "../support/stacks";
import { analyze, Analyzer, AnalyzeMessage, AnalyzeOutcome, describeMessages, ensureIstioEnv, istioBinary, messageKey } from "./support/istioctl";
import { CertManagerStandIn, meshWorld, Rendered, renderedResources, WorldPart, WorldParts } from "./support/meshWorld";

/** The analyzers offline istioctl must skip for want of the runtime kinds, and that analyzefiles runs: the ones the Operator's Services, the Pods and cert-manager's Secrets feed. */
const NEED_RUNTIME_KINDS = ["auth.AuthorizationPoliciesAnalyzer", "gateway.SecretAnalyzer", "injection.Analyzer", "service.PortNameAnalyzer", "virtualservice.DestinationHostAnalyzer", "destinationrule.SubsetSelectPodAnalyzer"];

/** What analyzefiles says when a part of the picture is left out: proof that the clean result rests on each part matching the program's objects. */
const CONTROLS: readonly { readonly omit: WorldPart; readonly reports: string; readonly origin: RegExp; readonly why: string }[] = [
    { omit: "operator", reports: "IST0101", origin: /^VirtualService spinnaker\/spinnaker$/, why: "the VirtualService routes to the Operator's spin-gate and spin-deck Services" },
    { omit: "operator", reports: "IST0174", origin: /^DestinationRule spinnaker\/spin-gate$/, why: "each DestinationRule's host is a Service the Operator creates" },
    { omit: "pods", reports: "IST0127", origin: /^AuthorizationPolicy spinnaker\/spinnaker-mtls-allow-ingress-spin-gate$/, why: "the ingress AuthorizationPolicies select the Operator's pods by their cluster label" },
    { omit: "cert-manager", reports: "IST0101", origin: /^Gateway istio-system\/spinnaker-gateway$/, why: "the Gateway's credentialName is the Secret cert-manager writes beside the ingress gateway" },
];

type Verdict =
    /**
     * Raised by analyzefiles; `istioctl` says whether offline istioctl raises
     * it too (it does not when the analyzer needs runtime kinds); `note` says
     * what the message is really about when that is not the weakening itself.
     */
    | { readonly reports: string; readonly istioctl: boolean; readonly note?: string }
    | { readonly beyond: string };

// Why the analyzers (istio.io/istio pkg/config/analysis/analyzers at the pinned version) raise nothing.
const PA_MODE =
    "every PeerAuthentication mode is valid, and no analyzer compares a namespace's or workload's mTLS mode with a wanted one (authn.* reads only RequestAuthentication; schema validation accepts the mode)";
const PA_COVERAGE = "no analyzer requires a STRICT PeerAuthentication to cover a namespace: without one, Istio's default (PERMISSIVE) applies, which is valid";
const DR_DISABLE = "DISABLE is a valid client TLS mode; destinationrule.CaCertificateAnalyzer (IST0128/IST0129) looks only at SIMPLE and MUTUAL";
const DR_SUBSET_TLS = "destinationrule.CaCertificateAnalyzer reads only spec.trafficPolicy (and its portLevelSettings), not a subset's trafficPolicy";
const AP_BREADTH =
    "auth.AuthorizationPoliciesAnalyzer checks only that a selector matches workloads and that named namespaces exist (IST0127, IST0101); how widely an ALLOW rule admits callers is policy, valid to Istio";
const INJECTION_OPT_OUT =
    "injection.Analyzer skips pods that opt out of injection (a deliberate choice to Istio: injection.go returns early on sidecar.istio.io/inject=false), and the other pods still match every AuthorizationPolicy";
const GW_TLS_VERSION = "Gateway validation warns only about a minProtocolVersion below TLS 1.2 (IST0133, the ciphers it needs); TLS_AUTO, an unset minimum (Envoy's default, 1.2) and maxProtocolVersion pass";
const GW_PLAIN_HTTP = "a plain-HTTP Gateway server without httpsRedirect is valid to Istio; no analyzer asks for a redirect";
const GW_HOSTS = "a wildcard Gateway host is valid; no analyzer limits which hosts a Gateway serves";
const GW_CIPHERS = "Gateway validation drops only cipher names Envoy does not know (IST0133); known but weak suites (CBC, 3DES, RSA key exchange) pass";
const VS_HOSTS = "a VirtualService host '*' bound to a Gateway is valid; the Gateway's hosts still limit what it serves, and no analyzer limits the VirtualService's";

/** Per weakening (`<kind>: <field> = <value>`): the code Istio's analyzers raise for it, or why they raise none. */
const CAPTURE_ANNOTATIONS =
    "annotations.K8sAnalyzer checks only that an annotation is known, not deprecated, on a resource it applies to (a Pod) and well formed (pkg/config/analysis/analyzers/annotations); what a valid traffic.sidecar.istio.io/* list takes out of capture, no analyzer judges";

const VERDICTS: Readonly<Record<string, Verdict>> = {
    'PeerAuthentication: spec.mtls.mode = "PERMISSIVE"': { beyond: PA_MODE },
    'PeerAuthentication: spec.mtls.mode = "DISABLE"': { beyond: PA_MODE },
    'PeerAuthentication: spec.mtls.mode = "UNSET"': { beyond: PA_MODE },
    "PeerAuthentication: spec.mtls.mode = (removed)": { beyond: PA_MODE },
    'PeerAuthentication: spec.portLevelMtls.8084.mode = "PERMISSIVE"': { reports: "IST0106", istioctl: true, note: "mesh/namespace peer authentication cannot have port level mTLS" },
    'PeerAuthentication: spec.portLevelMtls.8084.mode = "DISABLE"': { reports: "IST0106", istioctl: true, note: "mesh/namespace peer authentication cannot have port level mTLS" },
    'PeerAuthentication: spec.portLevelMtls.8084.mode = "UNSET"': { reports: "IST0106", istioctl: true, note: "mesh/namespace peer authentication cannot have port level mTLS" },
    'PeerAuthentication (workload selector): spec.mtls.mode = "PERMISSIVE"': { beyond: PA_MODE },
    'PeerAuthentication (workload selector): spec.mtls.mode = "DISABLE"': { beyond: PA_MODE },
    'PeerAuthentication (mesh-wide, root namespace): spec.mtls.mode = "PERMISSIVE"': { beyond: `${PA_MODE}; moved to istio-system it also leaves spinnaker uncovered: ${PA_COVERAGE}` },
    'PeerAuthentication (mesh-wide, root namespace): spec.mtls.mode = "DISABLE"': { beyond: `${PA_MODE}; moved to istio-system it also leaves spinnaker uncovered: ${PA_COVERAGE}` },
    'PeerAuthentication (namespace placement): metadata.namespace = "default"': { beyond: PA_COVERAGE },
    'PeerAuthentication (namespace placement): metadata.namespace = "istio-config"': { beyond: PA_COVERAGE },
    "PeerAuthentication: (deleted)": { beyond: PA_COVERAGE },
    'DestinationRule: spec.trafficPolicy.tls.mode = "DISABLE"': { beyond: DR_DISABLE },
    'DestinationRule: spec.trafficPolicy.portLevelSettings[0].tls.mode = "DISABLE"': { beyond: DR_DISABLE },
    'DestinationRule: spec.subsets[0].trafficPolicy.tls.mode = "DISABLE"': {
        reports: "IST0173",
        istioctl: false,
        note: `about the subset, not its TLS: its labels (version: canary) select no pod; a subset that selects pods passes with DISABLE (${DR_DISABLE})`,
    },
    'DestinationRule: spec.subsets[0].trafficPolicy.portLevelSettings[0].tls.mode = "DISABLE"': {
        reports: "IST0173",
        istioctl: false,
        note: `about the subset, not its TLS: its labels select no pod (${DR_DISABLE})`,
    },
    'DestinationRule: spec.trafficPolicy.tls.mode = "SIMPLE"': { reports: "IST0128", istioctl: true, note: "SIMPLE without caCertificates; SIMPLE with caCertificates passes, though it replaces Istio mTLS" },
    'DestinationRule: spec.trafficPolicy.tls.mode = "MUTUAL"': { reports: "IST0128", istioctl: true, note: "MUTUAL without caCertificates (and IST0106: no client certificate or key)" },
    "DestinationRule: spec.trafficPolicy.tls.insecureSkipVerify = true": {
        beyond: "destinationrule.CaCertificateAnalyzer looks only at SIMPLE and MUTUAL without caCertificates; nothing reads insecureSkipVerify on an ISTIO_MUTUAL rule",
    },
    'DestinationRule: spec.trafficPolicy.portLevelSettings[0].tls.mode = "SIMPLE"': { reports: "IST0129", istioctl: true, note: "port-level SIMPLE without caCertificates" },
    'DestinationRule: spec.trafficPolicy.portLevelSettings[0].tls.mode = "MUTUAL"': { reports: "IST0129", istioctl: true, note: "port-level MUTUAL without caCertificates (and IST0106)" },
    'DestinationRule: spec.subsets[0].trafficPolicy.tls.mode = "SIMPLE"': { reports: "IST0173", istioctl: false, note: `about the subset selecting no pod, not its TLS (${DR_SUBSET_TLS})` },
    'DestinationRule: spec.subsets[0].trafficPolicy.tls.mode = "MUTUAL"': { reports: "IST0106", istioctl: true, note: `MUTUAL without a client certificate and key; SIMPLE in a subset passes (${DR_SUBSET_TLS})` },
    ...Object.fromEntries(
        ["spin-gate", "spin-gate.spinnaker", "spin-gate.spinnaker.svc", "*.spinnaker.svc.cluster.local", "*.svc.cluster.local", "*"].map((host) => [
            `DestinationRule (spec.host in every form, with SIMPLE): spec.trafficPolicy.tls.mode = ${JSON.stringify(host)}`,
            { reports: "IST0128", istioctl: true, note: "SIMPLE without caCertificates, whatever the host form (analyzefiles adds IST0174 for hosts that name no Service exactly)" },
        ]),
    ),
    "AuthorizationPolicy: spec.rules[0] = (removed)": { beyond: AP_BREADTH },
    'AuthorizationPolicy: spec.rules[0].from[0] = ["*"]': { beyond: AP_BREADTH },
    "AuthorizationPolicy: spec.rules[0].from[0] = {}": { reports: "IST0106", istioctl: true, note: "`from.source` must not be empty" },
    "AuthorizationPolicy (ALLOW): spec.rules[0].from = (removed)": { beyond: AP_BREADTH },
    "AuthorizationPolicy (ALLOW): spec.rules[0].from[0].source = {}": { reports: "IST0106", istioctl: true, note: "`from.source` must not be empty" },
    'AuthorizationPolicy (ALLOW): spec.rules[0].from[0].source = {"namespaces":["*"]}': { beyond: AP_BREADTH },
    'AuthorizationPolicy (ALLOW): spec.rules[0].from[0].source = {"principals":["*"]}': { beyond: AP_BREADTH },
    'AuthorizationPolicy (ALLOW): spec.rules[0].from[0].source = {"ipBlocks":["0.0.0.0/0"]}': { beyond: AP_BREADTH },
    'AuthorizationPolicy (ALLOW): spec.rules[0].from[0].source = {"notPrincipals":["cluster.local/ns/x/sa/y"]}': { beyond: AP_BREADTH },
    'StatefulSet (pod template): spec.template.metadata.annotations.sidecar.istio.io/inject = "false"': {
        reports: "IST0135",
        istioctl: false,
        note: `Info, only that the annotation is deprecated in favour of the label; the opt-out itself: ${INJECTION_OPT_OUT}`,
    },
    'StatefulSet (pod template): spec.template.metadata.labels.sidecar.istio.io/inject = "false"': { beyond: INJECTION_OPT_OUT },
    'SpinnakerService: spec.spinnakerConfig.service-settings.orca.kubernetes.podAnnotations.sidecar.istio.io/inject = "false"': {
        reports: "IST0135",
        istioctl: false,
        note: `Info on the Operator's pod, only that the annotation is deprecated; the opt-out itself: ${INJECTION_OPT_OUT}`,
    },
    'SpinnakerService: spec.spinnakerConfig.service-settings.orca.kubernetes.podLabels.sidecar.istio.io/inject = "false"': { beyond: INJECTION_OPT_OUT },
    'StatefulSet (pod template): spec.template.metadata.annotations.traffic.sidecar.istio.io/excludeInboundPorts = "6379"': { beyond: CAPTURE_ANNOTATIONS },
    'StatefulSet (pod template): spec.template.metadata.annotations.traffic.sidecar.istio.io/excludeOutboundPorts = "6379"': { beyond: CAPTURE_ANNOTATIONS },
    'StatefulSet (pod template): spec.template.metadata.annotations.traffic.sidecar.istio.io/excludeOutboundIPRanges = "10.0.0.0/8"': { beyond: CAPTURE_ANNOTATIONS },
    'StatefulSet (pod template): spec.template.metadata.annotations.traffic.sidecar.istio.io/excludeInterfaces = "eth1"': { beyond: CAPTURE_ANNOTATIONS },
    'StatefulSet (pod template): spec.template.metadata.annotations.traffic.sidecar.istio.io/includeInboundPorts = "6380"': { beyond: CAPTURE_ANNOTATIONS },
    'StatefulSet (pod template): spec.template.metadata.annotations.traffic.sidecar.istio.io/includeOutboundIPRanges = "10.96.0.0/12"': { beyond: CAPTURE_ANNOTATIONS },
    'SpinnakerService: spec.spinnakerConfig.service-settings.orca.kubernetes.podAnnotations.traffic.sidecar.istio.io/excludeInboundPorts = "8083"': { beyond: CAPTURE_ANNOTATIONS },
    'Namespace: metadata.labels.istio-injection = "disabled"': {
        reports: "IST0127",
        istioctl: false,
        note: "indirectly: with no sidecars the AuthorizationPolicies match no mesh workload; injection.Analyzer itself treats istio-injection=disabled as deliberate (IST0102 is only for a namespace with no label)",
    },
    'Gateway: spec.servers[1].tls.mode = "PASSTHROUGH"': { reports: "IST0133", istioctl: true, note: "PASSTHROUGH ignores the certificate" },
    'Gateway: spec.servers[1].tls.mode = "AUTO_PASSTHROUGH"': { reports: "IST0133", istioctl: true, note: "AUTO_PASSTHROUGH ignores the certificate" },
    'Gateway: spec.servers[1].tls.mode = "ISTIO_MUTUAL"': { reports: "IST0106", istioctl: true, note: "ISTIO_MUTUAL cannot have a credentialName" },
    "Gateway: spec.servers[1].tls.mode = (removed)": { reports: "IST0133", istioctl: true, note: "an unset mode is PASSTHROUGH, which ignores the certificate" },
    'Gateway: spec.servers[1].tls.minProtocolVersion = "TLSV1_0"': { reports: "IST0133", istioctl: true, note: "below TLS 1.2 needs compatible ciphers" },
    'Gateway: spec.servers[1].tls.minProtocolVersion = "TLSV1_1"': { reports: "IST0133", istioctl: true, note: "below TLS 1.2 needs compatible ciphers" },
    'Gateway: spec.servers[1].tls.minProtocolVersion = "TLS_AUTO"': { beyond: GW_TLS_VERSION },
    "Gateway: spec.servers[1].tls.minProtocolVersion = (removed)": { beyond: GW_TLS_VERSION },
    'Gateway: spec.servers[1].tls.maxProtocolVersion = "TLSV1_0"': { beyond: GW_TLS_VERSION },
    'Gateway: spec.servers[1].tls.maxProtocolVersion = "TLSV1_1"': { beyond: GW_TLS_VERSION },
    "Gateway: spec.servers[0].tls.httpsRedirect = false": { beyond: GW_PLAIN_HTTP },
    "Gateway: spec.servers[0].tls.httpsRedirect = (removed)": { beyond: GW_PLAIN_HTTP },
    'Gateway: spec.servers[1].hosts[0] = "*"': { beyond: GW_HOSTS },
    'Gateway: spec.servers[1].hosts[0] = "*/*"': { beyond: GW_HOSTS },
    'Gateway: spec.servers[1].tls.cipherSuites[0] = "ECDHE-RSA-AES128-SHA"': { beyond: GW_CIPHERS },
    'Gateway: spec.servers[1].tls.cipherSuites[0] = "DES-CBC3-SHA"': { beyond: GW_CIPHERS },
    'Gateway: spec.servers[1].tls.cipherSuites[0] = "AES256-GCM-SHA384"': { beyond: GW_CIPHERS },
    'Gateway: spec.servers[1].tls.cipherSuites[0] = "ECDHE-RSA-NULL-SHA"': { reports: "IST0133", istioctl: true, note: "ignored as an invalid cipher suite (Envoy does not know it), not refused" },
    'Gateway: spec.servers[1].tls.credentialName = "spin-gate-tls"': { reports: "IST0101", istioctl: false, note: "no such Secret beside the ingress gateway (istio-system); needs the Secrets and the gateway's Pod" },
    'Gateway: spec.servers[1].tls.credentialName = "spinnaker/spin-gate-tls"': {
        beyond: "gateway.SecretAnalyzer resolves <namespace>/<name> and finds the Secret cert-manager writes for spin-gate in spinnaker, a valid certificate; whether a service's own identity may serve the public edge is not Istio's to judge",
    },
    'Gateway: spec.servers[1].tls.credentialName = "hand-made-tls"': { reports: "IST0101", istioctl: false, note: "no such Secret beside the ingress gateway; needs the Secrets and the gateway's Pod" },
    'VirtualService: spec.hosts[0] = "*"': { beyond: VS_HOSTS },
    'VirtualService: spec.hosts[0] = "istio-system/*"': { reports: "IST0106", istioctl: true, note: "not a valid host name (and IST0132: not among the Gateway's hosts)" },
    'VirtualService: spec.http[0].route[0].destination.host = "spinnaker.attacker.example"': { reports: "IST0101", istioctl: false, note: "no Service or ServiceEntry by that name; needs the Services" },
    'VirtualService: spec.http[0].route[0].destination.host = "10.1.2.3"': { reports: "IST0106", istioctl: true, note: "not a valid host name (and IST0101 with the Services)" },
    'VirtualService: spec.http[0].route[0].destination.host = "spin-gate.spinnaker.example.com"': { reports: "IST0101", istioctl: false, note: "no Service or ServiceEntry by that name; needs the Services" },
    'VirtualService: spec.http[1].mirror.host = {"host":"collector.example.net"}': { reports: "IST0101", istioctl: false, note: "no Service or ServiceEntry for the mirror host; a ServiceEntry for it would pass" },
    "SpinnakerService: spec.kustomize (each Service port's appProtocol) = (removed)": {
        beyond: "the Operator names each Service's port 'http' (NamedPorts), a valid protocol name, so service.PortNameAnalyzer (IST0118) is satisfied; that the services speak TLS on it, not HTTP, cannot be read from the objects",
    },
};

/** The weakening's label: the value as JSON. */
const valueLabel = (w: Weakening): string => (w.value === REMOVED ? "(removed)" : JSON.stringify(w.value));
const weakeningKey = (row: ModelRow, w: Weakening): string => `${row.kind}: ${row.field} = ${valueLabel(w)}`;

interface Mutation {
    readonly key: string;
    readonly apply: (rendered: Rendered[]) => void;
}

/** The model's Istio rows for prod, applied to the target in place (the model applies them to a renamed copy beside the original: a second object is no weakening of the stack an analyzer could see). */
function modelMutations(): Mutation[] {
    const out: Mutation[] = [];
    for (const row of MODEL.filter((r) => r.area === "Istio" && (r.stacks ?? ["prod"]).includes("prod"))) {
        for (const w of row.values) {
            out.push({
                key: weakeningKey(row, w),
                apply: (rendered) => {
                    const target = rendered.find((r) => r.kind === row.target.type && r.inputs.metadata.name === row.target.name);
                    if (!target) throw new Error(`no ${row.target.type} ${row.target.name} in prod's objects`);
                    row.apply(target.inputs as Obj, w.value);
                },
            });
        }
    }
    // The mutation suite's one Istio weakening the model has no row for (test/policies/mutations.test.ts).
    out.push({ key: "PeerAuthentication: (deleted)", apply: (rendered) => rendered.splice(0, rendered.length, ...rendered.filter((r) => r.kind !== "PeerAuthentication")) });
    // No policy row touches port protocols; this is the one place the program declares them (istioServicePortPatch).
    out.push({
        key: "SpinnakerService: spec.kustomize (each Service port's appProtocol) = (removed)",
        apply: (rendered) => delete (rendered.find((r) => r.kind === "SpinnakerServicePatch")!.inputs.spec as Obj).kustomize,
    });
    return out;
}

const problems = (ms: readonly AnalyzeMessage[]) => ms.filter((m) => m.level === "Error" || m.level === "Warning");
const ANALYZERS: readonly Analyzer[] = ["istioctl", "analyzefiles"];

describe("Istio's analyzers over prod's objects and what the Operator creates for them (offline)", function () {
    this.timeout(3_600_000);
    let prod: Rendered[] = [];
    let parts: WorldParts;
    const baseline = new Map<Analyzer, AnalyzeOutcome>();

    before(async () => {
        ensureIstioEnv(PROJECT_ROOT);
        for (const a of ANALYZERS) istioBinary(a);
        prod = renderedResources(await stackRun("prod"));
        parts = { certManager: new CertManagerStandIn(), proxyImage: `docker.io/istio/proxyv2:${process.env.E2E_ISTIO_VERSION}` };
        const world = meshWorld(prod, parts);
        for (const a of ANALYZERS) baseline.set(a, await analyze(world, a));
    });

    it("runs the istioctl built from the pinned istio.io/istio version", () => {
        const r = spawnSync(istioBinary("istioctl"), ["version", "--remote=false", "-o", "json"], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        const v = JSON.parse(r.stdout) as { clientVersion: { version: string; status: string } };
        assert.strictEqual(v.clientVersion.version, process.env.E2E_ISTIO_VERSION);
    });

    for (const a of ANALYZERS) {
        describe(a === "istioctl" ? "istioctl analyze --use-kube=false" : "analyzefiles (istioctl's analyzers, runtime kinds read from the files)", () => {
            it("reads every file it is given", () => {
                const b = baseline.get(a)!;
                assert.doesNotMatch(b.stderr, /Error\(s\) adding files|could not be parsed/, b.stderr);
            });

            it("reports nothing: no errors, no warnings, no infos", () => {
                const b = baseline.get(a)!;
                assert.deepStrictEqual(problems(b.messages).map(messageKey), [], `${b.command}\n${describeMessages(b.messages)}`);
                assert.deepStrictEqual(b.messages.map(messageKey), [], `${b.command}\n${describeMessages(b.messages)}`);
            });
        });
    }

    it("offline istioctl skips the analyzers that need Services, Pods, Namespaces or Secrets; analyzefiles runs them", () => {
        const offline = baseline.get("istioctl")!.skipped;
        const files = baseline.get("analyzefiles")!.skipped;
        for (const name of NEED_RUNTIME_KINDS) {
            assert.ok(offline.includes(name), `istioctl no longer skips ${name} (skipped: ${offline.join(", ")}): files-only analysis may now need no analyzefiles`);
            assert.ok(!files.includes(name), `analyzefiles skipped ${name}: ${files.join(", ")}`);
        }
    });

    describe("each part of the picture is one the analyzers read", () => {
        for (const c of CONTROLS) {
            it(`without ${c.omit}, ${c.reports}: ${c.why}`, async () => {
                const outcome = await analyze(meshWorld(prod, { ...parts, omit: new Set([c.omit]) }), "analyzefiles");
                const hits = outcome.messages.filter((m) => m.code === c.reports && c.origin.test(m.origin ?? ""));
                assert.ok(hits.length > 0, `expected ${c.reports} on ${c.origin}; analyzefiles said:\n${describeMessages(outcome.messages)}`);
            });
        }
    });

    describe("every Istio weakening of the policy model, analyzed", () => {
        for (const m of modelMutations()) {
            it(m.key, async () => {
                const rendered = structuredClone(prod);
                m.apply(rendered);
                const world = meshWorld(rendered, parts);
                const raised = new Map<Analyzer, AnalyzeMessage[]>();
                for (const a of ANALYZERS) {
                    const before = new Set(baseline.get(a)!.messages.map(messageKey));
                    raised.set(a, (await analyze(world, a)).messages.filter((x) => !before.has(messageKey(x))));
                }
                const seen = ANALYZERS.map((a) => `${a} raised:\n${describeMessages(raised.get(a)!)}`).join("\n");
                const verdict = VERDICTS[m.key];
                assert.ok(verdict, `no verdict for ${JSON.stringify(m.key)}; ${seen}`);
                if ("reports" in verdict) {
                    assert.ok(raised.get("analyzefiles")!.some((x) => x.code === verdict.reports), `expected ${verdict.reports} from analyzefiles; ${seen}`);
                    const byIstioctl = raised.get("istioctl")!.some((x) => x.code === verdict.reports);
                    assert.strictEqual(byIstioctl, verdict.istioctl, `offline istioctl ${verdict.istioctl ? "should" : "should not"} raise ${verdict.reports}; ${seen}`);
                } else {
                    for (const a of ANALYZERS) assert.deepStrictEqual(raised.get(a)!.map(messageKey), [], `expected nothing (${verdict.beyond}); ${seen}`);
                }
            });
        }
    });
});
