/**
 * TLS keys of the configuration: the HTTPS listener (`listen.tls`) and the
 * client side towards an upstream CA (`profiles.*.upstream.tls`). Every value
 * is a PEM file path, resolved against the config file's directory.
 *
 * @module
 */
import * as z from "zod";
import { mapping, text } from "./fields.js";

/**
 * `listen.tls`: serve HTTPS with this certificate (the leaf first, then its
 * chain) and key. Both files are read again on SIGHUP.
 */
export const listenTlsSchema = mapping({
  cert: text(),
  key: text(),
});

/**
 * `upstream.tls`: `ca` replaces the system trust store for the upstream's
 * server certificate; `cert` + `key` are the RA's client certificate for an
 * upstream that wants mutual TLS.
 */
export const upstreamTlsSchema = mapping({
  ca: text().optional(),
  cert: text().optional(),
  key: text().optional(),
}).superRefine((value, ctx) => {
  if (value.cert !== undefined && value.key === undefined) ctx.addIssue({ code: "custom", path: ["key"], message: "required with cert" });
  if (value.key !== undefined && value.cert === undefined) ctx.addIssue({ code: "custom", path: ["cert"], message: "required with key" });
});

/** Adds an issue when `upstream.tls` is set on a plain-http upstream (it would silently not apply). */
export function checkUpstreamTls(value: { url: string; tls?: unknown }, ctx: z.RefinementCtx): void {
  if (value.tls !== undefined && !value.url.toLowerCase().startsWith("https:")) {
    ctx.addIssue({ code: "custom", path: ["tls"], message: "only used with an https:// url" });
  }
}

export type ListenTlsConfig = z.infer<typeof listenTlsSchema>;
export type UpstreamTlsConfig = z.infer<typeof upstreamTlsSchema>;
