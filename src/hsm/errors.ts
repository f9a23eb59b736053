/** Errors of the hsm module: a token that cannot be reached, logged into, or lacks an object. */
export class HsmError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
