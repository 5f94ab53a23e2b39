import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { KeySpec } from "../config/stackConfig";
import { CA_CERTIFICATE_USES, privateKeyArgs } from "./keySpec";
import { pemBlocks, splitCaChain } from "./caChain";
import { withNameConstraints } from "./nameConstrainedCa";

export interface CertificateAuthorityArgs {
    /** Key of a generated CA. Ignored when `imported` is set. */
    readonly key: KeySpec;
    readonly organization: pulumi.Input<string>;
    readonly validityHours: pulumi.Input<number>;
    /** Re-issue the generated root this many hours before it expires. */
    readonly renewBeforeHours: pulumi.Input<number>;
    /**
     * An organisation's existing CA, validated by the stack config (the key may be a secret Output):
     * a root, or an intermediate followed by its chain up to its root (caChain.ts).
     */
    readonly imported?: { readonly certPem: string; readonly keyPem: pulumi.Input<string> };
    /**
     * A generated CA's permitted DNS subtrees (nameConstrainedCa.ts), which
     * every name the stack issues lies in (permittedDnsNames.ts). Unset, the
     * generated CA carries no name constraints.
     */
    readonly permittedDnsNames?: pulumi.Input<readonly string[]>;
}

/**
 * The CA every service certificate chains to: a root generated with
 * @pulumi/tls (CA:TRUE, keyCertSign + cRLSign), name-constrained to the
 * stack's names when asked, or an imported one, which may be an intermediate
 * whose root key stays offline.
 */
export class CertificateAuthority extends pulumi.ComponentResource {
    static readonly TYPE = "spinnaker-mtls:pki:CertificateAuthority";

    /** What every store holds, PEM: the root, then any imported intermediates (caChain.ts says why). Public, safe to export. */
    readonly certPem: pulumi.Output<string>;
    /** The root alone. */
    readonly rootCertPem: pulumi.Output<string>;
    /** The CA certificate that signs the leaves: the root itself, or an imported intermediate. */
    readonly signerCertPem: pulumi.Output<string>;
    /** What each leaf carries after itself: the intermediates, signer first; "" when the root signs. */
    readonly intermediatesPem: pulumi.Output<string>;
    /** The CA private key, PEM: always a Pulumi secret. */
    readonly privateKeyPem: pulumi.Output<string>;
    /** RFC 3339 expiry of the CA: the earliest of its chain's. */
    readonly notAfter: pulumi.Output<string>;

    constructor(name: string, args: CertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CertificateAuthority.TYPE, name, {}, opts);
        if (args.imported) {
            const chain = splitCaChain(args.imported.certPem);
            this.certPem = pulumi.output(chain.trustBundlePem);
            this.rootCertPem = pulumi.output(chain.anchorPem);
            this.signerCertPem = pulumi.output(chain.signerPem);
            this.intermediatesPem = pulumi.output(chain.intermediatesPem);
            this.privateKeyPem = pulumi.secret(args.imported.keyPem);
            const earliest = Math.min(...pemBlocks(args.imported.certPem).map((b) => new Date(new crypto.X509Certificate(b).validTo).getTime()));
            this.notAfter = pulumi.output(new Date(earliest).toISOString().replace(".000Z", "Z"));
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
            // The provider's certificate re-signed with the same key and name constraints: public, but
            // computed with the key, so Pulumi would mark it secret without the unsecret.
            const certPem = args.permittedDnsNames
                ? pulumi.unsecret(pulumi.all([cert.certPem, key.privateKeyPem, args.permittedDnsNames]).apply(([pem, keyPem, names]) => withNameConstraints(pem, keyPem, names)))
                : cert.certPem;
            this.certPem = certPem;
            this.rootCertPem = certPem;
            this.signerCertPem = certPem;
            this.intermediatesPem = pulumi.output("");
            this.privateKeyPem = pulumi.secret(key.privateKeyPem);
            this.notAfter = cert.validityEndTime;
        }
        this.registerOutputs({ certPem: this.certPem, rootCertPem: this.rootCertPem, signerCertPem: this.signerCertPem, intermediatesPem: this.intermediatesPem, privateKeyPem: this.privateKeyPem, notAfter: this.notAfter });
    }
}
