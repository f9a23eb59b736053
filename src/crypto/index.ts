/** The crypto module's public surface (the only importer of crypto libraries). */
export * from "./algorithms.js";
export * from "./certificate.js";
export * from "./chain.js";
export * from "./content-info.js";
export * from "./crl.js";
export * from "./csr.js";
export * from "./envelope.js";
export * from "./errors.js";
export * from "./extensions.js";
export * from "./issue.js";
export * from "./keys.js";
export * from "./name.js";
export * from "./oids.js";
export * from "./pkcs12.js";
export * from "./private-key-ops.js";
export * from "./public-key.js";
export * from "./signed-data.js";
export { children, contents, ctx, expectChildren, expectTag, octetValue, oid, oidValue, parseDer, raw, seq, setOf, int, intRaw, octets, printable, utf8, Tag, stringValue, type Tlv } from "./der.js";
