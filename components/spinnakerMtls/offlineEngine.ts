// Set by the offline engine (engine/run.ts) while it runs a program: there is
// no cluster then, and nothing may try to read one. A module of its own, so the
// engine reads the name without loading the component.
export const OFFLINE_ENGINE_ENV = "SPINNAKER_MTLS_OFFLINE_ENGINE";
