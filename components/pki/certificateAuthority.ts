import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { KeySpec } from "../config/stackConfig";
import { CA_CERTIFICATE_USES, privateKeyArgs } from "./keySpec";
import { ISSUING_CERT_SUFFIX, pemBlocks, splitCaChain } from "./caChain";
import { constrainedIssuingCa, withNameConstraints } from "./nameConstrainedCa";

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
     * every name the stack issues lies in (permittedDnsNames.ts). Set, the
     * root carries them, and so does an issuing CA under it that signs the
     * leaves; unset, the generated root carries no constraints and signs the
     * leaves itself.
     */
    readonly permittedDnsNames?: pulumi.Input<readonly string[]>;
}

/** A CA certificate and its key (secret), as a leaf's signer. */
export interface CaSigner {
    readonly certPem: pulumi.Output<string>;
    readonly privateKeyPem: pulumi.Output<string>;
}

/**
 * The CA every service certificate chains to: a root generated with
 * @pulumi/tls (CA:TRUE, keyCertSign + cRLSign), or an imported one, which may
 * be an intermediate whose root key stays offline.
 *
 * A generated CA given permitted names is two certificates: the root, which
 * every store holds, and under it an issuing CA (pathLen 0) that signs the
 * leaves and is the only key cert-manager gets. Both carry the name
 * constraints; the issuing CA's hold for JSSE too, which ignores a trust
 * anchor's (nameConstrainedCa.ts). The root's key stays in the Pulumi state.
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
    /**
     * When the leaves' signer is an issuing CA this component made under its
     * root: the root and its key, which sign the leaf of a presenter that sends
     * its leaf alone (go-yaml-tools, caChain.ts), since every store holds the
     * root and none the issuing CA. Undefined otherwise: the signer is then
     * what the stores hold (a root, or an imported intermediate with its chain).
     */
    readonly leafOnlySigner?: CaSigner;

    constructor(name: string, args: CertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CertificateAuthority.TYPE, name, {}, opts);
        if (args.imported) {
            const chain = splitCaChain(args.imported.certPem);
            this.certPem = pulumi.output(chain.trustBundlePem);
            this.rootCertPem = pulumi.output(chain.anchorPem);
            this.signerCertPem = pulumi.output(chain.signerPem);
            this.intermediatesPem = pulumi.output(chain.intermediatesPem);
            this.privateKeyPem = pulumi.secret(args.imported.keyPem);
            this.notAfter = pulumi.output(earliestNotAfter(args.imported.certPem));
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
            const rootKeyPem = pulumi.secret(key.privateKeyPem);
            if (args.permittedDnsNames) {
                // The provider's certificate re-signed with the same key and name constraints: public, but
                // computed with the key, so Pulumi would mark it secret without the unsecret.
                const rootPem = pulumi.unsecret(pulumi.all([cert.certPem, key.privateKeyPem, args.permittedDnsNames]).apply(([pem, keyPem, names]) => withNameConstraints(pem, keyPem, names)));
                // The issuing CA: a key and a CA certificate from the provider, signed by the root's key, then
                // re-signed with the same constraints and pathLen 0. The provider signs with the unconstrained
                // root certificate; the re-signed root has the same subject, key and key identifier.
                const issuingKey = new tls.PrivateKey(`${name}-issuing-key`, privateKeyArgs(args.key), { parent: this });
                const issuingCsr = new tls.CertRequest(
                    `${name}-issuing-csr`,
                    { privateKeyPem: issuingKey.privateKeyPem, subject: { commonName: "Spinnaker mTLS issuing CA", organization: args.organization } },
                    { parent: this },
                );
                const issuingCert = new tls.LocallySignedCert(
                    `${name}${ISSUING_CERT_SUFFIX}`,
                    {
                        certRequestPem: issuingCsr.certRequestPem,
                        caCertPem: cert.certPem,
                        caPrivateKeyPem: key.privateKeyPem,
                        isCaCertificate: true,
                        setSubjectKeyId: true,
                        allowedUses: [...CA_CERTIFICATE_USES],
                        validityPeriodHours: args.validityHours,
                        earlyRenewalHours: args.renewBeforeHours,
                    },
                    { parent: this },
                );
                const issuingPem = pulumi.unsecret(
                    pulumi.all([issuingCert.certPem, rootPem, key.privateKeyPem, args.permittedDnsNames]).apply(([pem, root, keyPem, names]) => constrainedIssuingCa(pem, root, keyPem, names)),
                );
                this.certPem = rootPem;
                this.rootCertPem = rootPem;
                this.signerCertPem = issuingPem;
                this.intermediatesPem = issuingPem;
                this.privateKeyPem = pulumi.secret(issuingKey.privateKeyPem);
                this.leafOnlySigner = { certPem: rootPem, privateKeyPem: rootKeyPem };
                // The root's: the issuing CA is made after it, for as long, and replaced with it.
                this.notAfter = cert.validityEndTime;
            } else {
                this.certPem = cert.certPem;
                this.rootCertPem = cert.certPem;
                this.signerCertPem = cert.certPem;
                this.intermediatesPem = pulumi.output("");
                this.privateKeyPem = rootKeyPem;
                this.notAfter = cert.validityEndTime;
            }
        }
        this.registerOutputs({ certPem: this.certPem, rootCertPem: this.rootCertPem, signerCertPem: this.signerCertPem, intermediatesPem: this.intermediatesPem, privateKeyPem: this.privateKeyPem, notAfter: this.notAfter });
    }
}

/** The earliest expiry among a bundle's certificates, RFC 3339 to the second. */
function earliestNotAfter(pem: string): string {
    const earliest = Math.min(...pemBlocks(pem).map((b) => new Date(new crypto.X509Certificate(b).validTo).getTime()));
    return new Date(earliest).toISOString().replace(".000Z", "Z");
}
