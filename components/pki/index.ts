export * from "./certificateAuthority";
export * from "./serviceCertificate";
export * from "./serviceCatalog";
export * from "./secretLayout";
export * from "./keySpec";
export * from "./pkcs12";
export * from "./jvmTrust";
export * from "./jvmTrustStore";
