// Composition root: this project's stack config, mapped onto one SpinnakerMtls
// component, and the component's outputs as the stack's. Everything else,
// validation included, lives in the component (components/spinnakerMtls).
//
// First, before the modules it speeds up: the CLI runs this program through
// ts-node without type checks (tsconfig.pulumi.json), and the transpile cache
// spares each preview and up transpiling the same sources again.
import "./engine/transpileCache";
import { engineSecretKeys, rawProjectConfig } from "./components/config";
import { SpinnakerMtls, argsFromStackConfig, lastDeployedCaTrust, observeLastDeployment } from "./components/spinnakerMtls";

// An async program: what the last deployment trusted, and when caRotation moves what
// the cluster shows of it, are read before the component exists, so that a step is
// judged before anything is registered.
export = async () => {
    const raw = rawProjectConfig();
    const lastDeployed = await lastDeployedCaTrust();
    const args = argsFromStackConfig(raw, engineSecretKeys(raw), { lastDeployedCaTrust: lastDeployed });
    // Only when caRotation moves: whether the cluster has converged on the last deployment.
    const observed = await observeLastDeployment(args, lastDeployed);
    const spinnakerMtls = new SpinnakerMtls("spinnaker", argsFromStackConfig(raw, engineSecretKeys(raw), { lastDeployedCaTrust: lastDeployed, lastDeploymentObserved: observed }));

    // --- Stack outputs: public values only ------------------------------------
    return {
        namespace: spinnakerMtls.namespace,
        clientAuth: spinnakerMtls.clientAuth,
        certificateBackend: spinnakerMtls.certificateBackend,
        caCertificatePem: spinnakerMtls.caCertificatePem,
        /** backend otterize: the credentials operator's Helm values this stack's certificates assume. */
        otterizeOperatorValues: spinnakerMtls.otterizeOperatorValues,
        caNotAfter: spinnakerMtls.caNotAfter,
        /** Which CAs the stores trust and which one signs: the next caRotation step is judged against it. */
        caTrust: spinnakerMtls.caTrust,
        /** What the last deployment trusted, as this one was judged against it (without one, this one's own caTrust). */
        lastDeployedCaTrust: spinnakerMtls.lastDeployedCaTrust,
        /** Per service: the Secret that holds its files, its SANs and its expiry (issued by Pulumi) or who renews it. Nothing secret. */
        serviceCertificates: spinnakerMtls.serviceCertificates,
        redisEndpoint: spinnakerMtls.redisEndpoint,
        goServicesRedisEndpoint: spinnakerMtls.goServicesRedisEndpoint,
        /** Per service: how it reaches Redis. */
        redisClients: spinnakerMtls.redisClients,
        jvmOptionsSecrets: spinnakerMtls.jvmOptionsSecrets,
        spinnakerService: spinnakerMtls.spinnakerService,
        /** The Halyard files (paths under the deployment folder); written to halyardDir when it is set. */
        halyardFilePaths: spinnakerMtls.halyardFilePaths,
        ingressUrl: spinnakerMtls.ingressUrl,
        /** Without the ingress: where callers reach Gate's client-certificate port (spin-gate-api). */
        gateApiUrl: spinnakerMtls.gateApiUrl,
    };
};
