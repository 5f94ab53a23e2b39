import { ResourceValidationPolicy } from "@pulumi/policy";
import { forKubeObjects, violation } from "../lib/rule";
import { GO_SERVICES, JAVA_SERVICES, SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";
import { k8sSecretOf } from "./clientIdentity";

/** Where a server reads its own certificate, and where it reads the CAs it accepts client certificates from. */
const JAVA = { identity: "server.ssl.key-store", trust: "server.ssl.trust-store" };
const GO = { identity: "server.ssl.certFile", trust: "server.ssl.cacertFile" };

export const serverTrust: ResourceValidationPolicy = {
    name: "spinnaker-server-trust",
    description:
        "A Spinnaker server accepts client certificates from the stack's CA and nothing wider: its trust store (Java server.ssl.trust-store, Go server.ssl.cacertFile) must come from the Secret its own certificate comes from, which holds the stack's CA alone. Any other store, such as the JVM-wide one that adds jvmExtraCaCertsPem, lets every CA in it mint callers the server lets in.",
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
            if (secret === undefined || secret === own) continue;
            out.push(
                violation(
                    o,
                    trust!.where,
                    `reads Secret ${secret}, not ${own}, so ${service} accepts client certificates from whatever CAs that Secret holds, not only the stack's`,
                    `point it at ${own}, whose trust store holds the stack's CA alone`,
                ),
            );
        }
        return out;
    }),
};
