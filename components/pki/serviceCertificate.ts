import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import type { KeySpec } from "../config/stackConfig";
import { managedLabels } from "../kubernetes/labels";
import { privateKeyArgs, serviceCertificateUses } from "./keySpec";
import { identityDnsNames, kubernetesServiceName } from "../../lib/catalog/serviceCatalog";
import { TlsIdentity, secretChecksum, serviceSecretData, serviceSecretName } from "./secretLayout";
import { IssuedIdentity, TlsMaterial, pulumiTlsMaterial } from "./tlsMaterial";

export interface ServiceCertificateArgs {
    readonly identity: TlsIdentity;
    readonly namespace: string;
    /** The CA that signs this certificate (an imported intermediate, or the root). */
    readonly caCertPem: pulumi.Input<string>;
    readonly caPrivateKeyPem: pulumi.Input<string>;
    /** The intermediates the leaf carries after itself, signer first; "" when the root signs (caChain.ts). */
    readonly intermediatesPem?: pulumi.Input<string>;
    /** What the stores hold (the root, then the intermediates); the signer when omitted. */
    readonly trustBundlePem?: pulumi.Input<string>;
    /** The root, which ends the keystore's chain; the signer when omitted. */
    readonly rootCertPem?: pulumi.Input<string>;
    readonly key: KeySpec;
    readonly organization: pulumi.Input<string>;
    readonly validityHours: pulumi.Input<number>;
    /** A `pulumi up` this many hours or fewer before expiry re-issues the certificate. */
    readonly renewBeforeHours: pulumi.Input<number>;
    readonly extraDnsNames?: readonly string[];
    /**
     * Leave the Secret in the cluster when Pulumi stops managing it: the switch
     * to cert-manager, which then takes the same Secret over in place.
     */
    readonly retainSecretOnDelete?: boolean;
    /** The Secret's name; `spin-<name>-tls` (serviceSecretName) when omitted. */
    readonly secretName?: string;
}

const withTrailingNewline = (pem: string): string => (pem.endsWith("\n") ? pem : `${pem}\n`);

/** Passwords for Java keystores: long, and alphanumeric so Java and OpenSSL derive the same keys from them. */
export const KEYSTORE_PASSWORD: random.RandomPasswordArgs = { length: 32, special: false };

/**
 * One Spinnaker service's identity: key, CSR and CA-signed certificate valid
 * for server and client auth, delivered as a Kubernetes Secret in the form the
 * service reads (PKCS#12 keystore and truststore for Java, PEM for the rest).
 */
export class ServiceCertificate extends pulumi.ComponentResource implements IssuedIdentity {
    static readonly TYPE = "spinnaker-mtls:pki:ServiceCertificate";

    readonly material: TlsMaterial;
    readonly certPem: pulumi.Output<string>;
    /** Secret. */
    readonly privateKeyPem: pulumi.Output<string>;
    readonly dnsNames: pulumi.Output<string[]>;
    readonly notAfter: pulumi.Output<string>;
    readonly secretName: pulumi.Output<string>;
    /** SHA-256 over the Secret's content: changes whenever any file or password does. */
    readonly checksum: pulumi.Output<string>;
    /** Secret; undefined for services that read PEM. */
    readonly keystorePassword?: pulumi.Output<string>;
    readonly truststorePassword?: pulumi.Output<string>;

    constructor(name: string, args: ServiceCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
        super(ServiceCertificate.TYPE, name, {}, opts);
        const svc = args.identity;
        const dnsNames = identityDnsNames(svc.name, args.namespace, args.extraDnsNames);
        const secretName = args.secretName ?? serviceSecretName(svc.name);
        this.material = pulumiTlsMaterial(svc.name, svc.format, secretName);

        const key = new tls.PrivateKey(`${name}-key`, privateKeyArgs(args.key), { parent: this });
        const csr = new tls.CertRequest(
            `${name}-csr`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: kubernetesServiceName(svc.name), organization: args.organization },
                dnsNames,
            },
            { parent: this },
        );
        const cert = new tls.LocallySignedCert(
            `${name}-cert`,
            {
                certRequestPem: csr.certRequestPem,
                caCertPem: args.caCertPem,
                caPrivateKeyPem: args.caPrivateKeyPem,
                allowedUses: serviceCertificateUses(args.key),
                validityPeriodHours: args.validityHours,
                earlyRenewalHours: args.renewBeforeHours,
                setSubjectKeyId: true,
            },
            { parent: this },
        );

        if (svc.format === "pkcs12") {
            this.keystorePassword = pulumi.secret(new random.RandomPassword(`${name}-keystore-password`, KEYSTORE_PASSWORD, { parent: this }).result);
            this.truststorePassword = pulumi.secret(new random.RandomPassword(`${name}-truststore-password`, KEYSTORE_PASSWORD, { parent: this }).result);
        }
        // tls.crt is the leaf and the intermediates (cert-manager's layout for a CA issuer with a chain), ca.crt the stores' bundle.
        const data = pulumi
            .all([key.privateKeyPem, cert.certPem, args.intermediatesPem ?? "", args.trustBundlePem ?? args.caCertPem, args.rootCertPem ?? args.caCertPem, this.keystorePassword, this.truststorePassword])
            .apply(([privateKeyPem, leafPem, intermediatesPem, caCertificatePem, rootCertificatePem, keystorePassword, truststorePassword]) =>
                serviceSecretData({
                    format: svc.format,
                    alias: svc.name,
                    privateKeyPem,
                    certificatePem: intermediatesPem ? withTrailingNewline(leafPem) + intermediatesPem : leafPem,
                    caCertificatePem,
                    ...(intermediatesPem ? { rootCertificatePem } : {}),
                    keystorePassword,
                    truststorePassword,
                }),
            );
        const secret = new k8s.core.v1.Secret(
            `${name}-secret`,
            {
                metadata: {
                    name: secretName,
                    namespace: args.namespace,
                    labels: managedLabels(svc.name),
                },
                type: "kubernetes.io/tls",
                data: pulumi.secret(data),
            },
            { parent: this, ...(args.retainSecretOnDelete ? { retainOnDelete: true } : {}) },
        );

        this.certPem = cert.certPem;
        this.privateKeyPem = pulumi.secret(key.privateKeyPem);
        this.dnsNames = pulumi.output(dnsNames);
        this.notAfter = cert.validityEndTime;
        this.secretName = secret.metadata.name;
        // A digest of high-entropy secrets reveals nothing, and pod annotations need it in plain.
        this.checksum = pulumi.unsecret(data.apply(secretChecksum));
        this.registerOutputs({
            certPem: this.certPem,
            privateKeyPem: this.privateKeyPem,
            dnsNames: this.dnsNames,
            notAfter: this.notAfter,
            secretName: this.secretName,
            checksum: this.checksum,
            keystorePassword: this.keystorePassword,
            truststorePassword: this.truststorePassword,
        });
    }
}
