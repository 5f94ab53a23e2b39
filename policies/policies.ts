// The pack's rules, in the order a report lists them. The entry point and the
// tests both take this list, so what is tested is what is served.
import { Policies } from "@pulumi/policy";
import { caNameConstraints } from "./certificates/caNameConstraints";
import { caRotationStep } from "./certificates/caRotationStep";
import { certificateIssuer } from "./certificates/certificateIssuer";
import { certificateNames } from "./certificates/certificateNames";
import { certificateNamesWithinCaConstraints } from "./certificates/certificateNamesWithinCaConstraints";
import { certificateUsages } from "./certificates/certificateUsages";
import { certificateValidity } from "./certificates/certificateValidity";
import { keyRotation } from "./certificates/keyRotation";
import { keyStrength } from "./certificates/keyStrength";
import { keystorePassword } from "./certificates/keystorePassword";
import { issuerScope } from "./certificates/issuerScope";
import { keystoreProfile } from "./certificates/keystoreProfile";
import { serviceNotCa } from "./certificates/serviceNotCa";
import { authorizationPolicyCallers } from "./istio/authorizationPolicyCallers";
import { destinationRuleMutual } from "./istio/destinationRuleMutual";
import { destinationRuleTls } from "./istio/destinationRuleTls";
import { gatewayCipherSuites } from "./istio/gatewayCipherSuites";
import { gatewayCredential } from "./istio/gatewayCredential";
import { gatewayTls } from "./istio/gatewayTls";
import { peerAuthenticationCoverage } from "./istio/peerAuthenticationCoverage";
import { peerAuthenticationStrict } from "./istio/peerAuthenticationStrict";
import { sidecarCapture } from "./istio/sidecarCapture";
import { sidecarInjection } from "./istio/sidecarInjection";
import { virtualServiceDestinations } from "./istio/virtualServiceDestinations";
import { virtualServiceHosts } from "./istio/virtualServiceHosts";
import { otterizeCredentials } from "./otterize/otterizeCredentials";
import { redisTlsOnly } from "./redis/redisTlsOnly";
import { redisNetworkPolicy } from "./redis/redisNetworkPolicy";
import { redisTlsPeers } from "./redis/redisTlsPeers";
import { redisTlsReload } from "./redis/redisTlsReload";
import { redisTrust } from "./redis/redisTrust";
import { noSecretsInAnnotations } from "./secrets/noSecretsInAnnotations";
import { noSecretsInConfigMaps } from "./secrets/noSecretsInConfigMaps";
import { noSecretsInEnv } from "./secrets/noSecretsInEnv";
import { noSecretsInStackOutputs } from "./secrets/noSecretsInStackOutputs";
import { baseUrls } from "./spinnaker/baseUrls";
import { clientAuthNeed } from "./spinnaker/clientAuthNeed";
import { gateApiPort } from "./spinnaker/gateApiPort";
import { clientAuthRequired } from "./spinnaker/clientAuthRequired";
import { clientIdentity } from "./spinnaker/clientIdentity";
import { clientTls } from "./spinnaker/clientTls";
import { redisUrls } from "./spinnaker/redisUrls";
import { secretReferences } from "./spinnaker/secretReferences";
import { serverSsl } from "./spinnaker/serverSsl";
import { serverTrust } from "./spinnaker/serverTrust";
import { tcpProbes } from "./spinnaker/tcpProbes";

export const PACK_NAME = "spinnaker-mtls";

export const POLICIES: Policies = [
    peerAuthenticationStrict,
    peerAuthenticationCoverage,
    destinationRuleTls,
    destinationRuleMutual,
    authorizationPolicyCallers,
    sidecarInjection,
    sidecarCapture,
    gatewayTls,
    gatewayCipherSuites,
    gatewayCredential,
    virtualServiceHosts,
    virtualServiceDestinations,
    serverSsl,
    serverTrust,
    clientAuthRequired,
    clientAuthNeed,
    gateApiPort,
    clientTls,
    clientIdentity,
    tcpProbes,
    redisUrls,
    baseUrls,
    secretReferences,
    certificateUsages,
    keyStrength,
    certificateValidity,
    keystoreProfile,
    keystorePassword,
    keyRotation,
    certificateIssuer,
    certificateNames,
    certificateNamesWithinCaConstraints,
    issuerScope,
    caRotationStep,
    caNameConstraints,
    serviceNotCa,
    otterizeCredentials,
    redisTlsOnly,
    redisTlsReload,
    redisTlsPeers,
    redisTrust,
    redisNetworkPolicy,
    noSecretsInConfigMaps,
    noSecretsInEnv,
    noSecretsInAnnotations,
    noSecretsInStackOutputs,
];
