// Another team's program: one SpinnakerMtls among its own resources, its args
// typed in TypeScript (here read from its config as JSON, so the tests can
// vary them), and the CA key a Pulumi secret Output.
import * as pulumi from "@pulumi/pulumi";
import { SpinnakerMtls, SpinnakerMtlsArgs } from "../../../../components/spinnakerMtls";
import { OFFLINE_ENGINE_ENV } from "../../../../components/spinnakerMtls/offlineEngine";

const config = new pulumi.Config();
const args = JSON.parse(config.require("args")) as SpinnakerMtlsArgs;
const caKeyPem = config.getSecret("caKeyPem");
// The args named here arrive as Outputs that resolve a moment after the component is created, as a
// StackReference's output reaches a program in another language through the component package.
const asOutputs = JSON.parse(config.get("outputs") ?? "[]") as (keyof SpinnakerMtlsArgs)[];
const later = (value: unknown): pulumi.Output<unknown> => pulumi.output(new Promise((resolve) => setTimeout(() => resolve(value), 100)));
// As under the Pulumi CLI, the component may read a cluster (the one KUBECONFIG names); the offline engine otherwise forbids it.
if (config.getBoolean("readsCluster")) delete process.env[OFFLINE_ENGINE_ENV];
const spinnaker = new SpinnakerMtls("spinnaker", {
    ...args,
    ...(args.caCertPem ? { caKeyPem } : {}),
    ...Object.fromEntries(asOutputs.map((k) => [k, later(args[k])])),
});

export const caCertificatePem = spinnaker.caCertificatePem;
export const serviceCertificates = spinnaker.serviceCertificates;
export const clientAuth = spinnaker.clientAuth;
export const lastDeployedCaTrust = spinnaker.lastDeployedCaTrust;
