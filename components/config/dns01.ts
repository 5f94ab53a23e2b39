// What cert-manager (v1.21: its CRD schema and its webhook's
// ValidateACMEChallengeSolverDNS01) requires of each DNS-01 provider's body,
// checked here so that a solver it would refuse fails before any resource
// exists instead of at `pulumi up`. Pure.

export const DNS01_PROVIDERS = ["acmeDNS", "akamai", "azureDNS", "cloudDNS", "cloudflare", "digitalocean", "rfc2136", "route53", "webhook"] as const;
export type Dns01Provider = (typeof DNS01_PROVIDERS)[number];

/** The fields each provider cannot do without. */
const REQUIRED: Readonly<Record<Dns01Provider, readonly string[]>> = {
    acmeDNS: ["host", "accountSecretRef"],
    akamai: ["serviceConsumerDomain", "clientTokenSecretRef", "clientSecretSecretRef", "accessTokenSecretRef"],
    azureDNS: ["subscriptionID", "resourceGroupName"],
    cloudDNS: ["project"],
    cloudflare: [],
    digitalocean: ["tokenSecretRef"],
    rfc2136: ["nameserver"],
    route53: [],
    webhook: ["groupName", "solverName"],
};

/** Fields that exclude each other within one provider. */
const EXCLUSIVE: Readonly<Partial<Record<Dns01Provider, readonly (readonly string[])[]>>> = {
    azureDNS: [["managedIdentity", "clientID"], ["managedIdentity", "clientSecretSecretRef"], ["managedIdentity", "tenantID"]],
    route53: [["accessKeyID", "accessKeyIDSecretRef"]],
};

/** Each problem with a provider's body, as "what is wrong" phrases (empty when cert-manager would admit it). */
export function dns01BodyProblems(provider: Dns01Provider, body: unknown): string[] {
    if (body === null || typeof body !== "object" || Array.isArray(body)) return [`${provider} must be an object`];
    const b = body as Record<string, unknown>;
    const set = (k: string) => b[k] !== undefined && b[k] !== null && b[k] !== "";
    const out: string[] = [];
    const missing = REQUIRED[provider].filter((k) => !set(k));
    if (missing.length) out.push(`${provider} needs ${missing.join(", ")}`);
    for (const pair of EXCLUSIVE[provider] ?? []) if (pair.every(set)) out.push(`${provider} takes ${pair.join(" or ")}, not both`);
    if (provider === "cloudflare") {
        // One credential, and the account email with the global API key.
        const key = set("apiKeySecretRef");
        const token = set("apiTokenSecretRef");
        if (key === token) out.push("cloudflare needs exactly one of apiKeySecretRef and apiTokenSecretRef");
        if (key && !set("email")) out.push("cloudflare needs email with apiKeySecretRef");
    }
    return out;
}
