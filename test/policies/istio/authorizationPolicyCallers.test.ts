import * as assert from "assert";
import { kube, messages } from "../../support/policyPack";
import { GATEWAY_PRINCIPAL, NS, authorizationPolicies, peerAuthentication, redisStatefulSet } from "../fixtures";

const POLICY = "authorization-policy-named-callers";
const ap = (name: string, spec: Record<string, unknown>, namespace = NS) => kube("security.istio.io/v1", "AuthorizationPolicy", { name, namespace }, { spec });
const FIX = "Fix: admit named callers only: from[].source.principals or namespaces, without '*'";

describe("policy authorization-policy-named-callers", () => {
    it("accepts the program's policies, a narrowing ALLOW, a DENY, and a stack without Istio", async () => {
        const narrow = ap("orca-from-gate", { action: "ALLOW", selector: { matchLabels: { cluster: "spin-orca" } }, rules: [{ from: [{ source: { principals: [GATEWAY_PRINCIPAL] } }] }] });
        const deny = ap("deny-all-admin", { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin"] } }] }] });
        assert.deepStrictEqual(await messages(POLICY, [redisStatefulSet(), peerAuthentication(), ...authorizationPolicies(), narrow, deny]), []);
        assert.deepStrictEqual(await messages(POLICY, [redisStatefulSet()]), []);
    });

    it("refuses a mesh namespace running Redis without any ALLOW policy", async () => {
        assert.deepStrictEqual(await messages(POLICY, [redisStatefulSet(), peerAuthentication()]), [
            `Namespace ${NS}: runs Spinnaker or Redis but no ALLOW AuthorizationPolicy applies there, so Istio admits every workload of the mesh. Fix: add an ALLOW AuthorizationPolicy in ${NS} naming its callers (from[].source.namespaces: [${NS}])`,
        ]);
    });

    it("refuses ALLOW rules without 'from', sources naming nobody, and '*', here or in the root namespace", async () => {
        const open = ap("open", { rules: [{ to: [{ operation: { methods: ["GET"] } }] }, { from: [{ source: { ipBlocks: ["0.0.0.0/0"] } }, { source: { namespaces: ["*"] } }] }] });
        const meshWide = ap("mesh-wide", { action: "ALLOW", rules: [{ from: [{ source: { principals: ["*"] } }] }] }, "istio-system");
        assert.deepStrictEqual(await messages(POLICY, [redisStatefulSet(), peerAuthentication(), ...authorizationPolicies(), open, meshWide]), [
            `AuthorizationPolicy ${NS}/open: spec.rules[0].from: is not set, so this rule admits any caller. ${FIX}`,
            `AuthorizationPolicy ${NS}/open: spec.rules[1].from[0].source: is {"ipBlocks":["0.0.0.0/0"]}: it names no principals or namespaces, so it admits any caller. ${FIX}`,
            `AuthorizationPolicy ${NS}/open: spec.rules[1].from[1].source: is {"namespaces":["*"]}: '*' admits any caller. ${FIX}`,
            `AuthorizationPolicy istio-system/mesh-wide: spec.rules[0].from[0].source: is {"principals":["*"]}: '*' admits any caller. ${FIX}`,
        ]);
    });
});
