// Composition root: this project's stack config, mapped onto one SpinnakerMtls
// component, and the component's outputs as the stack's. Everything else,
// validation included, lives in the component (components/spinnakerMtls).
//
// First, before the modules it speeds up: the CLI runs this program through
// ts-node without type checks (tsconfig.pulumi.json), and the transpile cache
// spares each preview and up transpiling the same sources again.
import "./engine/transpileCache";
import { engineSecretKeys, rawProjectConfig } from "./components/config";
import { SpinnakerMtls, argsFromStackConfig } from "./components/spinnakerMtls";

const raw = rawProjectConfig();
const spinnakerMtls = new SpinnakerMtls("spinnaker", argsFromStackConfig(raw, engineSecretKeys(raw)));

// --- Stack outputs: public values only ------------------------------------
export const namespace = spinnakerMtls.namespace;
export const clientAuth = spinnakerMtls.clientAuth;
export const certificateBackend = spinnakerMtls.certificateBackend;
export const caCertificatePem = spinnakerMtls.caCertificatePem;
/** backend otterize: the credentials operator's Helm values this stack's certificates assume. */
export const otterizeOperatorValues = spinnakerMtls.otterizeOperatorValues;
export const caNotAfter = spinnakerMtls.caNotAfter;
/** Per service: the Secret that holds its files, its SANs and its expiry (issued by Pulumi) or who renews it. Nothing secret. */
export const serviceCertificates = spinnakerMtls.serviceCertificates;
export const redisEndpoint = spinnakerMtls.redisEndpoint;
export const goServicesRedisEndpoint = spinnakerMtls.goServicesRedisEndpoint;
/** Per service: how it reaches Redis. */
export const redisClients = spinnakerMtls.redisClients;
export const jvmOptionsSecrets = spinnakerMtls.jvmOptionsSecrets;
export const spinnakerService = spinnakerMtls.spinnakerService;
/** The Halyard files (paths under the deployment folder); written to halyardDir when it is set. */
export const halyardFilePaths = spinnakerMtls.halyardFilePaths;
export const ingressUrl = spinnakerMtls.ingressUrl;
/** Without the ingress: where callers reach Gate's client-certificate port (spin-gate-api). */
export const gateApiUrl = spinnakerMtls.gateApiUrl;
