import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { managedLabels } from "../kubernetes/labels";
import { SecretRef, secretString } from "../spinnaker/settingsTree";

export const EXTERNAL_REDIS_SECRET = "spinnaker-mtls-redis";
export const EXTERNAL_REDIS_URL_KEY = "url";

export interface ExternalRedisArgs {
    readonly namespace: string;
    /** The rediss:// URL from secret config; it may hold a password. */
    readonly url: pulumi.Input<string>;
}

/**
 * A managed Redis outside the cluster: its URL (which may carry a password)
 * lives only in a Secret, and Spinnaker config refers to that Secret.
 */
export class ExternalRedis extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:redis:ExternalRedis";

    /** Where Spinnaker config reads the URL from. */
    readonly urlRef: SecretRef = secretString(EXTERNAL_REDIS_SECRET, EXTERNAL_REDIS_URL_KEY);
    readonly secretName: pulumi.Output<string>;
    /** Secret. */
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: ExternalRedisArgs, opts?: pulumi.ComponentResourceOptions) {
        super(ExternalRedis.TYPE, name, {}, opts);
        this.url = pulumi.secret(args.url);
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: { name: EXTERNAL_REDIS_SECRET, namespace: args.namespace, labels: managedLabels("redis") },
                type: "Opaque",
                data: pulumi.secret(pulumi.output(args.url).apply((u) => ({ [EXTERNAL_REDIS_URL_KEY]: Buffer.from(u).toString("base64") }))),
            },
            { parent: this },
        );
        this.secretName = secret.metadata.name;
        this.registerOutputs({ secretName: this.secretName, url: this.url });
    }
}
