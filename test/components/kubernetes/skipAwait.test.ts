// e2eSkipAwait: the e2e cluster's knob. It marks exactly the objects whose
// readiness needs pods, and no committed stack sets it.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { unwrap } from "../../../engine/monitor";
import { PROJECT_ROOT } from "../../../engine/run";
import { AWAITS_PODS, SKIP_AWAIT_ANNOTATION } from "../../../components/kubernetes/skipAwait";
import { run, stackRun } from "../../support/stacks";

type Obj = { metadata?: { name?: string; annotations?: Record<string, string> } };

describe("e2eSkipAwait", () => {
    it("puts pulumi.com/skipAwait on the StatefulSets and Services, and on nothing else", async () => {
        const r = await run({ stack: "dev", config: { "spinnaker-mtls:e2eSkipAwait": "true" } });
        const k8s = r.resources.filter((x) => x.type.startsWith("kubernetes:") && !x.type.startsWith("pulumi:providers"));
        const marked = k8s.filter((x) => (unwrap(x.inputs) as Obj).metadata?.annotations?.[SKIP_AWAIT_ANNOTATION] === "true");
        assert.ok(marked.some((x) => x.type === "kubernetes:apps/v1:StatefulSet"), "the Redis StatefulSet");
        assert.ok(marked.some((x) => x.type === "kubernetes:core/v1:Service"), "the Redis Services");
        assert.deepStrictEqual(marked.filter((x) => !AWAITS_PODS.includes(x.type)).map((x) => x.type), []);
        assert.deepStrictEqual(k8s.filter((x) => AWAITS_PODS.includes(x.type) && !marked.includes(x)).map((x) => x.type), []);
    });

    it("is off by default and in every committed stack", async () => {
        const r = await stackRun("dev");
        assert.deepStrictEqual(r.resources.filter((x) => (unwrap(x.inputs) as Obj)?.metadata?.annotations?.[SKIP_AWAIT_ANNOTATION] !== undefined).map((x) => x.type), []);
        for (const f of fs.readdirSync(PROJECT_ROOT).filter((n) => /^Pulumi\..+\.yaml$/.test(n))) {
            const cfg = (YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, f), "utf8")) as { config?: Record<string, unknown> }).config ?? {};
            assert.ok(!("spinnaker-mtls:e2eSkipAwait" in cfg), `${f} sets e2eSkipAwait`);
        }
    });
});
