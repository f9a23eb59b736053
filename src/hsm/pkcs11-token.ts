/**
 * A logged-in PKCS#11 token: the one importer of binding(). Knows modules,
 * slots, sessions and objects; what the RA does with them is in token-key.ts.
 *
 * A PKCS#11 session runs one operation at a time, so concurrent operations
 * each take a session of their own from a small pool (the login is per token
 * and application, so every session of the pool is logged in).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as Pkcs11js from "pkcs11js";
import { HsmError } from "./errors.js";

/** Where the token is and how to log in; `pin` is never put in a message. */
export interface TokenRef {
  /** The PKCS#11 module (shared library). */
  module: string;
  slot?: number | undefined;
  tokenLabel?: string | undefined;
  pin?: string | undefined;
  pinFile?: string | undefined;
}

type Binding = typeof Pkcs11js;
type Lib = InstanceType<Binding["PKCS11"]>;
type Handle = Buffer;
type Template = { type: number; value?: number | boolean | string | Buffer }[];

/** Loaded and initialised modules, one per path for the whole process (C_Initialize is per process). */
const modules = new Map<string, Lib>();
/** Open tokens by module and slot: two identities on one token share its sessions and login. */
const tokens = new Map<string, Pkcs11Token>();

/** The Cryptoki return-value name of a pkcs11js error (`CKR_PIN_INCORRECT`), else its message's first line. */
export function pkcs11Reason(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0]!;
  return String(err);
}

let loaded: Binding | undefined;

/** The native binding, loaded on first use: a scepgate without a token never loads it. */
function binding(): Binding {
  if (!loaded) {
    try {
      loaded = createRequire(import.meta.url)("pkcs11js") as Binding;
    } catch (err) {
      throw new HsmError(`the PKCS#11 binding (npm package pkcs11js) cannot be loaded (${pkcs11Reason(err)}): was its install script (node-gyp) allowed to run?`, { cause: err });
    }
  }
  return loaded;
}

function loadModule(file: string): Lib {
  let lib = modules.get(file);
  if (lib) return lib;
  const { PKCS11 } = binding();
  lib = new PKCS11();
  try {
    lib.load(file);
  } catch (err) {
    throw new HsmError(`cannot load the PKCS#11 module ${file} (${pkcs11Reason(err)})`, { cause: err });
  }
  try {
    // The asynchronous calls run on libuv's threads: the module must lock (else SoftHSM2 corrupts its heap).
    lib.C_Initialize({ flags: binding().CKF_OS_LOCKING_OK });
  } catch (err) {
    if ((err as { code?: number }).code !== binding().CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      throw new HsmError(`the PKCS#11 module ${file} failed to initialise (${pkcs11Reason(err)})`, { cause: err });
    }
  }
  modules.set(file, lib);
  return lib;
}

/** A slot handle's CK_SLOT_ID (a native-endian CK_ULONG). */
function slotId(handle: Handle): number {
  return Number(handle.length >= 8 ? handle.readBigUInt64LE(0) : handle.readUInt32LE(0));
}

function findSlot(lib: Lib, ref: TokenRef): Handle {
  const slots = lib.C_GetSlotList(true);
  if (ref.slot !== undefined) {
    const slot = slots.find((s) => slotId(s) === ref.slot);
    if (!slot) throw new HsmError(`no token in slot ${ref.slot} of ${ref.module}`);
    return slot;
  }
  const slot = slots.find((s) => lib.C_GetTokenInfo(s).label.trim() === ref.tokenLabel);
  if (!slot) throw new HsmError(`no token labelled "${ref.tokenLabel}" in ${ref.module}`);
  return slot;
}

function readPin(ref: TokenRef): string {
  if (ref.pin !== undefined) return ref.pin;
  if (ref.pinFile === undefined) throw new HsmError("no PIN given (pin or pinFile)");
  try {
    return readFileSync(ref.pinFile, "utf8").replace(/\r?\n$/, "");
  } catch (err) {
    throw new HsmError(`cannot read the PIN file ${ref.pinFile} (${(err as NodeJS.ErrnoException).code ?? "error"})`, { cause: err });
  }
}

/** A PKCS#11 object attribute as the caller wants it. */
export type AttributeValue = number | boolean | string | Buffer;

export class Pkcs11Token {
  private readonly idle: Handle[] = [];
  private readonly waiting: ((session: Handle) => void)[] = [];
  private open = 0;
  /** SHA-256 of the PIN that logged in: a second identity on the token must give the same. */
  private pinDigest = Buffer.alloc(0);

  private constructor(
    private readonly lib: Lib,
    private readonly slot: Handle,
    /** For messages: the module and the token. */
    readonly name: string,
    private readonly maxSessions: number,
  ) {}

  /** Opens (or reuses) the token of `ref` and logs in as the user. Throws HsmError with a one-line reason. */
  static open(ref: TokenRef, maxSessions = 4): Pkcs11Token {
    const lib = loadModule(ref.module);
    const slot = findSlot(lib, ref);
    const key = `${ref.module}\0${slotId(slot)}`;
    const pin = readPin(ref);
    const pinDigest = createHash("sha256").update(pin).digest();
    const known = tokens.get(key);
    if (known) {
      // The login is per token: without this check another PIN would pass unnoticed.
      if (!timingSafeEqual(known.pinDigest, pinDigest)) throw new HsmError(`${known.name}: login failed (another PIN than the one this token was opened with)`);
      return known;
    }
    const label = lib.C_GetTokenInfo(slot).label.trim();
    const token = new Pkcs11Token(lib, slot, `token "${label}" (${ref.module})`, maxSessions);
    token.pinDigest = pinDigest;
    const session = token.openSession();
    try {
      lib.C_Login(session, binding().CKU_USER, pin);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code !== binding().CKR_USER_ALREADY_LOGGED_IN) {
        lib.C_CloseSession(session);
        token.open--;
        throw new HsmError(`${token.name}: login failed (${pkcs11Reason(err)})`, { cause: err });
      }
    }
    token.idle.push(session);
    tokens.set(key, token);
    return token;
  }

  private openSession(): Handle {
    const session = this.lib.C_OpenSession(this.slot, binding().CKF_SERIAL_SESSION | binding().CKF_RW_SESSION);
    this.open++;
    return session;
  }

  /** Runs `op` on a session of its own, waiting for one when all are busy. */
  async withSession<T>(op: (lib: Lib, session: Handle) => Promise<T>): Promise<T> {
    const session = this.idle.pop() ?? (this.open < this.maxSessions ? this.openSession() : await new Promise<Handle>((r) => this.waiting.push(r)));
    try {
      return await op(this.lib, session);
    } finally {
      const next = this.waiting.shift();
      if (next) next(session);
      else this.idle.push(session);
    }
  }

  /** Runs the synchronous `op` on a session no asynchronous operation is using. */
  withSessionNow<T>(op: (lib: Lib, session: Handle) => T): T {
    const session = this.idle.pop() ?? this.openSession();
    try {
      return op(this.lib, session);
    } finally {
      const next = this.waiting.shift();
      if (next) next(session);
      else this.idle.push(session);
    }
  }

  /** The handles of the objects matching `template`. */
  find(template: Template): Handle[] {
    return this.withSessionNow((lib, session) => {
      lib.C_FindObjectsInit(session, template);
      try {
        return lib.C_FindObjects(session, 16);
      } finally {
        lib.C_FindObjectsFinal(session);
      }
    });
  }

  /** The raw values of `types` of `object`. */
  attributes(object: Handle, types: readonly number[]): Buffer[] {
    return this.withSessionNow((lib, session) => lib.C_GetAttributeValue(session, object, types.map((type) => ({ type }))).map((a) => a.value));
  }

  create(template: Template): Handle {
    return this.withSessionNow((lib, session) => lib.C_CreateObject(session, template));
  }

  destroy(object: Handle): void {
    this.withSessionNow((lib, session) => lib.C_DestroyObject(session, object));
  }

  /** Generates an RSA key pair on the token. */
  generateRsaKeyPair(publicTemplate: Template, privateTemplate: Template): { publicKey: Handle; privateKey: Handle } {
    return this.withSessionNow((lib, session) =>
      lib.C_GenerateKeyPair(session, { mechanism: binding().CKM_RSA_PKCS_KEY_PAIR_GEN }, publicTemplate, privateTemplate),
    );
  }
}

/** The PKCS#11 constants the RA uses, from the binding (loaded on first use) so nobody else imports pkcs11js. */
export function ck() {
  const b = binding();
  return {
    CKA_CLASS: b.CKA_CLASS,
    CKA_TOKEN: b.CKA_TOKEN,
    CKA_PRIVATE: b.CKA_PRIVATE,
    CKA_LABEL: b.CKA_LABEL,
    CKA_ID: b.CKA_ID,
    CKA_KEY_TYPE: b.CKA_KEY_TYPE,
    CKA_MODULUS: b.CKA_MODULUS,
    CKA_MODULUS_BITS: b.CKA_MODULUS_BITS,
    CKA_PUBLIC_EXPONENT: b.CKA_PUBLIC_EXPONENT,
    CKA_SIGN: b.CKA_SIGN,
    CKA_DECRYPT: b.CKA_DECRYPT,
    CKA_VERIFY: b.CKA_VERIFY,
    CKA_ENCRYPT: b.CKA_ENCRYPT,
    CKA_SENSITIVE: b.CKA_SENSITIVE,
    CKA_EXTRACTABLE: b.CKA_EXTRACTABLE,
    CKA_CERTIFICATE_TYPE: b.CKA_CERTIFICATE_TYPE,
    CKA_SUBJECT: b.CKA_SUBJECT,
    CKA_ISSUER: b.CKA_ISSUER,
    CKA_SERIAL_NUMBER: b.CKA_SERIAL_NUMBER,
    CKA_VALUE: b.CKA_VALUE,
    CKO_PRIVATE_KEY: b.CKO_PRIVATE_KEY,
    CKO_PUBLIC_KEY: b.CKO_PUBLIC_KEY,
    CKO_CERTIFICATE: b.CKO_CERTIFICATE,
    CKK_RSA: b.CKK_RSA,
    CKC_X_509: b.CKC_X_509,
    CKM_RSA_PKCS: b.CKM_RSA_PKCS,
    CKM_RSA_X_509: b.CKM_RSA_X_509,
  } as const;
}
