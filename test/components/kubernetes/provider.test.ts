// One explicit Kubernetes provider carries every object, so render mode
// covers them all and no default provider (the ambient kubeconfig) appears.
import * as assert from "assert";
import { ExportedResource } from "../../../engine/run";
import { run, stackRun } from "../../support/stacks";

const PROVIDER = "pulumi:providers:kubernetes";
const providerRef = (r: ExportedResource) => r.provider?.slice(0, r.provider.lastIndexOf("::"));

function kubernetesSide(resources: ExportedResource[]) {
    const providers = resources.filter((r) => r.type.startsWith("pulumi:providers:"));
    const objects = resources.filter((r) => r.type.startsWith("kubernetes:"));
    return { providers, objects };
}

describe("Kubernetes provider", () => {
    it("render mode ignores a KUBECONFIG in the environment (the provider refuses one beside renderYamlToDirectory)", async () => {
        const before = process.env.KUBECONFIG;
        process.env.KUBECONFIG = "/home/user/.kube/config";
        try {
            const { providers } = kubernetesSide((await run({ stack: "local" })).export.deployment.resources);
            assert.strictEqual(providers[0].inputs?.kubeconfig, "");
        } finally {
            if (before === undefined) delete process.env.KUBECONFIG;
            else process.env.KUBECONFIG = before;
        }
    });

    it("render mode (the local stack): one provider writing to the render directory, no cluster settings, carrying every object", async () => {
        const { providers, objects } = kubernetesSide((await stackRun("local")).export.deployment.resources);
        assert.deepStrictEqual(providers.map((p) => [p.type, p.inputs]), [[PROVIDER, { enableServerSideApply: "true", kubeconfig: "", renderYamlToDirectory: "out/render/local" }]]);
        assert.ok(objects.length > 40);
        for (const o of objects) assert.strictEqual(providerRef(o), providers[0].urn, `${o.urn} does not go through the render provider`);
    });

    for (const stack of ["dev", "prod"]) {
        it(`${stack}: the same provider, for the cluster, and still the only one`, async () => {
            const { providers, objects } = kubernetesSide((await stackRun(stack)).export.deployment.resources);
            assert.deepStrictEqual(providers.map((p) => [p.type, p.inputs]), [[PROVIDER, { enableSecretMutable: "true", enableServerSideApply: "true" }]]);
            for (const o of objects) assert.strictEqual(providerRef(o), providers[0].urn, o.urn);
        });
    }

    it("deploys to the kubeconfig context the stack names", async () => {
        const { providers } = kubernetesSide((await run({ stack: "dev", config: { "spinnaker-mtls:kubeContext": "dev-cluster" } })).export.deployment.resources);
        assert.deepStrictEqual(providers[0].inputs, { enableSecretMutable: "true", enableServerSideApply: "true", context: "dev-cluster" });
    });
});
