/**
 * The integration-test harness in one import: real processes (redis-server,
 * micromdm scepserver, scepclient, strongSwan pki, certmonger), temp dirs and
 * cleanup. Node built-ins only. See each module's TSDoc.
 */
export { cleanupAll, registerCleanup } from "./cleanup.js";
export * from "./clients.js";
export * from "./openssl.js";
export { freePort } from "./ports.js";
export * from "./process.js";
export * from "./redis.js";
export * from "./signer-alg-shim.js";
export { keepTmp, makeTempDir, removeTempDir } from "./tmp.js";
export * from "./upstream-ca.js";
