/** `scepgate ra init`: enroll the RA certificate from the upstream CA. */
import { Command, InvalidArgumentError } from "commander";
import { initRaIdentity, initTokenRaIdentity } from "../app/ra-init.js";
import { loadConfig } from "../config/index.js";
import { createLogger } from "../observability/logger.js";
import { operatorCommand, type Done } from "./command-kit.js";
import { ExitCode } from "./exit.js";
import { commandLogLevel, type CliDeps } from "./io.js";

interface InitOptions {
  config?: string;
  profile: string;
  upstream?: string;
  challenge?: string;
  fingerprint?: string;
  subject?: string;
  force?: boolean;
  out?: string;
  pkcs11?: boolean;
  bits: number;
}

function rsaBits(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 2048 || n > 8192) throw new InvalidArgumentError("expected a whole number from 2048 to 8192");
  return n;
}

function initCommand(deps: CliDeps, done: Done): Command {
  return operatorCommand(new Command("init"))
    .description("make the RA key and enroll its certificate from the upstream CA by SCEP (polls while PENDING)")
    .option("--profile <name>", "the profile whose RA this is", "default")
    .option("--upstream <url>", "the upstream SCEP URL (default: the profile's upstream.url)")
    .option("--challenge <password>", "the upstream's challenge password (default: upstream.challenge)")
    .option("--fingerprint <sha256>", "pin the upstream CA certificate (default: upstream.caFingerprint)")
    .option("--subject <dn>", "the RA certificate's subject, e.g. \"CN=scepgate RA, O=Example\"")
    .option("--force", "enroll again even if the certificate file exists (keeps the key)")
    .option("--out <dir>", "write ra.crt and ra.key into DIR (e.g. to make a Kubernetes secret) instead of the configured paths")
    .option("--pkcs11", "generate the key pair on the profile's ra.pkcs11 token (kept if there) and store the certificate there")
    .option("--bits <n>", "RSA modulus size of a key generated on the token", rsaBits, 2048)
    .action(async (opts: InitOptions) => {
      const loaded = await loadConfig({ file: opts.config });
      const logger = createLogger({ level: commandLogLevel(loaded.config.log.level, deps.debug), destination: process.stderr, format: loaded.config.log.format });
      const fingerprint = opts.fingerprint?.replace(/^sha256:/i, "").replace(/:/g, "").toLowerCase();
      if (opts.pkcs11) {
        const r = await initTokenRaIdentity(loaded, { ...opts, caFingerprint: fingerprint }, logger);
        deps.out(`RA key:         ${r.key}${r.generated ? " (generated)" : ""}\nRA certificate: on the token, labelled "${r.certLabel}"\n`);
        done(ExitCode.ok);
        return;
      }
      const r = await initRaIdentity(loaded, { ...opts, caFingerprint: fingerprint, outDir: opts.out }, logger);
      for (const w of r.warnings) deps.err(`scepgate: warning: ${w}\n`);
      deps.out(`RA certificate: ${r.certFile}\nRA key:         ${r.keyFile}\n`);
      done(ExitCode.ok);
    });
}

/** `scepgate ra …` */
export function raCommand(deps: CliDeps, done: Done): Command {
  return new Command("ra").description("the RA's own identity").addCommand(initCommand(deps, done));
}
