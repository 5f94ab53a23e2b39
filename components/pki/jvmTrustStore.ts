import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { managedLabels } from "../kubernetes/labels";
import { buildJvmTruststore } from "./jvmTrust";
import { KEYSTORE_PASSWORD } from "./serviceCertificate";
import { SECRET_KEY, secretChecksum } from "./secretLayout";

export interface JvmTrustStoreArgs {
    readonly namespace: string;
    readonly caCertPem: pulumi.Input<string>;
    /** PEM bundles of further CAs to trust (stack config). */
    readonly extraCasPem?: readonly string[];
}

export const JVM_TRUSTSTORE_SECRET = "spinnaker-mtls-jvm-truststore";

/**
 * One Secret, shared by every Java service, holding the JVM-wide trust store:
 * public roots plus the Spinnaker CA (see jvmTrust.ts for why both).
 */
export class JvmTrustStore extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:pki:JvmTrustStore";

    readonly secretName: pulumi.Output<string>;
    /** Secret. */
    readonly password: pulumi.Output<string>;
    /** Changes whenever the store does (a new root, a new CA). */
    readonly checksum: pulumi.Output<string>;

    constructor(name: string, args: JvmTrustStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super(JvmTrustStore.TYPE, name, {}, opts);
        const password = new random.RandomPassword(`${name}-password`, KEYSTORE_PASSWORD, { parent: this }).result;
        const data = pulumi.all([args.caCertPem, password]).apply(([caPem, pw]) => ({
            [SECRET_KEY.truststore]: buildJvmTruststore({ spinnakerCaPem: caPem, extraCasPem: args.extraCasPem }, pw).toString("base64"),
            [SECRET_KEY.truststorePassword]: Buffer.from(pw).toString("base64"),
        }));
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: { name: JVM_TRUSTSTORE_SECRET, namespace: args.namespace, labels: managedLabels("jvm-truststore") },
                type: "Opaque",
                data: pulumi.secret(data),
            },
            { parent: this },
        );
        this.secretName = secret.metadata.name;
        this.password = pulumi.secret(password);
        this.checksum = pulumi.unsecret(data.apply(secretChecksum));
        this.registerOutputs({ secretName: this.secretName, password: this.password, checksum: this.checksum });
    }
}
