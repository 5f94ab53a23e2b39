// Another team's program: one SpinnakerMtls among its own resources, its args
// typed in TypeScript (here read from its config as JSON, so the tests can
// vary them), and the CA key a Pulumi secret Output.
import * as pulumi from "@pulumi/pulumi";
import { SpinnakerMtls, SpinnakerMtlsArgs } from "../../../../components/spinnakerMtls";

const config = new pulumi.Config();
const args = JSON.parse(config.require("args")) as SpinnakerMtlsArgs;
const caKeyPem = config.getSecret("caKeyPem");
const spinnaker = new SpinnakerMtls("spinnaker", { ...args, ...(args.caCertPem ? { caKeyPem } : {}) });

export const caCertificatePem = spinnaker.caCertificatePem;
export const serviceCertificates = spinnaker.serviceCertificates;
export const clientAuth = spinnaker.clientAuth;
