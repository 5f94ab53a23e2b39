export * from "./credentialAnnotations";
export * from "./otterizeCredentials";
