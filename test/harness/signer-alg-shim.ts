/**
 * A test-only HTTP relay in front of micromdm scepserver that rewrites ONE
 * field of its CertRep: the signerInfo's signatureAlgorithm
 * (sha*WithRSAEncryption → rsaEncryption, same length, 1.2.840.113549.1.1.1).
 *
 * NOTE(strongSwan 5.9.8): `pki --scep` rejects a CertRep whose signerInfo
 * signatureAlgorithm is not rsaEncryption ("only RSA digest encryption
 * supported"), and micromdm scepserver 2.1.0 writes sha1WithRSAEncryption
 * there, so the two cannot talk directly. The RSA signature covers only the
 * signedAttrs, not this field, so the rewritten CertRep is still validly
 * signed by the CA; every other byte is micromdm's. The relay exists only so
 * that the harness self-test can exercise the `enrollPki` success path
 * without scepgate; scepgate itself writes rsaEncryption. Whether pki then
 * opens micromdm's constructed [0] encryptedContent depends on the PKCS#7
 * parser strongSwan loads (its pkcs7 plugin refuses it since Debian's
 * 5.9.8-5+deb12u6, the openssl plugin accepts it), so the self-test asserts
 * what the relay and the CA did, not pki's outcome (harness-upstream.test.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { freePort } from "./ports.js";

/** `06 09 2A 86 48 86 F7 0D 01 01 xx`: sha1(05) / sha256(0B) / sha384(0C) / sha512(0D) / sha224(0E) WithRSAEncryption. */
const RSA_WITH_SHA = [0x05, 0x0b, 0x0c, 0x0d, 0x0e].map((last) =>
  Buffer.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, last]),
);
const RSA_ENCRYPTION_LAST_BYTE = 0x01;

/** A running relay. */
export interface SignerAlgShim {
  /** Point the client here (same path as upstream: `/scep`). */
  readonly url: string;
  /** How many CertReps were rewritten so far. */
  patched(): number;
  stop(): Promise<void>;
}

/**
 * Rewrites, in a PKIOperation answer, the LAST sha*WithRSAEncryption OID —
 * the signerInfo's signatureAlgorithm, which in a SignedData comes after the
 * certificates (whose own signature algorithms stay untouched).
 */
export function patchSignerAlgorithm(body: Buffer): boolean {
  let at = -1;
  for (const oid of RSA_WITH_SHA) at = Math.max(at, body.lastIndexOf(oid));
  if (at < 0) return false;
  body[at + 10] = RSA_ENCRYPTION_LAST_BYTE;
  return true;
}

/** Starts the relay on 127.0.0.1 in front of `upstreamUrl` (e.g. `http://127.0.0.1:P/scep`). */
export async function startSignerAlgShim(upstreamUrl: string): Promise<SignerAlgShim> {
  const upstream = new URL(upstreamUrl);
  let count = 0;
  const server = createServer((req, res) => {
    relay(upstream, req, res)
      .then((n) => {
        count += n;
      })
      .catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(`shim: ${String(err)}`);
      });
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    patched: () => count,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function relay(upstream: URL, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const target = new URL(req.url ?? "/", upstream.origin);
  const headers: Record<string, string> = {};
  const ct = req.headers["content-type"];
  if (ct !== undefined) headers["content-type"] = ct;
  const r = await fetch(target, {
    method: req.method ?? "GET",
    headers,
    ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const body = Buffer.from(await r.arrayBuffer());
  const isPkiOp = target.searchParams.get("operation") === "PKIOperation";
  const n = isPkiOp && r.ok && patchSignerAlgorithm(body) ? 1 : 0;
  res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/octet-stream" });
  res.end(body);
  return n;
}
