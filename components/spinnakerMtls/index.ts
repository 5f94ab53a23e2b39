export * from "./spinnakerMtls";
export * from "./spinnakerMtlsArgs";
