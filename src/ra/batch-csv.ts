/**
 * A small RFC 4180 CSV reader for `scepgate batch DEVICES.csv`.
 *
 * Written here rather than taken from npm: the format is one page of RFC
 * (quoted fields, `""` for a quote, commas and line breaks inside quotes,
 * CRLF or LF), the parser is about sixty lines, and the device list is
 * security-relevant input where we want exact line numbers and strict
 * errors (a stray quote is an error, not a guess) rather than a dependency
 * with its own leniencies.
 *
 *   file   = record *(CRLF record) [CRLF]
 *   record = field *(COMMA field)
 *   field  = escaped / non-escaped
 *   escaped = DQUOTE *(TEXTDATA / COMMA / CR / LF / 2DQUOTE) DQUOTE   -- RFC 4180 §2
 */

/** One record: its fields and the (1-based) line it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A malformed CSV text (an unterminated quote, a quote inside an unquoted field). */
export class CsvSyntaxError extends Error {
  override name = "CsvSyntaxError";
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * Splits `text` into records. A leading UTF-8 BOM is dropped (spreadsheet
 * exports write one); blank lines are skipped. Throws CsvSyntaxError.
 */
export function parseCsv(text: string): CsvRecord[] {
  const src = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = "";
      if (src[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= src.length) throw new CsvSyntaxError("a quoted field is not closed", quoteLine);
          const ch = src[i++]!;
          if (ch === '"') {
            if (src[i] !== '"') break;
            i++;
          } else if (ch === "\n") line++;
          field += ch;
        }
        if (i < src.length && src[i] !== "," && src[i] !== "\n" && src[i] !== "\r") {
          throw new CsvSyntaxError("text after the closing quote of a field", line);
        }
      } else {
        while (i < src.length && src[i] !== "," && src[i] !== "\n" && src[i] !== "\r") {
          if (src[i] === '"') throw new CsvSyntaxError('a quote (") inside an unquoted field: quote the whole field and double the quote', line);
          field += src[i++];
        }
      }
      fields.push(field);
      if (src[i] !== ",") break;
      i++;
    }
    if (src[i] === "\r") i++;
    if (src[i] === "\n") i++;
    line++;
    if (!(fields.length === 1 && fields[0]!.trim() === "")) records.push({ line: start, fields });
  }
  return records;
}
