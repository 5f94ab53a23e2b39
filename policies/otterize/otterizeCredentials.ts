import { ResourceValidationPolicy } from "@pulumi/policy";
import { KubeObject, at, kubeObject, podTemplate, stringMap } from "../lib/kube";
import { OTTERIZE_DEFAULT_JKS_PASSWORD, OTTERIZE_PREFIX, hasOtterizeAnnotations, otterizeAnnotation } from "../lib/otterize";
import { shown, violation } from "../lib/rule";
import { GO_SERVICES, JAVA_SERVICES, SpinnakerConfig, isSpinnakerService } from "../lib/spinnaker";
import { spinnakerOrRedis } from "../lib/workloads";

interface Config {
    /** The stack issues its certificates through the operator: every Spinnaker and Redis pod must ask for them. */
    required: boolean;
    maxCertTtlHours: number;
}

/** Problems of one pod's annotations: `java` pods read JKS stores, so their password matters. */
function annotationProblems(o: KubeObject, annotations: Record<string, string>, base: string, java: boolean, cfg: Config): string[] {
    const out: string[] = [];
    const where = (key: string) => `${base}["${key}"]`;
    if (!otterizeAnnotation(annotations, "tls-secret-name")) {
        out.push(violation(o, where(`${OTTERIZE_PREFIX}/tls-secret-name`), "is not set, so the Otterize credentials operator issues these pods no certificate and they start without their TLS material", "add the operator's annotations to the pods (certificateBackend otterize puts them in podAnnotations)"));
        return out;
    }
    const type = otterizeAnnotation(annotations, "cert-type");
    const jks = (type?.value ?? "").trim().toLowerCase() === "jks";
    if (java && !jks) {
        out.push(violation(o, where(type?.key ?? `${OTTERIZE_PREFIX}/cert-type`), `is ${shown(type?.value)}, so the operator writes PEM files and no keystore for a Java service that reads keystores`, 'set it to "jks"'));
    }
    if (jks) {
        const password = otterizeAnnotation(annotations, "jks-password");
        // The value itself is never printed: only whether it is the operator's default.
        if (password === undefined) {
            out.push(violation(o, where(`${OTTERIZE_PREFIX}/jks-password`), `is not set, so the operator protects the keystore with its well-known default password`, "give each service a generated password (certificateBackend otterize does)"));
        } else if (password.value === OTTERIZE_DEFAULT_JKS_PASSWORD || password.value.trim() === "") {
            out.push(violation(o, where(password.key), "is the operator's well-known default password (or empty)", "give each service a generated password (certificateBackend otterize does)"));
        }
    }
    const ttl = otterizeAnnotation(annotations, "cert-ttl");
    const maxSeconds = cfg.maxCertTtlHours * 3600;
    const fixTtl = `set it to at most ${maxSeconds} seconds (${cfg.maxCertTtlHours} hours; stack config otterizeCertTtlHours)`;
    if (ttl === undefined) {
        out.push(violation(o, where(`${OTTERIZE_PREFIX}/cert-ttl`), "is not set, so the certificate lives as long as the provider's default, which this pack cannot bound", fixTtl));
    } else if (!/^[0-9]+$/.test(ttl.value.trim())) {
        out.push(violation(o, where(ttl.key), `is ${shown(ttl.value)}, not a number of seconds`, fixTtl));
    } else if (Number(ttl.value) > maxSeconds) {
        out.push(violation(o, where(ttl.key), `is ${Number(ttl.value)} seconds (${(Number(ttl.value) / 3600).toFixed(1)} hours), above the maximum of ${cfg.maxCertTtlHours} hours`, fixTtl));
    }
    return out;
}

function problems(o: KubeObject, cfg: Config): string[] {
    if (isSpinnakerService(o)) {
        const spin = new SpinnakerConfig(o);
        const base = (s: string) => `spec.spinnakerConfig.service-settings.${s}.kubernetes.podAnnotations`;
        const annotationsOf = (s: string) => stringMap(at(spin.settings(s), "kubernetes", "podAnnotations"));
        const judged = spin.judged();
        // Without `required`, a stack that uses the operator for one service is held to it for all. A Go
        // service without the annotations is not: go-yaml-tools presents its leaf without a chain, so the
        // program signs that leaf with the root itself, which the operator's issuer never holds.
        if (!cfg.required && !judged.some((s) => hasOtterizeAnnotations(annotationsOf(s)))) return [];
        return judged
            .filter((s) => !(GO_SERVICES.includes(s) && !hasOtterizeAnnotations(annotationsOf(s))))
            .flatMap((s) => annotationProblems(o, annotationsOf(s), base(s), JAVA_SERVICES.includes(s), cfg));
    }
    const what = spinnakerOrRedis(o);
    const t = podTemplate(o);
    if (!t) return [];
    if (!hasOtterizeAnnotations(t.annotations) && !(cfg.required && what?.endsWith("(Redis)"))) return [];
    return annotationProblems(o, t.annotations, t.path ? `${t.path}.metadata.annotations` : "metadata.annotations", false, cfg);
}

export const otterizeCredentials: ResourceValidationPolicy = {
    name: "otterize-credentials",
    description:
        "Pods whose certificates come from the Otterize credentials operator must ask for them (tls-secret-name), Java pods for JKS stores under a password of their own (never the operator's default), and every certificate for a bounded lifetime (cert-ttl). The Go services may go without: their leaves come from the stack's root, since go-yaml-tools presents no chain.",
    severity: "high",
    configSchema: {
        properties: {
            required: { type: "boolean", default: false, description: "The stack issues its certificates through the operator (certificateBackend otterize): every Spinnaker service and Redis pod must carry its annotations." },
            maxCertTtlHours: { type: "number", default: 24, minimum: 1, description: "The longest certificate lifetime (cert-ttl) allowed." },
        },
    },
    validateResource: (args, report) => {
        const o = kubeObject(args.type, args.props);
        if (!o) return;
        for (const m of problems(o, args.getConfig<Config>())) report(m);
    },
};
