#!/usr/bin/env node
// capture-proxy.mjs - a recording HTTP proxy in front of an upstream SCEP server (test-vector capture).
// Plain Node ESM, node: built-ins only. It is a test tool, not part of scepgate.
//
//   node capture-proxy.mjs --upstream http://127.0.0.1:PORT/scep --out DIR
//        [--port 0] [--host 127.0.0.1]
//        [--caps 'AES\nDES3...']                 GetCACaps answer to send instead of the upstream's
//        [--caps-for LABEL=CAP,CAP,...]          (repeatable) a different GetCACaps answer for one label
//        [--pending-label LABEL --ca-cert PEM --ca-key PEM]   (repeatable label) answer every
//                                                PKIOperation under that label with a PENDING CertRep
//                                                signed by the CA key, instead of forwarding it
//
// Clients are pointed at http://HOST:PORT/<label>/scep ; the proxy strips /<label> and forwards the
// request (method, raw query string, headers, body) to the upstream URL. Every exchange is recorded
// as DIR/NNN.json (+ DIR/NNN.req.bin = the pkiMessage of a PKIOperation, from the POST body or the
// base64-decoded GET message=; + DIR/NNN.resp.bin = the response body as sent to the client).
// When listening it writes the port to DIR/proxy.port and prints "listening PORT".
import http from "node:http";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

// ---------------------------------------------------------------- arguments
const args = process.argv.slice(2);
const opt = { port: "0", host: "127.0.0.1", capsFor: {}, pendingLabels: new Set() };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const v = () => {
    if (i + 1 >= args.length) throw new Error(`missing value for ${a}`);
    return args[++i];
  };
  switch (a) {
    case "--upstream": opt.upstream = v(); break;
    case "--out": opt.out = v(); break;
    case "--port": opt.port = v(); break;
    case "--host": opt.host = v(); break;
    case "--caps": opt.caps = v().replace(/\\n/g, "\n"); break;
    case "--caps-for": {
      const s = v(); const eq = s.indexOf("=");
      if (eq < 1) throw new Error(`--caps-for wants LABEL=CAP,CAP: ${s}`);
      opt.capsFor[s.slice(0, eq)] = s.slice(eq + 1).split(",").join("\n");
      break;
    }
    case "--pending-label": opt.pendingLabels.add(v()); break;
    case "--ca-cert": opt.caCert = v(); break;
    case "--ca-key": opt.caKey = v(); break;
    default: throw new Error(`unknown argument ${a}`);
  }
}
if (!opt.upstream || !opt.out) {
  console.error("usage: capture-proxy.mjs --upstream URL --out DIR [--port N] [--caps S] [--caps-for L=C,C] [--pending-label L --ca-cert F --ca-key F]");
  process.exit(2);
}
const upstream = new URL(opt.upstream);
fs.mkdirSync(opt.out, { recursive: true });
let ca = null;
if (opt.pendingLabels.size > 0) {
  if (!opt.caCert || !opt.caKey) throw new Error("--pending-label needs --ca-cert and --ca-key");
  const certPem = fs.readFileSync(opt.caCert, "utf8");
  const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  ca = { der, key: crypto.createPrivateKey({ key: fs.readFileSync(opt.caKey), passphrase: "" }) };
}

// ---------------------------------------------------------------- minimal DER
function tlv(buf, off) {
  const tag = buf[off];
  if ((tag & 0x1f) === 0x1f) throw new Error("high-tag-number form not supported");
  let p = off + 1;
  let len = buf[p++];
  if (len === 0x80) { // BER indefinite length
    let q = p;
    while (!(buf[q] === 0 && buf[q + 1] === 0)) q = tlv(buf, q).end;
    return { tag, start: off, cs: p, ce: q, end: q + 2 };
  }
  if (len & 0x80) {
    const n = len & 0x7f; len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
  }
  if (p + len > buf.length) throw new Error("truncated DER");
  return { tag, start: off, cs: p, ce: p + len, end: p + len };
}
function kids(buf, t) {
  const out = []; let p = t.cs;
  while (p < t.ce) { const c = tlv(buf, p); out.push(c); p = c.end; }
  return out;
}
const raw = (buf, t) => buf.subarray(t.start, t.end);
const body = (buf, t) => buf.subarray(t.cs, t.ce);
function encLen(n) {
  if (n < 0x80) return Buffer.from([n]);
  const b = []; while (n > 0) { b.unshift(n & 0xff); n = Math.floor(n / 256); }
  return Buffer.from([0x80 | b.length, ...b]);
}
const enc = (tag, ...parts) => { const c = Buffer.concat(parts); return Buffer.concat([Buffer.from([tag]), encLen(c.length), c]); };
function oid(s) {
  const a = s.split(".").map(Number); const out = [a[0] * 40 + a[1]];
  for (const x of a.slice(2)) {
    const b = [x & 0x7f]; let y = Math.floor(x / 128);
    while (y > 0) { b.unshift(0x80 | (y & 0x7f)); y = Math.floor(y / 128); }
    out.push(...b);
  }
  return enc(0x06, Buffer.from(out));
}
const NULL = Buffer.from([0x05, 0x00]);
const OID = {
  data: "1.2.840.113549.1.7.1", signedData: "1.2.840.113549.1.7.2",
  contentType: "1.2.840.113549.1.9.3", messageDigest: "1.2.840.113549.1.9.4", signingTime: "1.2.840.113549.1.9.5",
  sha256: "2.16.840.1.101.3.4.2.1", rsaEncryption: "1.2.840.113549.1.1.1",
  messageType: "2.16.840.1.113733.1.9.2", pkiStatus: "2.16.840.1.113733.1.9.3",
  senderNonce: "2.16.840.1.113733.1.9.5", recipientNonce: "2.16.840.1.113733.1.9.6",
  transactionID: "2.16.840.1.113733.1.9.7",
};

// Signed attributes of a pkiMessage (ContentInfo -> SignedData -> signerInfos[0].signedAttrs).
function scepAttrs(der) {
  const ci = tlv(der, 0);
  const [, ctx] = kids(der, ci);
  const sd = kids(der, ctx)[0];
  const sdk = kids(der, sd);
  const sis = sdk[sdk.length - 1];
  const si = kids(der, sis)[0];
  const sa = kids(der, si).find((t) => t.tag === 0xa0);
  const out = {};
  for (const a of kids(der, sa)) {
    const [o, set] = kids(der, a);
    out[raw(der, o).toString("hex")] = kids(der, set)[0];
  }
  const get = (name) => out[oid(OID[name]).toString("hex")];
  return {
    transactionIDTLV: raw(der, get("transactionID")),
    senderNonce: body(der, get("senderNonce")),
    messageType: body(der, get("messageType")).toString("latin1"),
  };
}

// A PENDING CertRep (RFC 8894 3.3.2): empty eContent, SHA-256, signerInfo algorithm rsaEncryption.
function pendingCertRep(reqDer) {
  const r = scepAttrs(reqDer);
  const cert = ca.der;
  const tbs = kids(cert, kids(cert, tlv(cert, 0))[0]);
  const off = tbs[0].tag === 0xa0 ? 1 : 0;
  const serial = raw(cert, tbs[off]); const issuer = raw(cert, tbs[off + 2]);
  const attr = (o, v) => enc(0x30, oid(o), enc(0x31, v));
  const t = new Date().toISOString(); // YYMMDDHHMMSSZ
  const utc = t.slice(2, 4) + t.slice(5, 7) + t.slice(8, 10) + t.slice(11, 13) + t.slice(14, 16) + t.slice(17, 19) + "Z";
  const attrs = [
    attr(OID.contentType, oid(OID.data)),
    attr(OID.signingTime, enc(0x17, Buffer.from(utc))),
    attr(OID.messageDigest, enc(0x04, crypto.createHash("sha256").update(Buffer.alloc(0)).digest())),
    attr(OID.messageType, enc(0x13, Buffer.from("3"))),
    attr(OID.pkiStatus, enc(0x13, Buffer.from("3"))),
    attr(OID.transactionID, r.transactionIDTLV),
    attr(OID.senderNonce, enc(0x04, crypto.randomBytes(16))),
    attr(OID.recipientNonce, enc(0x04, r.senderNonce)),
  ].sort(Buffer.compare);
  const signed = enc(0x31, ...attrs);
  const sig = crypto.sign("sha256", signed, ca.key);
  const alg = (o, p) => enc(0x30, oid(o), ...(p ? [p] : []));
  const si = enc(0x30, enc(0x02, Buffer.from([1])), enc(0x30, issuer, serial), alg(OID.sha256, NULL),
    enc(0xa0, ...attrs), alg(OID.rsaEncryption, NULL), enc(0x04, sig));
  const sd = enc(0x30, enc(0x02, Buffer.from([1])), enc(0x31, alg(OID.sha256, NULL)),
    enc(0x30, oid(OID.data), enc(0xa0, enc(0x04, Buffer.alloc(0)))), enc(0xa0, cert), enc(0x31, si));
  return { der: enc(0x30, oid(OID.signedData), enc(0xa0, sd)), messageType: r.messageType };
}

// ---------------------------------------------------------------- proxy
let seq = 0;
function param(query, name) { // raw (still percent-encoded) value of the first name= in the query
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.slice(0, eq);
    if (k === name) return eq < 0 ? "" : part.slice(eq + 1);
  }
  return null;
}
function decodeMessage(v) { // percent-decoding only: a literal '+' stays '+', base64 may be URL-safe
  const s = decodeURIComponent(v).replace(/ /g, "+").replace(/\s+/g, "");
  return Buffer.from(s, "base64");
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => handle(req, res, Buffer.concat(chunks)).catch((e) => {
    console.error("capture-proxy:", e);
    if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
    res.end(String(e));
  }));
});

async function handle(req, res, reqBody) {
  const n = String(++seq).padStart(3, "0");
  const q = req.url.indexOf("?");
  const pathname = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? "" : req.url.slice(q + 1);
  const m = /^\/([^/]+)\/scep\/?$/.exec(pathname);
  const label = m ? m[1] : "default";
  const opRaw = param(query, "operation");
  const operation = opRaw === null ? null : decodeURIComponent(opRaw);
  const rec = {
    seq: Number(n), time: new Date().toISOString(), label, method: req.method, httpVersion: req.httpVersion,
    url: req.url, path: pathname, query, operation,
    requestHeaders: req.rawHeaders, contentType: req.headers["content-type"] ?? null,
    requestBodyLength: reqBody.length,
  };
  let pkiMessage = null;
  if (operation === "PKIOperation") {
    if (req.method === "POST") pkiMessage = reqBody;
    else {
      const mv = param(query, "message");
      if (mv !== null) { pkiMessage = decodeMessage(mv); rec.getMessageRaw = mv; }
    }
    if (pkiMessage) fs.writeFileSync(path.join(opt.out, `${n}.req.bin`), pkiMessage);
  }

  let status, headers, respBody;
  if (operation === "PKIOperation" && opt.pendingLabels.has(label) && pkiMessage) {
    const p = pendingCertRep(pkiMessage);
    status = 200; headers = { "content-type": "application/x-pki-message" }; respBody = p.der;
    rec.answeredBy = "proxy-pending"; rec.requestMessageType = p.messageType;
  } else {
    const upPath = upstream.pathname + (q < 0 ? "" : "?" + query);
    const fwdHeaders = { ...req.headers }; delete fwdHeaders.host; delete fwdHeaders.connection;
    fwdHeaders.host = upstream.host;
    const up = await new Promise((resolve, reject) => {
      const r = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: upPath, headers: fwdHeaders },
        (ur) => { const c = []; ur.on("data", (d) => c.push(d)); ur.on("end", () => resolve({ ur, body: Buffer.concat(c) })); ur.on("error", reject); });
      r.on("error", reject);
      r.end(reqBody);
    });
    status = up.ur.statusCode; respBody = up.body;
    headers = { ...up.ur.headers }; delete headers["content-length"]; delete headers["transfer-encoding"]; delete headers.connection;
    rec.answeredBy = "upstream";
    const caps = opt.capsFor[label] ?? opt.caps;
    if (operation === "GetCACaps" && status === 200 && caps !== undefined) {
      rec.upstreamCaps = respBody.toString("utf8");
      respBody = Buffer.from(caps); rec.capsRewritten = true;
    }
  }
  headers["content-length"] = String(respBody.length);
  res.writeHead(status, headers);
  res.end(respBody);
  rec.status = status; rec.responseHeaders = headers; rec.responseBodyLength = respBody.length;
  fs.writeFileSync(path.join(opt.out, `${n}.resp.bin`), respBody);
  fs.writeFileSync(path.join(opt.out, `${n}.json`), JSON.stringify(rec, null, 2) + "\n");
}

server.listen(Number(opt.port), opt.host, () => {
  const { port } = server.address();
  fs.writeFileSync(path.join(opt.out, "proxy.port"), `${port}\n`);
  console.log(`listening ${port}`);
});
const stop = () => { server.close(() => process.exit(0)); server.closeAllConnections(); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
