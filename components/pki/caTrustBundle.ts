// The Spinnaker CAs every consumer trusts, in a Secret the program writes,
// for the certificate backend whose own Secrets cannot hold them: cert-manager
// writes each certificate's ca.crt and truststore.p12 from the one CA of the
// issuer that signed it, so during a CA rotation (docs/ca-rotation.md) no
// store of its would hold both CAs. With this Secret each service reads its
// trust (ca.crt, truststore.p12) from here and only its own key and
// certificate from cert-manager's Secret, so trust and issuance move in
// separate phases.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { buildTruststore } from "../../lib/asn1/pkcs12";
import { managedLabels } from "../kubernetes/labels";
import { KEYSTORE_PASSWORD } from "./serviceCertificate";
import { SECRET_KEY, TRUSTSTORE_ALIAS, secretChecksum } from "./secretLayout";

export const CA_TRUST_SECRET = "spinnaker-mtls-ca-trust";

export interface CaTrustBundleArgs {
    readonly namespace: string;
    /** Every CA the stores hold (PEM), current first: the same bundle the pulumi backend writes into each ca.crt. */
    readonly caCertPem: pulumi.Input<string>;
}

/** The Secret's data (base64): a pure function of the bundle and the password, so an unchanged bundle restarts nothing. */
export function caTrustBundleData(caCertPem: string, password: string): Record<string, string> {
    const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");
    return {
        [SECRET_KEY.caCertificate]: b64(caCertPem),
        [SECRET_KEY.truststore]: b64(buildTruststore({ caCertificatesPem: caCertPem, password, alias: TRUSTSTORE_ALIAS })),
        [SECRET_KEY.truststorePassword]: b64(password),
    };
}

/** One Secret in Spinnaker's namespace: ca.crt, truststore.p12 and its password. */
export class CaTrustBundle extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:pki:CaTrustBundle";

    readonly secretName: pulumi.Output<string>;
    /** Secret. */
    readonly password: pulumi.Output<string>;
    /** Changes whenever the bundle does. */
    readonly checksum: pulumi.Output<string>;

    constructor(name: string, args: CaTrustBundleArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CaTrustBundle.TYPE, name, {}, opts);
        const password = new random.RandomPassword(`${name}-password`, KEYSTORE_PASSWORD, { parent: this }).result;
        const data = pulumi.all([args.caCertPem, password]).apply(([pem, pw]) => caTrustBundleData(pem, pw));
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            { metadata: { name: CA_TRUST_SECRET, namespace: args.namespace, labels: managedLabels("ca-trust") }, type: "Opaque", data: pulumi.secret(data) },
            { parent: this },
        );
        this.secretName = secret.metadata.name;
        this.password = pulumi.secret(password);
        this.checksum = pulumi.unsecret(data.apply(secretChecksum));
        this.registerOutputs({ secretName: this.secretName, password: this.password, checksum: this.checksum });
    }
}
