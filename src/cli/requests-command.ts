/**
 * `scepgate requests list|show|approve|reject`: the operator's view of the
 * requests held by the RA, and the decisions on them (audited with who made
 * them: `cli:NAME`).
 */
import { Command } from "commander";
import { parseLimit, parseProfileName, parseReason, parseStateFilter, STATE_NAMES } from "../edge/admin-input.js";
import { transactionView } from "../edge/admin-view.js";
import type { TransactionFilter } from "../ra/ports.js";
import { cliActor, jsonText, operatorCommand, withSession, type Done } from "./command-kit.js";
import { ExitCode } from "./exit.js";
import { decisionLine, requestDetails, requestsTable } from "./format.js";
import type { CliDeps } from "./io.js";

interface ListOptions {
  config?: string;
  state?: string;
  profile?: string;
  limit?: string;
  json?: boolean;
  full?: boolean;
}

interface ShowOptions {
  config?: string;
  json?: boolean;
  full?: boolean;
}

interface DecideOptions {
  config?: string;
  as?: string;
  reason?: string;
  json?: boolean;
}

function listFilter(opts: ListOptions): TransactionFilter {
  const filter: TransactionFilter = {};
  if (opts.state !== undefined) filter.state = parseStateFilter(opts.state);
  if (opts.profile !== undefined) filter.profile = parseProfileName(opts.profile);
  if (opts.limit !== undefined) filter.limit = parseLimit(opts.limit);
  return filter;
}

function listCommand(deps: CliDeps, done: Done): Command {
  return operatorCommand(new Command("list"))
    .description("list requests, pending approval first, then newest first")
    .option("--state <state>", `only requests in this state: ${STATE_NAMES.join(", ")}`)
    .option("--profile <name>", "only requests of this profile")
    .option("--limit <n>", "at most N requests (default 100)")
    .option("--json", "print a JSON array (Transaction field names; no base64 blobs unless --full)")
    .option("--full", "with --json: include csr, requesterCert, certificate and chain (base64 DER)")
    .action(async (opts: ListOptions) => {
      const filter = listFilter(opts);
      const txs = await withSession(deps, opts.config, (s) => s.operator.list(filter));
      deps.out(opts.json ? jsonText(txs.map((tx) => transactionView(tx, opts.full))) : requestsTable(txs));
      done(ExitCode.ok);
    });
}

function showCommand(deps: CliDeps, done: Done): Command {
  return operatorCommand(new Command("show"))
    .description("show one request: subject, SANs, key, challenge, client, upstream progress, result and audit history")
    .argument("<id>", "request id (from `requests list`)")
    .option("--json", "print {request, history} as JSON")
    .option("--full", "with --json: include the base64 blobs")
    .action(async (id: string, opts: ShowOptions) => {
      const { tx, history } = await withSession(deps, opts.config, (s) => s.operator.show(id));
      deps.out(opts.json ? jsonText({ request: transactionView(tx, opts.full), history }) : requestDetails(tx, history));
      done(ExitCode.ok);
    });
}

function approveCommand(deps: CliDeps, done: Done): Command {
  return operatorCommand(new Command("approve"))
    .description("approve a request waiting for approval and start its issuance")
    .argument("<id>", "request id")
    .option("--as <name>", "who approves, recorded as cli:NAME (default: the OS user)")
    .option("--json", "print {request} as JSON")
    .action(async (id: string, opts: DecideOptions) => {
      const actor = cliActor(deps, opts.as);
      const tx = await withSession(deps, opts.config, (s) => s.operator.approve(id, actor));
      deps.out(opts.json ? jsonText({ request: transactionView(tx) }) : decisionLine(tx));
      done(ExitCode.ok);
    });
}

function rejectCommand(deps: CliDeps, done: Done): Command {
  return operatorCommand(new Command("reject"))
    .description("reject a request the CA has not answered yet; the device gets FAILURE with the reason")
    .argument("<id>", "request id")
    .requiredOption("--reason <text>", "why (sent to the device as failInfoText, and audited)")
    .option("--as <name>", "who rejects, recorded as cli:NAME (default: the OS user)")
    .option("--json", "print {request} as JSON")
    .action(async (id: string, opts: DecideOptions) => {
      const reason = parseReason(opts.reason);
      const actor = cliActor(deps, opts.as);
      const tx = await withSession(deps, opts.config, (s) => s.operator.reject(id, actor, reason));
      deps.out(opts.json ? jsonText({ request: transactionView(tx) }) : decisionLine(tx));
      done(ExitCode.ok);
    });
}

/** `scepgate requests …` */
export function requestsCommand(deps: CliDeps, done: Done): Command {
  return new Command("requests")
    .description("list, inspect, approve and reject enrollment requests")
    .addCommand(listCommand(deps, done))
    .addCommand(showCommand(deps, done))
    .addCommand(approveCommand(deps, done))
    .addCommand(rejectCommand(deps, done));
}
