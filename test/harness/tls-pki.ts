/**
 * A throwaway TLS PKI for tests, made by the openssl command line: a CA, and
 * server or client certificates it signs (or that sign themselves, for the
 * "wrong certificate" cases). Files only, under the given directory.
 */
import { X509Certificate } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "./process.js";

/** A certificate and its key, as PEM files. */
export interface TlsIdentityFiles {
  cert: string;
  key: string;
  /** SHA-256 fingerprint of the certificate, as node prints it (`AB:CD:…`). */
  fingerprint: string;
}

/** A test CA that issues TLS certificates. */
export interface TlsPki {
  /** The CA certificate (PEM file): what a client or server trusts. */
  caCert: string;
  /** A server certificate for 127.0.0.1 and localhost. */
  server(name: string): Promise<TlsIdentityFiles>;
  /** A client certificate (extendedKeyUsage clientAuth). */
  client(name: string): Promise<TlsIdentityFiles>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await run("openssl", args, { cwd, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

/** Makes a key and a self-signed CA certificate named `name` in `dir`. */
async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
    "-days", "2", "-subj", `/O=scepgate test/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"], dir);
  return { cert, key };
}

async function fingerprintOf(certFile: string): Promise<string> {
  return new X509Certificate(await readFile(certFile)).fingerprint256;
}

/** A CA (`name`) in `dir` and the means to issue from it. */
export async function makeTlsPki(dir: string, name = "tls-ca"): Promise<TlsPki> {
  const ca = await makeCa(dir, name);
  let serial = 1;
  const issue = async (leaf: string, ext: string): Promise<TlsIdentityFiles> => {
    const key = join(dir, `${leaf}.key`);
    const csr = join(dir, `${leaf}.csr`);
    const cert = join(dir, `${leaf}.crt`);
    const extFile = join(dir, `${leaf}.ext`);
    await writeFile(extFile, ext);
    await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", `/O=scepgate test/CN=${leaf}`], dir);
    await openssl(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", String(serial++), "-days", "1", "-extfile", extFile, "-out", cert], dir);
    return { cert, key, fingerprint: await fingerprintOf(cert) };
  };
  return {
    caCert: ca.cert,
    server: (leaf) => issue(leaf, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n"),
    client: (leaf) => issue(leaf, "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n"),
  };
}
