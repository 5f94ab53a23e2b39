import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { KeySpec } from "../config/stackConfig";
import { CA_CERTIFICATE_USES, privateKeyArgs } from "./keySpec";

export interface CertificateAuthorityArgs {
    /** Key of a generated CA. Ignored when `imported` is set. */
    readonly key: KeySpec;
    readonly organization: pulumi.Input<string>;
    readonly validityHours: pulumi.Input<number>;
    /** Re-issue the generated root this many hours before it expires. */
    readonly renewBeforeHours: pulumi.Input<number>;
    /** An organisation's existing CA, validated by the stack config (the key may be a secret Output). */
    readonly imported?: { readonly certPem: string; readonly keyPem: pulumi.Input<string> };
}

/**
 * The private root CA every service certificate chains to: generated with
 * @pulumi/tls (CA:TRUE, keyCertSign + cRLSign), or an imported one.
 */
export class CertificateAuthority extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:pki:CertificateAuthority";

    /** The CA certificate, PEM: public, safe to export. */
    readonly certPem: pulumi.Output<string>;
    /** The CA private key, PEM: always a Pulumi secret. */
    readonly privateKeyPem: pulumi.Output<string>;
    /** RFC 3339 expiry of the CA certificate. */
    readonly notAfter: pulumi.Output<string>;

    constructor(name: string, args: CertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CertificateAuthority.TYPE, name, {}, opts);
        if (args.imported) {
            this.certPem = pulumi.output(args.imported.certPem);
            this.privateKeyPem = pulumi.secret(args.imported.keyPem);
            this.notAfter = pulumi.output(new Date(new crypto.X509Certificate(args.imported.certPem).validTo).toISOString().replace(".000Z", "Z"));
        } else {
            const key = new tls.PrivateKey(`${name}-key`, privateKeyArgs(args.key), { parent: this });
            const cert = new tls.SelfSignedCert(
                `${name}-cert`,
                {
                    privateKeyPem: key.privateKeyPem,
                    isCaCertificate: true,
                    setSubjectKeyId: true,
                    allowedUses: [...CA_CERTIFICATE_USES],
                    subject: { commonName: "Spinnaker mTLS root CA", organization: args.organization },
                    validityPeriodHours: args.validityHours,
                    earlyRenewalHours: args.renewBeforeHours,
                },
                { parent: this },
            );
            this.certPem = cert.certPem;
            this.privateKeyPem = pulumi.secret(key.privateKeyPem);
            this.notAfter = cert.validityEndTime;
        }
        this.registerOutputs({ certPem: this.certPem, privateKeyPem: this.privateKeyPem, notAfter: this.notAfter });
    }
}
