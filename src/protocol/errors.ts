/** Errors of the protocol module. */
import type { FailInfo } from "./types.js";

export class ProtocolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bytes that are not a pkiMessage at all: answered with HTTP 400 and `message`. */
export class MalformedMessageError extends ProtocolError {}

/** A CertRep from a peer we cannot accept (client side). */
export class CertRepError extends ProtocolError {
  constructor(
    message: string,
    readonly failInfo?: FailInfo,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
