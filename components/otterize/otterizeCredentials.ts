import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { keystorePasswordSecret } from "../pki/keystorePasswordSecret";
import { TlsIdentity, serviceSecretName } from "../pki/secretLayout";
import { identityDnsNames } from "../../lib/catalog/serviceCatalog";
import { IssuedIdentity, TlsMaterial } from "../pki/tlsMaterial";
import { OTTERIZE_ANNOTATION, OTTERIZE_PASSWORD_KEY, credentialAnnotations, otterizePasswordSecretName, otterizeTlsMaterial } from "./credentialAnnotations";

export interface OtterizeCredentialsArgs {
    readonly identity: TlsIdentity;
    readonly namespace: string;
    readonly ttlHours: number;
    readonly extraDnsNames?: readonly string[];
}

/**
 * One identity's credentials from the Otterize credentials operator. Nothing
 * here issues a certificate: the operator does, when a pod carrying
 * `podAnnotations` starts, into spin-<name>-tls with the same layout contract
 * as the other backends (TlsMaterial). For Java identities the component owns
 * a generated JKS password: in our own Secret, which Spinnaker's config
 * references, and as the literal annotation the operator reads (it takes no
 * Secret reference), never the operator's well-known default.
 */
export class OtterizeCredentials extends pulumi.ComponentResource implements IssuedIdentity {
    static readonly TYPE = "spinnaker-mtls:otterize:OtterizeCredentials";

    readonly material: TlsMaterial;
    readonly secretName: pulumi.Output<string>;
    /** A digest of the annotations' public part: pods roll when what the operator is asked for changes. */
    readonly checksum: pulumi.Output<string>;
    readonly dnsNames: pulumi.Output<string[]>;
    readonly keystorePassword?: pulumi.Output<string>;
    readonly truststorePassword?: pulumi.Output<string>;
    readonly podAnnotations: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: OtterizeCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(OtterizeCredentials.TYPE, name, {}, opts);
        const id = args.identity;
        const dnsNames = identityDnsNames(id.name, args.namespace, args.extraDnsNames);
        const annotations = credentialAnnotations({ name: id.name, format: id.format, dnsNames, ttlHours: args.ttlHours });
        this.material = otterizeTlsMaterial(id.name, id.format);
        if (id.format === "pkcs12") {
            const { password } = keystorePasswordSecret(this, name, { identity: id.name, namespace: args.namespace, secretName: otterizePasswordSecretName(id.name), key: OTTERIZE_PASSWORD_KEY });
            this.keystorePassword = password;
            this.truststorePassword = password;
            // Secret as a whole: whatever carries these annotations is stored encrypted in the state.
            this.podAnnotations = pulumi.secret(password.apply((p): Record<string, string> => ({ ...annotations, [OTTERIZE_ANNOTATION.jksPassword]: p })));
        } else {
            this.podAnnotations = pulumi.output(annotations);
        }
        this.secretName = pulumi.output(serviceSecretName(id.name));
        this.checksum = pulumi.output(crypto.createHash("sha256").update(JSON.stringify(annotations)).digest("hex"));
        this.dnsNames = pulumi.output(dnsNames);
        this.registerOutputs({
            secretName: this.secretName,
            checksum: this.checksum,
            dnsNames: this.dnsNames,
            keystorePassword: this.keystorePassword,
            truststorePassword: this.truststorePassword,
            podAnnotations: this.podAnnotations,
        });
    }
}
