export * from "./certificateSpec";
export * from "./certManagerCertificate";
export * from "./certManagerIssuers";
export * from "./certManagerInstall";
