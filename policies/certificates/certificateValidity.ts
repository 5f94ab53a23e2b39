import { ResourceValidationPolicy } from "@pulumi/policy";
import { at, isKind, kubeObject } from "../lib/kube";
import { CERT_MANAGER, CERT_MANAGER_DEFAULT_DURATION_HOURS, goDurationHours, isTlsCa, isTlsCertificate } from "../lib/certificates";
import { violation } from "../lib/rule";

interface Config {
    maxLeafValidityHours: number;
    maxCaValidityHours: number;
}

export const certificateValidity: ResourceValidationPolicy = {
    name: "certificate-validity",
    description: "Certificates must not outlive the configured maximum, and must renew ahead of expiry (@pulumi/tls earlyRenewalHours, cert-manager renewBefore).",
    severity: "medium",
    configSchema: {
        properties: {
            maxLeafValidityHours: { type: "integer", minimum: 1, default: 2160, description: "Longest a service certificate may be valid, in hours (90 days by default)." },
            maxCaValidityHours: { type: "integer", minimum: 1, default: 87600, description: "Longest a CA certificate may be valid, in hours (10 years by default)." },
        },
    },
    validateResource: (args, report) => {
        const { maxLeafValidityHours, maxCaValidityHours } = args.getConfig<Config>();
        if (isTlsCertificate(args.type)) {
            const where = `${args.type.split(":").pop()} ${args.name}`;
            const max = isTlsCa(args.props) ? maxCaValidityHours : maxLeafValidityHours;
            const validity = Number(args.props.validityPeriodHours);
            const early = Number(args.props.earlyRenewalHours ?? 0);
            if (!(validity <= max)) report(violation(where, "validityPeriodHours", `is ${String(args.props.validityPeriodHours)}, above the maximum of ${max}`, `issue for at most ${max} hours and renew`));
            if (!(early > 0 && early < validity)) report(violation(where, "earlyRenewalHours", `is ${String(args.props.earlyRenewalHours ?? "unset")}, so the certificate is only replaced once it has expired`, "set it between 0 and validityPeriodHours (the program uses renewBeforeHours)"));
            return;
        }
        const o = kubeObject(args.type, args.props);
        if (!o || !isKind(o, CERT_MANAGER, "Certificate")) return;
        const spec = at(o.body, "spec");
        const max = at(spec, "isCA") === true ? maxCaValidityHours : maxLeafValidityHours;
        const rawDuration = at(spec, "duration");
        const duration = rawDuration === undefined ? CERT_MANAGER_DEFAULT_DURATION_HOURS : goDurationHours(rawDuration);
        if (!(o.patch && rawDuration === undefined) && (duration === undefined || duration > max)) {
            report(violation(o, "spec.duration", `is ${String(rawDuration ?? "unset (2160h)")}, above the maximum of ${max}h`, `set spec.duration to at most ${max}h`));
        }
        const renewBefore = at(spec, "renewBefore");
        if (renewBefore === undefined) {
            if (!o.patch && at(spec, "renewBeforePercentage") === undefined) report(violation(o, "spec.renewBefore", "is not set, so the renewal window is left to cert-manager's default", "set spec.renewBefore (or renewBeforePercentage)"));
        } else {
            const hours = goDurationHours(renewBefore);
            if (hours === undefined || hours <= 0 || (duration !== undefined && hours >= duration)) report(violation(o, "spec.renewBefore", `is ${String(renewBefore)}, not a window inside spec.duration`, "set a duration shorter than spec.duration, e.g. 360h"));
        }
    },
};
