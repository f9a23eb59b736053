/** The protocol module's public surface: RFC 8894 model and codec. */
export * from "./attributes.js";
export * from "./capabilities.js";
export * from "./cert-rep.js";
export * from "./client.js";
export * from "./errors.js";
export * from "./payloads.js";
export * from "./request.js";
export * from "./types.js";
