// The e2e cluster's switch (SPINNAKER_MTLS_E2E_NO_KUBELET in the environment,
// never a config key). It marks exactly the objects whose readiness needs
// pods, and nothing a user configures turns it on.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { unwrap } from "../../../engine/monitor";
import { PROJECT_ROOT } from "../../../engine/run";
import { AWAITS_PODS, NO_KUBELET_ENV, SKIP_AWAIT_ANNOTATION } from "../../../components/kubernetes/skipAwait";
import { run, stackRun } from "../../support/stacks";

type Obj = { metadata?: { name?: string; annotations?: Record<string, string> } };

describe("the e2e cluster's skipAwait switch", () => {
    it("puts pulumi.com/skipAwait on the StatefulSets and Services, and on nothing else", async () => {
        process.env[NO_KUBELET_ENV] = "1";
        let r: Awaited<ReturnType<typeof run>>;
        try {
            r = await run({ stack: "dev" });
        } finally {
            delete process.env[NO_KUBELET_ENV];
        }
        const k8s = r.resources.filter((x) => x.type.startsWith("kubernetes:") && !x.type.startsWith("pulumi:providers"));
        const marked = k8s.filter((x) => (unwrap(x.inputs) as Obj).metadata?.annotations?.[SKIP_AWAIT_ANNOTATION] === "true");
        assert.ok(marked.some((x) => x.type === "kubernetes:apps/v1:StatefulSet"), "the Redis StatefulSet");
        assert.ok(marked.some((x) => x.type === "kubernetes:core/v1:Service"), "the Redis Services");
        assert.deepStrictEqual(marked.filter((x) => !AWAITS_PODS.includes(x.type)).map((x) => x.type), []);
        assert.deepStrictEqual(k8s.filter((x) => AWAITS_PODS.includes(x.type) && !marked.includes(x)).map((x) => x.type), []);
    });

    it("is off by default, and no config key turns it on", async () => {
        const r = await stackRun("dev");
        assert.deepStrictEqual(r.resources.filter((x) => (unwrap(x.inputs) as Obj)?.metadata?.annotations?.[SKIP_AWAIT_ANNOTATION] !== undefined).map((x) => x.type), []);
        for (const f of fs.readdirSync(PROJECT_ROOT).filter((n) => /^Pulumi\..+\.yaml$/.test(n))) {
            const cfg = (YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, f), "utf8")) as { config?: Record<string, unknown> }).config ?? {};
            assert.ok(!Object.keys(cfg).some((k) => /skipAwait/i.test(k)), `${f} sets a skipAwait key`);
        }
        await assert.rejects(run({ stack: "dev", config: { "spinnaker-mtls:e2eSkipAwait": "true" } }), /spinnaker-mtls:e2eSkipAwait is not a known key/);
    });
});
