import { ResourceValidationPolicy } from "@pulumi/policy";
import { forKubeObjects, violation } from "../lib/rule";
import { GO_SERVICES, JAVA_SERVICES, SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";
import { k8sSecretOf } from "./clientIdentity";

/** Where a server reads its own certificate, and where it reads the CAs it accepts client certificates from. */
const JAVA = { identity: "server.ssl.key-store", trust: "server.ssl.trust-store" };
const GO = { identity: "server.ssl.certFile", trust: "server.ssl.cacertFile" };
/**
 * The program's CA trust bundle (components/pki/caTrustBundle.ts; the pack imports nothing from the
 * program): beside cert-manager's certificates it holds the stack's CAs alone, both during a rotation.
 */
const CA_TRUST_SECRET = "spinnaker-mtls-ca-trust";

export const serverTrust: ResourceValidationPolicy = {
    name: "spinnaker-server-trust",
    description:
        "A Spinnaker server accepts client certificates from the stack's CA and nothing wider: its trust store (Java server.ssl.trust-store, Go server.ssl.cacertFile) must come from the Secret its own certificate comes from, or from the program's CA trust bundle (spinnaker-mtls-ca-trust), each of which holds the stack's CAs alone. Any other store, such as the JVM-wide one that adds jvmExtraCaCertsPem, lets every CA in it mint callers the server lets in.",
    severity: "critical",
    validateResource: forKubeObjects(isSpinnakerService, (o) => {
        const spin = new SpinnakerConfig(o);
        const out: string[] = [];
        for (const service of spin.judged()) {
            const go = GO_SERVICES.includes(service);
            if ((!go && !JAVA_SERVICES.includes(service)) || !spin.tls(service).on) continue;
            const props = go ? GO : JAVA;
            const read = (p: string) => (go ? spin.goProperty(service, p) : spin.javaProperty(service, p));
            const own = k8sSecretOf(read(props.identity)?.value) ?? `spin-${service}-tls`;
            const trust = read(props.trust);
            const secret = k8sSecretOf(trust?.value);
            if (secret === undefined || secret === own || secret === CA_TRUST_SECRET) continue;
            out.push(
                violation(
                    o,
                    trust!.where,
                    `reads Secret ${secret}, not ${own}, so ${service} accepts client certificates from whatever CAs that Secret holds, not only the stack's`,
                    `point it at ${own} or ${CA_TRUST_SECRET}, whose trust stores hold the stack's CAs alone`,
                ),
            );
        }
        return out;
    }),
};
