import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { KeySpec } from "../config/pkiConfig";
import { managedLabels } from "../kubernetes/labels";
import { keystorePasswordSecret } from "../pki/keystorePasswordSecret";
import { SECRET_KEY, TlsIdentity, serviceSecretName } from "../pki/secretLayout";
import { identityDnsNames } from "../../lib/catalog/serviceCatalog";
import { IssuedIdentity, TlsMaterial, tlsMaterial } from "../pki/tlsMaterial";
import { CERT_MANAGER_API_VERSION, CertificateSpec, KEYSTORE_PASSWORD_KEY, keystorePasswordSecretName, serviceCertificateSpec } from "./certificateSpec";

export interface CertManagerCertificateArgs {
    readonly identity: TlsIdentity;
    readonly namespace: string;
    readonly key: KeySpec;
    readonly organization: string;
    readonly validityHours: number;
    readonly renewBeforeHours: number;
    readonly extraDnsNames?: readonly string[];
    /** The Issuer that signs, in the Certificate's namespace (the CA Issuer backed by the program's CA). */
    readonly issuer: string;
    /**
     * The program's CA trust bundle (caTrustBundle.ts), which the service reads its trust from instead of
     * cert-manager's ca.crt and truststore.p12: its Secret and its truststore's password.
     */
    readonly trust?: { readonly secretName: string; readonly truststorePassword: pulumi.Output<string> };
}

/** The Kubernetes provider's annotation that makes pulumi up wait for a condition of a custom resource. */
export const WAIT_FOR_ANNOTATION = "pulumi.com/waitFor";

/** Where cert-manager writes an identity's files: its Secret's keys, and the password Secret it reads. */
export function certManagerTlsMaterial(identity: TlsIdentity, trustSecret?: string): TlsMaterial {
    // cert-manager protects keystore.p12 and truststore.p12 with the same password, from a Secret of its own.
    const password = { secret: keystorePasswordSecretName(identity.name), key: KEYSTORE_PASSWORD_KEY };
    const truststore = trustSecret ? { secret: trustSecret, key: SECRET_KEY.truststorePassword } : password;
    return tlsMaterial(identity.name, identity.format, { keystore: password, truststore }, serviceSecretName(identity.name), trustSecret);
}

/**
 * The part of a Certificate's spec that decides what its Secret holds for the pods: all of it but the
 * issuer. A new issuer (a CA rotation's issue-next) re-issues the Secret, and Reloader restarts the
 * pods on that; rolling them from the spec as well would restart each twice.
 */
export function podFacingSpec(spec: CertificateSpec): Omit<CertificateSpec, "issuerRef"> {
    const { issuerRef: _issuer, ...rest } = spec;
    return rest;
}

/**
 * One identity's certificate from cert-manager: a Certificate that renews
 * itself (same Secret name and keys as the program's own PKI), and, for Java,
 * the password Secret its PKCS#12 stores are protected with.
 */
export class CertManagerCertificate extends pulumi.ComponentResource implements IssuedIdentity {
    static readonly TYPE = "spinnaker-mtls:certmanager:CertManagerCertificate";

    readonly material: TlsMaterial;
    readonly secretName: pulumi.Output<string>;
    /**
     * A digest of the Certificate's spec but its issuer (podFacingSpec): pods
     * roll when Pulumi changes what is issued. Renewals and re-issues by
     * cert-manager itself do not pass through Pulumi, nor does the trust
     * bundle; see the Reloader annotation in the Spinnaker settings.
     */
    readonly checksum: pulumi.Output<string>;
    readonly dnsNames: pulumi.Output<string[]>;
    readonly keystorePassword?: pulumi.Output<string>;
    readonly truststorePassword?: pulumi.Output<string>;

    constructor(name: string, args: CertManagerCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
        super(CertManagerCertificate.TYPE, name, {}, opts);
        const id = args.identity;
        const labels = managedLabels(id.name);
        this.material = certManagerTlsMaterial(id, args.trust?.secretName);
        const dnsNames = identityDnsNames(id.name, args.namespace, args.extraDnsNames);
        const dependsOn: pulumi.Resource[] = [];
        if (id.format === "pkcs12") {
            const { password, secret } = keystorePasswordSecret(this, name, { identity: id.name, namespace: args.namespace, secretName: keystorePasswordSecretName(id.name), key: KEYSTORE_PASSWORD_KEY });
            dependsOn.push(secret);
            this.keystorePassword = password;
            this.truststorePassword = args.trust ? args.trust.truststorePassword : password;
        }
        const spec = serviceCertificateSpec({
            name: id.name,
            secretName: serviceSecretName(id.name),
            dnsNames,
            organization: args.organization,
            key: args.key,
            validityHours: args.validityHours,
            renewBeforeHours: args.renewBeforeHours,
            format: id.format,
            issuer: args.issuer,
            labels,
        });
        new k8s.apiextensions.CustomResource(
            `${name}-certificate`,
            {
                apiVersion: CERT_MANAGER_API_VERSION,
                kind: "Certificate",
                // pulumi up waits until cert-manager has written the Secret: what depends on
                // this component (the Spinnaker patch that rolls the pods) then finds it filled.
                metadata: { name: `spin-${id.name}`, namespace: args.namespace, labels, annotations: { [WAIT_FOR_ANNOTATION]: "condition=Ready" } },
                spec,
            },
            { parent: this, dependsOn },
        );
        this.secretName = pulumi.output(spec.secretName);
        this.checksum = pulumi.output(crypto.createHash("sha256").update(JSON.stringify(podFacingSpec(spec))).digest("hex"));
        this.dnsNames = pulumi.output(dnsNames);
        this.registerOutputs({
            secretName: this.secretName,
            checksum: this.checksum,
            dnsNames: this.dnsNames,
            keystorePassword: this.keystorePassword,
            truststorePassword: this.truststorePassword,
        });
    }
}
