// Rotation drill (issue 12): the dev stack (backend pulumi: @pulumi/tls
// certificates) under the real Pulumi CLI 3.248.0 and the real Kubernetes
// provider against a real kube-apiserver. After `pulumi up`, the clock moves
// into the service certificates' renewal window (validityEndTime −
// earlyRenewalHours, from Pulumi.dev.yaml's certValidityHours/renewBeforeHours
// as the state records them) but not the CA's, and `pulumi up` runs again.
// It must replace exactly the certificates due, change their Secrets'
// tls.crt, change each affected service's spinnaker-mtls/tls-checksum pod
// annotation in the SpinnakerService, and change nothing else (the offline
// engine's test/engine/offline.test.ts "re-issues service certificates inside
// the renewal window" expects the same: cert replace, Secret update, key and
// CA same).
//
// The program's provider sets enableSecretMutable: without it the provider
// replaces a Secret whose data changes (pulumi-kubernetes provider/v4
// pkg/provider/diff.go forceNewProperties: `.data` is force-new for Secrets
// unless enableSecretMutable), the engine deletes the named Secret before
// re-creating it, and replaces what depends on it (Redis's StatefulSet). This
// drill found that; it now asserts the Secrets are updated in place.
//
// The clock: the tls provider is this project's STAND-IN
// (test/e2e/build/standins/tls-random/standin/tls.go), which reads
// SPINNAKER_MTLS_STANDIN_NOW (RFC 3339) and then asks for replacement
// ("readyForRenewal") as upstream's plan modifier does once real time gets
// there. The chain after it (Secret, checksum, SpinnakerService) is the real
// engine's and the real Kubernetes provider's.
//
// Run: bash test/e2e/run.sh test/e2e/rotation.e2e.test.ts
import * as assert from "assert";
import * as crypto from "crypto";
import { apiPath, exportedResources, standInNotice, StackRun, startStackRun, StateResource } from "./support/stackRun";

const STACK = "dev";
const NOW_ENV = "SPINNAKER_MTLS_STANDIN_NOW";
const HOUR = 3600_000;
const LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
const SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
const SECRET = "kubernetes:core/v1:Secret";
const CHECKSUM = "spinnaker-mtls/tls-checksum";
/** The engine's marker of a secret value in the state. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

interface Secret { metadata: { uid: string }; data?: Record<string, string> }
interface SpinnakerService { spec: { spinnakerConfig: Record<string, unknown> } }
interface PreviewStep { op: string; urn: string }

/** Where two JSON values differ, as dotted paths (secrets compare by their ciphertext). */
function differences(a: unknown, b: unknown, prefix = ""): string[] {
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k));
    }
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

/** Fields the API server moves on every write, whoever writes. */
const SERVER_BOOKKEEPING = /^metadata\.(resourceVersion|generation|managedFields)(\.|$)/;

const renewalStart = (r: StateResource): number => {
    const o = r.outputs as { validityEndTime: string; earlyRenewalHours: number };
    return Date.parse(o.validityEndTime) - o.earlyRenewalHours * HOUR;
};
const shortName = (urn: string) => urn.split("::").pop()!;
/** The resource type at the end of a URN's type chain. */
const urnType = (urn: string) => urn.split("::")[2].split("$").pop()!;

function drill(provider: string, env: Record<string, string>) {
    describe(`e2e: rotation drill on the ${STACK} stack (clock in the service certificates' renewal window; Kubernetes provider ${provider})`, function () {
        this.timeout(1_800_000);
        let run: StackRun | undefined;

        const get = async <T>(p: string): Promise<T> => {
            const r = await run!.cluster.request("GET", p);
            assert.strictEqual(r.status, 200, `GET ${p}: ${r.status}`);
            return JSON.parse(r.body) as T;
        };
        /**
         * The state with secrets in plaintext, for comparison only (the
         * passphrase provider encrypts each save anew); never printed.
         */
        const plainState = async (): Promise<StateResource[]> =>
            (JSON.parse((await run!.ws.ok(["stack", "export", "--show-secrets"], run!.project)).stdout) as { deployment: { resources: StateResource[] } }).deployment.resources;
        const pem = (s: Secret, k: string) => Buffer.from(s.data?.[k] ?? "", "base64").toString();
        /** Each service's pod annotations in the SpinnakerService's service-settings. */
        const podAnnotations = (svc: SpinnakerService, name: string) =>
            ((((svc.spec.spinnakerConfig["service-settings"] as Record<string, { kubernetes?: { podAnnotations?: Record<string, string> } }>) ?? {})[name] ?? {}).kubernetes?.podAnnotations ?? {});

        before(async function () {
            console.log(`      ${standInNotice()}`);
            run = await startStackRun(STACK);
            delete run.ws.env[NOW_ENV];
            // The provider's behaviour comes from the program alone, not from the shell.
            delete run.ws.env.PULUMI_K8S_ENABLE_SECRET_MUTABLE;
            Object.assign(run.ws.env, env);
        });

        after(async function () {
            await run?.stop();
        });

        it("pulumi up inside the renewal window replaces exactly the certificates due; their Secrets and pod checksums change, nothing else", async function () {
            const services = run!.config["spinnaker-mtls:services"] as string[];
            await run!.ws.ok(["up", "--yes", "--skip-preview", ...run!.policyArgs], run!.project, 1_200_000);
            const before = await exportedResources(run!);
            const plainBefore = await plainState();
            const secretsBefore = new Map(await Promise.all(before.filter((r) => r.type === SECRET).map(async (r) => [r.urn, await get<Secret>(apiPath(r)!)] as const)));
            const svcBefore = await get<SpinnakerService>(run!.spinnakerServicePath);

            // The moment: an hour into the earliest service certificate's window;
            // the CA's window (caValidityHours) is years away.
            // A generated CA's issuing CA is a LocallySignedCert too: with the CAs, not the service certificates.
            const issuingCa = (r: StateResource) => r.type === LOCALLY_SIGNED && r.urn.endsWith("-issuing-cert");
            const serviceCerts = before.filter((r) => r.type === LOCALLY_SIGNED && !issuingCa(r));
            const cas = before.filter((r) => r.type === SELF_SIGNED || issuingCa(r));
            assert.ok(serviceCerts.length >= services.length && cas.length > 0, `${serviceCerts.length} service certificates, ${cas.length} CAs in the state`);
            const now = Math.min(...serviceCerts.map(renewalStart)) + HOUR;
            // Pulumi.dev.yaml's figures are what the state holds.
            for (const c of serviceCerts) {
                const o = c.outputs as { validityPeriodHours: number; earlyRenewalHours: number };
                assert.strictEqual(o.validityPeriodHours, Number(run!.config["spinnaker-mtls:certValidityHours"]), c.urn);
                assert.strictEqual(o.earlyRenewalHours, Number(run!.config["spinnaker-mtls:renewBeforeHours"]), c.urn);
            }
            for (const ca of cas) assert.ok(renewalStart(ca) > now, `the CA ${ca.urn} would be due too: the drill would not tell them apart`);
            const due = new Set(serviceCerts.filter((c) => renewalStart(c) <= now).map((c) => c.urn));
            assert.ok(due.size > 0);
            run!.ws.env[NOW_ENV] = new Date(now).toISOString().replace(/\.\d+Z$/, "Z");
            console.log(`      ${NOW_ENV}=${run!.ws.env[NOW_ENV]}; ${due.size} of ${serviceCerts.length} service certificates due`);

            try {
                // The plan first: the due certificates are among the replacements;
                // no key, CSR, password or CA is replaced, nothing created or deleted.
                const preview = await run!.ws.ok(["preview", "--json", ...run!.policyArgs], run!.project);
                const steps = (JSON.parse(preview.stdout) as { steps?: PreviewStep[] }).steps ?? [];
                const replacedInPreview = new Set(steps.filter((s) => /replace/.test(s.op)).map((s) => s.urn));
                console.log(`      preview: ${steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${shortName(s.urn)}`).join(", ")}`);
                assert.deepStrictEqual([...due].filter((u) => !replacedInPreview.has(u)), [], "due certificates the preview does not replace");
                assert.deepStrictEqual([...replacedInPreview].filter((u) => /^(tls|random):/.test(urnType(u)) && !due.has(u)), [], "tls/random resources replaced besides the due certificates");
                assert.deepStrictEqual(steps.filter((s) => s.op === "delete" || s.op === "create").map((s) => s.urn), []);

                await run!.ws.ok(["up", "--yes", "--skip-preview", ...run!.policyArgs], run!.project, 1_200_000);
            } finally {
                delete run!.ws.env[NOW_ENV];
            }
            const after = await exportedResources(run!);
            const plainAfter = await plainState();
            const afterByUrn = new Map(after.map((r) => [r.urn, r]));
            assert.deepStrictEqual(after.map((r) => r.urn).sort(), before.map((r) => r.urn).sort(), "the stack's resources changed");
            // What the up did, from the state's timestamps: a replacement is a new
            // resource (new `created`), an update keeps `created` and moves `modified`.
            const replacedByUp = before.filter((b) => afterByUrn.get(b.urn)!.created !== b.created).map((b) => b.urn);
            const updatedByUp = before.filter((b) => afterByUrn.get(b.urn)!.created === b.created && afterByUrn.get(b.urn)!.modified !== b.modified).map((b) => b.urn);
            console.log(`      up replaced: ${replacedByUp.map(shortName).join(", ")}`);
            console.log(`      up updated: ${updatedByUp.map(shortName).join(", ")}`);

            // The certificates due: re-issued, valid from the moved clock.
            for (const urn of due) {
                const [b, a] = [before.find((r) => r.urn === urn)!, afterByUrn.get(urn)!];
                assert.notDeepStrictEqual(a.outputs?.certPem, b.outputs?.certPem, `${urn} was not re-issued`);
                assert.ok(Math.abs(Date.parse(String(a.outputs?.validityStartTime)) - now) < 2000, `${urn} starts at ${a.outputs?.validityStartTime}`);
            }

            // The Secret of each certificate due (spin-<x>-cert → spin-<x>-secret):
            // a new tls.crt from the same CA (ca.crt kept), for the same key.
            const dueSecrets = new Set([...due].map((u) => u.replace(`$${LOCALLY_SIGNED}::`, `$${SECRET}::`).replace(/-cert$/, "-secret")));
            for (const urn of dueSecrets) {
                assert.ok(secretsBefore.has(urn), `no Secret ${urn} in the state`);
                const [b, a] = [secretsBefore.get(urn)!, await get<Secret>(apiPath(afterByUrn.get(urn)!)!)];
                assert.notStrictEqual(pem(a, "tls.crt"), pem(b, "tls.crt"), `${shortName(urn)}: tls.crt did not change`);
                assert.strictEqual(pem(a, "ca.crt"), pem(b, "ca.crt"), `${shortName(urn)}: ca.crt changed`);
                assert.strictEqual(pem(a, "tls.key"), pem(b, "tls.key"), `${shortName(urn)}: tls.key changed (the key is not due)`);
                // tls.crt: the leaf, then the issuing CA it carries (unchanged), which ca.crt's root signed.
                const [cert, ...carried] = (pem(a, "tls.crt").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((x) => new crypto.X509Certificate(x));
                const root = new crypto.X509Certificate(pem(a, "ca.crt"));
                assert.ok([cert, ...carried].every((c, i) => c.verify(([...carried, root][i]).publicKey)), `${shortName(urn)}: the new tls.crt does not chain to the CA`);
                assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(pem(a, "tls.key"))), `${shortName(urn)}: tls.key does not match the new tls.crt`);
            }
            // Every service's pods roll: its checksum changed, its other annotations did not.
            const svcAfter = await get<SpinnakerService>(run!.spinnakerServicePath);
            for (const s of services) {
                const [pb, pa] = [podAnnotations(svcBefore, s), podAnnotations(svcAfter, s)];
                assert.ok(pb[CHECKSUM] && pa[CHECKSUM] && pa[CHECKSUM] !== pb[CHECKSUM], `${s}: ${CHECKSUM} ${pb[CHECKSUM]} → ${pa[CHECKSUM]}`);
                assert.deepStrictEqual({ ...pa, [CHECKSUM]: "" }, { ...pb, [CHECKSUM]: "" }, `${s}: other pod annotations changed`);
            }
            // The SpinnakerService differs in those checksums only.
            const svcChanges = differences(svcBefore.spec, svcAfter.spec);
            assert.ok(svcChanges.length > 0 && svcChanges.every((p) => p.endsWith(`.podAnnotations.${CHECKSUM}`)), `SpinnakerService spec changes: ${svcChanges.join(", ")}`);

            // Nothing else: every other resource's outputs are the same, except
            // the data of the due certificates' Secrets and checksum annotations.
            // Compared in plaintext (each save encrypts anew) and only for
            // resources of providers: components' outputs (certPem, notAfter,
            // checksum, halyardFiles) are derived from the certificates.
            const unexpected: string[] = [];
            for (const b of plainBefore.filter((r) => r.custom)) {
                if (due.has(b.urn)) continue;
                const changed = differences(b.outputs, plainAfter.find((r) => r.urn === b.urn)?.outputs).filter((p) => !SERVER_BOOKKEEPING.test(p));
                const beyond = changed.filter((p) => !(dueSecrets.has(b.urn) && /^(__inputs\.)?data(\.|$)/.test(p)) && !p.endsWith(`.annotations.${CHECKSUM}`) && !p.endsWith(`.podAnnotations.${CHECKSUM}`));
                if (beyond.length > 0) unexpected.push(`${shortName(b.urn)}: ${beyond.join(", ")}`);
            }
            // The state keeps private keys secret.
            const keys = after.filter((r) => r.type === "tls:index/privateKey:PrivateKey").map((r) => JSON.stringify(r.outputs?.privateKeyPem ?? ""));
            assert.ok(keys.length > 0 && keys.every((k) => k.includes(SECRET_SIG)), "a private key is in the state in plaintext");

            // Replaced is re-created: a Secret deleted and created again (the
            // provider's delete-before-replace for a named object) leaves the
            // pods that mount it without it in between; a replaced workload restarts.
            assert.deepStrictEqual(replacedByUp.filter((u) => !due.has(u)).map(shortName).sort(), [],
                `pulumi up replaced (deleted and re-created) more than the certificates due; changed beyond the rotation: ${JSON.stringify(unexpected)}`);
            assert.deepStrictEqual(unexpected, [], "resources that changed beyond the rotation");

            // Back at the real clock: nothing to do.
            await run!.ws.ok(["preview", "--expect-no-changes", ...run!.policyArgs], run!.project);
        });
    });
}

drill("as the program configures the provider", {});
