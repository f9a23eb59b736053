/** `scepgate otp issue`: a one-time challenge password for a profile with `challenge.mode: otp`. */
import { Command } from "commander";
import { DEFAULT_OTP_TTL_MS, parseProfileName, parseSubjectCn, parseTtl } from "../edge/admin-input.js";
import { jsonText, operatorCommand, withSession, type Done } from "./command-kit.js";
import { ExitCode } from "./exit.js";
import type { CliDeps } from "./io.js";

interface IssueOptions {
  config?: string;
  profile: string;
  ttl?: string;
  subject?: string;
  json?: boolean;
}

function issueCommand(deps: CliDeps, done: Done): Command {
  return operatorCommand(new Command("issue"))
    .description("issue a one-time challenge password: printed alone on stdout (the expiry goes to stderr)")
    .option("--profile <name>", "the profile it is valid for", "default")
    .option("--ttl <duration>", "how long it stays valid, e.g. 30m, 1h, 7d (max 30d)", "1h")
    .option("--subject <cn>", "valid only for a request with this subject CN (case-insensitive)")
    .option("--json", "print {password, expiresAt, profile, subject?} as JSON")
    .action(async (opts: IssueOptions) => {
      const profile = parseProfileName(opts.profile);
      const ttlMs = opts.ttl === undefined ? DEFAULT_OTP_TTL_MS : parseTtl(opts.ttl);
      const subject = opts.subject === undefined ? undefined : parseSubjectCn(opts.subject);
      const { issued, mode } = await withSession(deps, opts.config, async (s) => ({
        issued: await s.operator.issueOtp(profile, ttlMs, subject),
        mode: s.config.profiles[profile]?.challenge.mode,
      }));
      const expiresAt = issued.expiresAt.toISOString();
      if (mode !== "otp") {
        deps.err(`scepgate: warning: profile "${profile}" does not check one-time passwords (challenge.mode is ${mode ?? "unset"})\n`);
      }
      if (opts.json) {
        deps.out(jsonText({ password: issued.password, expiresAt, profile, ...(subject === undefined ? {} : { subject }) }));
      } else {
        deps.out(`${issued.password}\n`);
        deps.err(`expires ${expiresAt} (profile "${profile}"${subject === undefined ? "" : `, only for CN "${subject}"`})\n`);
      }
      done(ExitCode.ok);
    });
}

/** `scepgate otp …` */
export function otpCommand(deps: CliDeps, done: Done): Command {
  return new Command("otp").description("one-time challenge passwords").addCommand(issueCommand(deps, done));
}
