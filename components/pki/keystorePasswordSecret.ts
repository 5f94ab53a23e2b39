import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { managedLabels } from "../kubernetes/labels";
import { KEYSTORE_PASSWORD } from "./serviceCertificate";

export interface KeystorePasswordSecretArgs {
    /** The identity's short name (the Secret's component label). */
    readonly identity: string;
    readonly namespace: string;
    /** The Secret's name and the key the password sits under. */
    readonly secretName: string;
    readonly key: string;
}

/**
 * A generated keystore password in a Secret of its own, for backends whose
 * issuer writes the stores outside Pulumi (cert-manager reads it through
 * passwordSecretRef, the Otterize operator from an annotation) while
 * Spinnaker's config references the Secret. Children of `parent`, named
 * `<name>-keystore-password`. Returns the password, secret.
 */
export function keystorePasswordSecret(parent: pulumi.ComponentResource, name: string, args: KeystorePasswordSecretArgs): { password: pulumi.Output<string>; secret: k8s.core.v1.Secret } {
    const password = pulumi.secret(new random.RandomPassword(`${name}-keystore-password`, KEYSTORE_PASSWORD, { parent }).result);
    const secret = new k8s.core.v1.Secret(
        `${name}-keystore-password`,
        {
            metadata: { name: args.secretName, namespace: args.namespace, labels: managedLabels(args.identity) },
            type: "Opaque",
            data: pulumi.secret(password.apply((p) => ({ [args.key]: Buffer.from(p).toString("base64") }))),
        },
        { parent },
    );
    return { password, secret };
}
