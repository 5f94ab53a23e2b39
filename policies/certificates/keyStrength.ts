import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, isKind, kubeObject } from "../lib/kube";
import { CERT_MANAGER, TLS_PRIVATE_KEY } from "../lib/certificates";
import { violation } from "../lib/rule";

const STRONG_CURVES = ["P256", "P384", "P521"];
const STRONG_EC_SIZES = [256, 384, 521];
const MIN_RSA_BITS = 2048;

export const keyStrength: ResourceValidationPolicy = {
    name: "certificate-key-strength",
    description: "Certificate keys must be at least RSA 2048 or ECDSA P-256 (@pulumi/tls PrivateKey, cert-manager Certificate privateKey).",
    severity: "high",
    validateResource: (args, report) => {
        if (args.type === TLS_PRIVATE_KEY) {
            const { algorithm, rsaBits, ecdsaCurve } = args.props;
            const where = `PrivateKey ${args.name}`;
            // The provider's defaults: RSA 2048, curve P224.
            if (algorithm === "RSA" && Number(rsaBits ?? 2048) < MIN_RSA_BITS) report(violation(where, "rsaBits", `is ${String(rsaBits)}`, `use at least ${MIN_RSA_BITS}`));
            if (algorithm === "ECDSA" && !STRONG_CURVES.includes(String(ecdsaCurve ?? "P224"))) report(violation(where, "ecdsaCurve", `is ${String(ecdsaCurve ?? "unset (P224)")}`, "use P256 or P384"));
            return;
        }
        const o = kubeObject(args.type, args.props);
        if (!o || !isKind(o, CERT_MANAGER, "Certificate")) return;
        const key = at(o.body, "spec", "privateKey");
        if (o.patch && key === undefined) return;
        // cert-manager's defaults: RSA, 2048 bits for RSA and 256 for ECDSA.
        const algorithm = String(at(key, "algorithm") ?? "RSA");
        const size = at(key, "size");
        if (algorithm === "RSA" && Number(size ?? 2048) < MIN_RSA_BITS) report(violation(o, "spec.privateKey.size", `is ${String(size)} for RSA`, `use at least ${MIN_RSA_BITS}`));
        if (algorithm === "ECDSA" && !STRONG_EC_SIZES.includes(Number(size ?? 256))) report(violation(o, "spec.privateKey.size", `is ${String(size)} for ECDSA`, "use 256 or 384"));
    },
};
