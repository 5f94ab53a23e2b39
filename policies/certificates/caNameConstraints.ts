import { X509Certificate } from "crypto";
import { StackValidationPolicy } from "@pulumi/policy";
import { TLS_SELF_SIGNED } from "../lib/certificates";
import { NAME_CONSTRAINTS_OID, extensionOids, pemCertificates } from "../lib/x509";
import { violation } from "../lib/rule";

const STACK_TYPE = "pulumi:pulumi:Stack";

/** Whether a certificate carries nameConstraints; a DER this reader cannot walk counts as constrained (no advice on a guess). */
const constrained = (c: X509Certificate): boolean => {
    try {
        return extensionOids(c).includes(NAME_CONSTRAINTS_OID);
    } catch {
        return true;
    }
};

export const caNameConstraints: StackValidationPolicy = {
    name: "ca-name-constraints",
    description:
        "An imported CA (an organisation's, so not this rule's to refuse) whose chain carries no nameConstraints extension may sign for any host name, and every store that holds it (each JVM, Go service and Redis) accepts such a certificate. Advisory by design: it is the organisation's CA. OpenSSL and Go's crypto/x509 enforce constraints on a root or an intermediate; JSSE ignores them on any CA its trust store holds.",
    severity: "low",
    enforcementLevel: "advisory",
    validateStack: (args, report) => {
        // The program's generated CAs are tls SelfSignedCert resources: every other CA in the stores was imported.
        // (The stores hold a generated CA re-signed with nameConstraints, another certificate of the same key,
        // which passes as constrained; the match by fingerprint covers a state from before that.)
        const generated = new Set(args.resources.filter((r) => r.type === TLS_SELF_SIGNED && typeof r.props.certPem === "string").map((r) => pemCertificates(r.props.certPem as string)[0]?.fingerprint256));
        for (const stack of args.resources.filter((r) => r.type === STACK_TYPE && typeof r.props.caCertificatePem === "string")) {
            const bundle = pemCertificates(stack.props.caCertificatePem as string);
            const imported = bundle.filter((c) => !generated.has(c.fingerprint256));
            if (imported.length === 0 || imported.some((c) => constrained(c))) continue;
            const subjects = imported.map((c) => `'${c.subject.replace(/\n/g, ", ")}'`).join(", ");
            report(
                violation(
                    "stack output caCertificatePem",
                    "",
                    `the imported CA ${subjects} carries no nameConstraints, so it may sign for any host name, public ones included, and every JVM, Go service and Redis that trusts it accepts the certificate`,
                    "if the CA exists for Spinnaker alone, give it (or an intermediate under it) a nameConstraints extension permitting only the stack's names: OpenSSL (Redis) and Go's crypto/x509 then refuse other names, JSSE does not for a CA its trust store holds; an organisation's general CA may stay as it is (docs/configuration.md, Name constraints)",
                ),
                stack.urn,
            );
        }
    },
};
