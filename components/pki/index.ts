export * from "./certificateAuthority";
export * from "./serviceCertificate";
export * from "./secretLayout";
export * from "./keySpec";
export * from "./jvmTrust";
export * from "./jvmTrustStore";
export * from "./caTrustBundle";
export * from "./tlsMaterial";
