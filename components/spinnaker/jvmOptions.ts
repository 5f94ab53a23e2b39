import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { managedLabels } from "../kubernetes/labels";
import { secretChecksum } from "../pki/secretLayout";
import { renderJvmArgfile } from "./jvmArgfile";

export const JVM_OPTIONS_KEY = "jvm-options";
export const jvmOptionsSecretName = (service: string): string => `spin-${service}-jvm`;

export interface JvmStoreInput {
    readonly path: string;
    readonly password: pulumi.Input<string>;
    readonly type?: "PKCS12" | "JKS";
}

export interface JvmOptionsArgs {
    readonly service: string;
    readonly namespace: string;
    readonly keyStore?: JvmStoreInput;
    readonly trustStore?: JvmStoreInput;
    /** System properties (Halyard's string secrets), name to value. */
    readonly properties?: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * A Java service's JVM argfile, in a Secret of its own (it holds passwords):
 * `spin-<svc>-jvm`, key `jvm-options`.
 */
export class JvmOptions extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:spinnaker:JvmOptions";

    readonly secretName: pulumi.Output<string>;
    readonly checksum: pulumi.Output<string>;

    constructor(name: string, args: JvmOptionsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(JvmOptions.TYPE, name, {}, opts);
        const names = Object.keys(args.properties ?? {}).sort();
        const argfile = pulumi
            .all([args.keyStore?.password, args.trustStore?.password, pulumi.all(names.map((n) => args.properties![n]))])
            .apply(([keyPassword, trustPassword, values]) =>
                renderJvmArgfile({
                    keyStore: args.keyStore && { path: args.keyStore.path, password: keyPassword!, type: args.keyStore.type },
                    trustStore: args.trustStore && { path: args.trustStore.path, password: trustPassword! },
                    properties: Object.fromEntries(names.map((n, i) => [n, values[i]])),
                }),
            );
        const data = argfile.apply((text) => ({ [JVM_OPTIONS_KEY]: Buffer.from(text).toString("base64") }));
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: { name: jvmOptionsSecretName(args.service), namespace: args.namespace, labels: managedLabels(args.service) },
                type: "Opaque",
                data: pulumi.secret(data),
            },
            { parent: this },
        );
        this.secretName = secret.metadata.name;
        this.checksum = pulumi.unsecret(data.apply(secretChecksum));
        this.registerOutputs({ secretName: this.secretName, checksum: this.checksum });
    }
}
