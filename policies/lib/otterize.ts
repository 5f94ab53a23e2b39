// The Otterize credentials operator's pod annotations, as the operator reads
// them: its current names (credentials-operator.otterize.com/*) first, the
// previous generation's (spire-integration.otterize.com/*) as a fallback.
export const OTTERIZE_PREFIXES = ["credentials-operator.otterize.com", "spire-integration.otterize.com"];
export const OTTERIZE_PREFIX = OTTERIZE_PREFIXES[0];

/** The operator's keystore password when a pod names none. */
export const OTTERIZE_DEFAULT_JKS_PASSWORD = "password";

/** An annotation's value and the key it was found under, current name first. */
export function otterizeAnnotation(annotations: Record<string, string>, name: string): { key: string; value: string } | undefined {
    for (const prefix of OTTERIZE_PREFIXES) {
        const key = `${prefix}/${name}`;
        if (annotations[key] !== undefined) return { key, value: annotations[key] };
    }
    return undefined;
}

/** Whether a set of annotations speaks to the operator at all. */
export const hasOtterizeAnnotations = (annotations: Record<string, string>): boolean =>
    Object.keys(annotations).some((k) => OTTERIZE_PREFIXES.some((p) => k.startsWith(`${p}/`)));

/** The password annotation: a literal by the operator's design, judged by the otterize-credentials rule instead. */
export const isOtterizeJksPassword = (key: string): boolean => OTTERIZE_PREFIXES.some((p) => key === `${p}/jks-password`);
