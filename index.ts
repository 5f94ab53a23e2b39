// Composition root: read the stack config, build the components, export what
// operators need. No logic of its own lives here.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./components/config";
import { CertificateAuthority, SERVICE_CATALOG, ServiceCertificate } from "./components/pki";

const config = loadStackConfig();

const ca = new CertificateAuthority("spinnaker-ca", {
    key: config.key,
    organization: config.organization,
    validityHours: config.caValidityHours,
    renewBeforeHours: config.renewBeforeHours,
    imported: config.importedCa,
});

const certificates = config.services.map(
    (name) =>
        new ServiceCertificate(`spin-${name}`, {
            service: SERVICE_CATALOG[name],
            namespace: config.namespace,
            caCertPem: ca.certPem,
            caPrivateKeyPem: ca.privateKeyPem,
            key: config.key,
            organization: config.organization,
            validityHours: config.certValidityHours,
            renewBeforeHours: config.renewBeforeHours,
            extraDnsNames: config.extraSans[name],
        }),
);

export const namespace = config.namespace;
export const clientAuth = config.clientAuth;
export const caCertificatePem = ca.certPem;
export const caNotAfter = ca.notAfter;
/** Per service: the Secret that holds its files, its SANs and its expiry. Nothing secret. */
export const serviceCertificates = pulumi.output(
    Object.fromEntries(certificates.map((c, i) => [config.services[i], { secretName: c.secretName, notAfter: c.notAfter, dnsNames: c.dnsNames }])),
);
